package kvtest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/kvtest"
	"github.com/wisphq/wisp/memstore"
)

// breakEnv names the flaw TestBrokenKV gives the store it checks.
const breakEnv = "KVTEST_BREAK"

// TestSuiteCatchesBrokenStores runs the suite, in a child process, on an
// in-memory KV with one rule broken at a time, and checks that the
// subtests of that rule fail: the suite can fail, and fails where it
// should.
func TestSuiteCatchesBrokenStores(t *testing.T) {
	cases := []struct {
		flaw  string
		group string
		fails []string
	}{
		{"ttl", "TTL", []string{"TTL/ExpiresIsKept", "TTL/ExpiredIsAbsentForEveryMethod", "TTL/PastExpiryAbsentAtOnce"}},
		{"create", "Create", []string{"Create/ExistingConflicts", "Create/ConcurrentOneWinner"}},
		{"update", "Update", []string{"Update/StaleRevisionConflicts"}},
		{"after", "Keys", []string{"Keys/PrefixAfterLimit", "Keys/PagingThroughMany"}},
		{"quota", "Quota", []string{"Quota/MaxKeys", "Quota/MaxBytes", "Quota/ExpiredEntriesDoNotCount"}},
		{"shared", "Get", []string{"Get/NoSharedSlices"}},
	}
	for _, c := range cases {
		t.Run(c.flaw, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestBrokenKV$/^"+c.group+"$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), breakEnv+"="+c.flaw)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a KV whose %s is broken:\n%s", c.flaw, out)
			}
			for _, f := range c.fails {
				if !strings.Contains(string(out), "--- FAIL: TestBrokenKV/"+f+" ") {
					t.Errorf("with %s broken, subtest %s did not fail:\n%s", c.flaw, f, out)
				}
			}
		})
	}
}

// TestBrokenKV runs the suite on the broken KV TestSuiteCatchesBrokenStores
// asks for; on its own it is skipped.
func TestBrokenKV(t *testing.T) {
	flaw := os.Getenv(breakEnv)
	if flaw == "" {
		t.Skip("run by TestSuiteCatchesBrokenStores")
	}
	kv := brokenKV{KV: memstore.NewKV(), flaw: flaw}
	kvtest.Run(t, func(t *testing.T) wisp.KV { return kv })
}

type brokenKV struct {
	wisp.KV
	flaw string
}

func (kv brokenKV) Open(ctx context.Context, name string, quota wisp.KVQuota) (wisp.KVStore, error) {
	if kv.flaw == "quota" {
		quota = wisp.KVQuota{}
	}
	s, err := kv.KV.Open(ctx, name, quota)
	return brokenStore{KVStore: s, flaw: kv.flaw, kept: &sync.Map{}}, err
}

type brokenStore struct {
	wisp.KVStore
	flaw string
	kept *sync.Map // key -> the caller's []byte, for the "shared" flaw
}

func (s brokenStore) noExpiry(t time.Time) time.Time {
	if s.flaw == "ttl" {
		return time.Time{}
	}
	return t
}

func (s brokenStore) Get(ctx context.Context, key string) (wisp.KVEntry, error) {
	e, err := s.KVStore.Get(ctx, key)
	if v, ok := s.kept.Load(key); ok && err == nil {
		e.Value = v.([]byte)
	}
	return e, err
}

func (s brokenStore) Set(ctx context.Context, key string, value []byte, expires time.Time) (uint64, error) {
	if s.flaw == "shared" {
		s.kept.Store(key, value)
	}
	return s.KVStore.Set(ctx, key, value, s.noExpiry(expires))
}

func (s brokenStore) Create(ctx context.Context, key string, value []byte, expires time.Time) (uint64, error) {
	if s.flaw == "create" {
		return s.KVStore.Set(ctx, key, value, expires)
	}
	return s.KVStore.Create(ctx, key, value, s.noExpiry(expires))
}

func (s brokenStore) Update(ctx context.Context, key string, value []byte, expires time.Time, revision uint64) (uint64, error) {
	if e, err := s.KVStore.Get(ctx, key); s.flaw == "update" && err == nil {
		revision = e.Revision
	}
	return s.KVStore.Update(ctx, key, value, s.noExpiry(expires), revision)
}

func (s brokenStore) Keys(ctx context.Context, prefix, after string, limit int) ([]string, bool, error) {
	if s.flaw == "after" {
		after = ""
	}
	return s.KVStore.Keys(ctx, prefix, after, limit)
}
