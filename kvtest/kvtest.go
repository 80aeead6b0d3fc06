// Package kvtest is the conformance suite every [wisp.KV] passes.
//
// An implementation runs it from its own tests:
//
//	func TestKVConformance(t *testing.T) {
//		kvtest.Run(t, func(t *testing.T) wisp.KV { ... })
//	}
//
// open must return a KV over the same data every time one Run calls it
// (the same value, a new value over the same database, or a new
// connection to the same NATS servers): the "Reopen" subtests write
// through one and read through another. Each subtest works in stores of
// its own, with fresh random names, so the data may hold other stores,
// and open may be shared with other tests.
//
// [RunShared] checks what several nodes sharing one data set rely on:
// given several KV values over the same data (in NATS, separate
// connections, ideally to different servers of a cluster), a write
// through one is read through another and concurrent increments through
// all of them end at the exact count.
//
// Every rule has a named subtest, so a failure reads like the rule that
// was broken ("TestKV/Create/ExistingConflicts"). Subtests run one after
// the other. Beyond the letter of the [wisp.KVStore] contract the suite
// requires what callers rely on:
//   - keys are any valid UTF-8 (dots, wildcards, spaces, '$', multi-byte
//     runes, 512 bytes) and list in bytewise order, also with a prefix
//     that is not valid UTF-8 on its own;
//   - Get returns a copy, and the store keeps none of the caller's slices;
//   - a deleted key's revisions are not reused when it is created again;
//   - Keys refuses a limit below 1 with wisp.ErrInvalid;
//   - every method refuses an invalid key with wisp.ErrInvalid, and Open
//     refuses an invalid store name the same way but accepts names
//     starting with wisp.KVReservedPrefix, which Stores does not list;
//   - a write refused by the quota names the store, the limit and its
//     value, and changes nothing; an expired entry does not count;
//   - every method returns an error once its context is canceled;
//   - a value of wisp.DefaultKVValue bytes round-trips through Set, and
//     one of wisp.DefaultKVValue - 4 KiB through Create and Update (NATS
//     counts the headers of a conditional write in its max_payload).
package kvtest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/testnode"
)

// Run runs the conformance suite against the KV values open returns (see
// the package doc). It never calls t.Parallel.
func Run(t *testing.T, open func(t *testing.T) wisp.KV) {
	t.Helper()
	if open == nil {
		t.Fatal("kvtest.Run: open is nil: pass a function returning a KV")
	}
	h := &harness{open: open, prefix: fmt.Sprintf("kt%06x", rand.N(1<<24))}
	for _, g := range groups() {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) { c.run(t, h) })
			}
		})
	}
}

type group struct {
	name  string
	cases []testCase
}

type testCase struct {
	name string
	run  func(t *testing.T, h *harness)
}

func groups() []group {
	return []group{
		{"Open", openCases},
		{"Get", getCases},
		{"Set", setCases},
		{"Create", createCases},
		{"Update", updateCases},
		{"Delete", deleteCases},
		{"Keys", keysCases},
		{"OddKeys", oddKeyCases},
		{"TTL", ttlCases},
		{"Quota", quotaCases},
		{"Reopen", reopenCases},
		{"Context", contextCases},
		{"Increment", incrementCases},
		{"CompareAndSwap", casCases},
	}
}

// harness makes the stores of one Run.
type harness struct {
	open   func(t *testing.T) wisp.KV
	prefix string // random, so that runs over persistent data do not meet
	n      atomic.Int64
}

// name returns a store name no other subtest of any run uses.
func (h *harness) name() string { return fmt.Sprintf("%s-%d", h.prefix, h.n.Add(1)) }

// store opens a fresh store with quota through a fresh KV and returns it
// with its name.
func (h *harness) store(t *testing.T, quota wisp.KVQuota) (wisp.KVStore, string) {
	t.Helper()
	name := h.name()
	return openStore(t, h.open(t), name, quota), name
}

func openStore(t *testing.T, kv wisp.KV, name string, quota wisp.KVQuota) wisp.KVStore {
	t.Helper()
	s, err := kv.Open(t.Context(), name, quota)
	if err != nil {
		t.Fatalf("Open(%q, %+v): %v", name, quota, err)
	}
	return s
}

func set(t *testing.T, s wisp.KVStore, key, value string) uint64 {
	t.Helper()
	rev, err := s.Set(t.Context(), key, []byte(value), time.Time{})
	if err != nil {
		t.Fatalf("Set(%q, %q): %v", key, value, err)
	}
	if rev == 0 {
		t.Fatalf("Set(%q) returned revision 0; a stored entry's revision is never 0", key)
	}
	return rev
}

func get(t *testing.T, s wisp.KVStore, key string) wisp.KVEntry {
	t.Helper()
	e, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return e
}

// wantValue checks that key holds value at revision rev (0: any).
func wantValue(t *testing.T, s wisp.KVStore, key, value string, rev uint64) {
	t.Helper()
	e := get(t, s, key)
	if string(e.Value) != value || (rev != 0 && e.Revision != rev) {
		t.Fatalf("Get(%q) = %s at revision %d, want %s at revision %d", key, shorten(e.Value), e.Revision, shorten([]byte(value)), rev)
	}
}

func wantAbsent(t *testing.T, s wisp.KVStore, key string) {
	t.Helper()
	e, err := s.Get(t.Context(), key)
	if !errors.Is(err, wisp.ErrNotFound) {
		t.Fatalf("Get(%q) = %s at revision %d, %v; want an error wrapping wisp.ErrNotFound", key, shorten(e.Value), e.Revision, err)
	}
}

// wantErr checks that err wraps kind.
func wantErr(t *testing.T, what string, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s = %v, want an error wrapping %q", what, err, kind)
	}
}

// listAll pages through every key with prefix, limit at a time, checking
// each page's order and its more flag.
func listAll(t *testing.T, s wisp.KVStore, prefix string, limit int) []string {
	t.Helper()
	var all []string
	after := ""
	for page := 0; ; page++ {
		keys, more, err := s.Keys(t.Context(), prefix, after, limit)
		if err != nil {
			t.Fatalf("Keys(%q, after %q, %d): %v", prefix, after, limit, err)
		}
		if len(keys) > limit {
			t.Fatalf("Keys(%q, after %q, %d) returned %d keys", prefix, after, limit, len(keys))
		}
		if more && len(keys) < limit {
			t.Fatalf("Keys(%q, after %q, %d) returned %d keys and more=true; a short page is the last", prefix, after, limit, len(keys))
		}
		for _, k := range keys {
			if !strings.HasPrefix(k, prefix) || k <= after {
				t.Fatalf("Keys(%q, after %q) returned %q", prefix, after, k)
			}
			after = k
		}
		all = append(all, keys...)
		if !more {
			break
		}
		if page > 1_000_000 {
			t.Fatal("Keys never stops reporting more")
		}
	}
	if !slices.IsSorted(all) {
		t.Fatalf("Keys(%q) listed %q, not in bytewise order", prefix, all)
	}
	return all
}

func wantKeys(t *testing.T, s wisp.KVStore, prefix string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	// A listing may lag the writes just made for up to ListLag (natsstore
	// lists through a consumer that can sit on a replica behind the
	// leader: docs/guest-abi.md); Get, checked elsewhere, may not.
	var got []string
	testnode.Poll(ListLag, func() (bool, error) {
		if got = listAll(t, s, prefix, 1000); got == nil {
			got = []string{}
		}
		return slices.Equal(got, want), nil
	})
	if !slices.Equal(got, want) {
		t.Fatalf("Keys(%q) = %q, want %q (within %s)", prefix, got, want, ListLag)
	}
}

// shorten quotes a value for a message, cutting it if it is long.
func shorten(v []byte) string {
	if len(v) > 60 {
		return fmt.Sprintf("%q... (%d bytes)", v[:60], len(v))
	}
	return fmt.Sprintf("%q", v)
}

// waitUntil waits until the clock passes when.
func waitUntil(t *testing.T, when time.Time) {
	t.Helper()
	err := testnode.Poll(time.Until(when)+time.Second, func() (bool, error) { return time.Now().After(when), nil })
	if err != nil {
		t.Fatal(err)
	}
}
