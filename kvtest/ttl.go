package kvtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
)

// ttl is how far ahead the TTL subtests set expiries: long enough for a
// slow backend to write and read every key before they expire.
const ttl = 800 * time.Millisecond

var ttlCases = []testCase{
	{"ExpiresIsKept", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		exp := time.Now().Add(time.Hour)
		if _, err := s.Set(t.Context(), "set", []byte("v"), exp); err != nil {
			t.Fatal(err)
		}
		rev, err := s.Create(t.Context(), "created", []byte("v"), exp.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if e := get(t, s, "set"); !e.Expires.Equal(exp) {
			t.Fatalf("Get after Set with expiry %v: Expires = %v", exp, e.Expires)
		}
		if e := get(t, s, "created"); !e.Expires.Equal(exp.Add(time.Second)) {
			t.Fatalf("Get after Create with expiry %v: Expires = %v", exp.Add(time.Second), e.Expires)
		}
		if _, err := s.Update(t.Context(), "created", []byte("w"), time.Time{}, rev); err != nil {
			t.Fatal(err)
		}
		if e := get(t, s, "created"); !e.Expires.IsZero() {
			t.Fatalf("Get after Update without expiry: Expires = %v, want zero", e.Expires)
		}
		set(t, s, "set", "w")
		if e := get(t, s, "set"); !e.Expires.IsZero() {
			t.Fatalf("Get after Set without expiry: Expires = %v, want zero", e.Expires)
		}
	}},
	{"ExpiredIsAbsentForEveryMethod", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		exp := time.Now().Add(ttl)
		revs := map[string]uint64{}
		for _, k := range []string{"get", "update", "create", "set", "delete", "increment", "swap"} {
			rev, err := s.Set(t.Context(), "x:"+k, []byte("7"), exp)
			if err != nil {
				t.Fatal(err)
			}
			revs[k] = rev
		}
		set(t, s, "x:stays", "v")
		if time.Now().After(exp) {
			t.Skipf("writing 8 keys took longer than %s, the TTL this subtest uses", ttl)
		}
		wantValue(t, s, "x:get", "7", revs["get"])
		waitUntil(t, exp)

		wantKeys(t, s, "x:", "x:stays")
		wantAbsent(t, s, "x:get")
		_, err := s.Update(t.Context(), "x:update", []byte("v"), time.Time{}, revs["update"])
		wantErr(t, "Update of an expired key at its revision", err, wisp.ErrConflict)
		wantAbsent(t, s, "x:update")
		rev, err := s.Create(t.Context(), "x:create", []byte("new"), time.Time{})
		if err != nil {
			t.Fatalf("Create over an expired key: %v", err)
		}
		if rev <= revs["create"] {
			t.Fatalf("Create over an expired key got revision %d, not above the expired entry's %d", rev, revs["create"])
		}
		wantValue(t, s, "x:create", "new", rev)
		wantValue(t, s, "x:set", "new", set(t, s, "x:set", "new"))
		if e := get(t, s, "x:set"); !e.Expires.IsZero() {
			t.Fatalf("Set over an expired key kept its expiry %v", e.Expires)
		}
		if err := s.Delete(t.Context(), "x:delete"); err != nil {
			t.Fatalf("Delete of an expired key: %v", err)
		}
		if n, err := wisp.KVIncrement(t.Context(), s, "x:increment", 1); err != nil || n != 1 {
			t.Fatalf("KVIncrement of an expired key = %d, %v; want 1 (it counts as absent)", n, err)
		}
		if ok, err := wisp.KVCompareAndSwap(t.Context(), s, "x:swap", nil, true, []byte("mine")); err != nil || !ok {
			t.Fatalf("KVCompareAndSwap expecting an expired key absent = %v, %v; want swapped", ok, err)
		}
		wantKeys(t, s, "x:", "x:create", "x:increment", "x:set", "x:stays", "x:swap")
	}},
	{"PastExpiryAbsentAtOnce", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		if _, err := s.Set(t.Context(), "k", []byte("v"), time.Now().Add(-time.Second)); err != nil {
			t.Fatalf("Set with an expiry in the past: %v", err)
		}
		wantAbsent(t, s, "k")
		wantKeys(t, s, "")
	}},
}

var quotaCases = []testCase{
	{"MaxKeys", func(t *testing.T, h *harness) {
		s, name := h.store(t, wisp.KVQuota{MaxKeys: 3})
		revs := map[string]uint64{}
		for _, k := range []string{"a", "b", "c"} {
			revs[k] = set(t, s, k, k)
		}
		_, err := s.Set(t.Context(), "d", []byte("d"), time.Time{})
		wantLimit(t, "Set of a 4th key with max_keys 3", err, name, "max_keys", "3")
		_, err = s.Create(t.Context(), "d", []byte("d"), time.Time{})
		wantLimit(t, "Create of a 4th key with max_keys 3", err, name, "max_keys", "3")
		_, err = wisp.KVIncrement(t.Context(), s, "d", 1)
		wantErr(t, "KVIncrement of a 4th key with max_keys 3", err, wisp.ErrLimit)
		wantAbsent(t, s, "d")
		wantKeys(t, s, "", "a", "b", "c")

		rev := set(t, s, "a", "changed") // the store is full: existing keys change
		if _, err := s.Update(t.Context(), "a", []byte("again"), time.Time{}, rev); err != nil {
			t.Fatalf("Update of an existing key in a full store: %v", err)
		}
		if err := s.Delete(t.Context(), "b"); err != nil {
			t.Fatal(err)
		}
		set(t, s, "d", "d")
		wantKeys(t, s, "", "a", "c", "d")
	}},
	{"MaxBytes", func(t *testing.T, h *harness) {
		const max = 8192
		s, name := h.store(t, wisp.KVQuota{MaxBytes: max})
		value := strings.Repeat("v", 1000)
		var written []string
		var err error
		for i := 0; err == nil; i++ {
			if i == 10 {
				t.Fatalf("10 values of 1000 bytes fitted in max_bytes %d", max)
			}
			key := fmt.Sprintf("k%d", i)
			if _, err = s.Set(t.Context(), key, []byte(value), time.Time{}); err == nil {
				written = append(written, key)
			}
		}
		if len(written) < 2 {
			t.Fatalf("only %d values of 1000 bytes fitted in max_bytes %d", len(written), max)
		}
		wantLimit(t, "Set past max_bytes", err, name, "max_bytes", fmt.Sprint(max))
		wantAbsent(t, s, fmt.Sprintf("k%d", len(written)))
		wantKeys(t, s, "", written...)

		// The store is full, but a write that does not grow it fits.
		rev := set(t, s, written[0], strings.Repeat("w", 1000))
		_, err = s.Update(t.Context(), written[0], []byte(strings.Repeat("g", 3000)), time.Time{}, rev)
		wantLimit(t, "Update growing a value past max_bytes", err, name, "max_bytes", fmt.Sprint(max))
		wantValue(t, s, written[0], strings.Repeat("w", 1000), rev)
		if _, err := s.Update(t.Context(), written[0], []byte("small"), time.Time{}, rev); err != nil {
			t.Fatalf("Update shrinking a value in a full store: %v", err)
		}
		if err := s.Delete(t.Context(), written[1]); err != nil {
			t.Fatal(err)
		}
		set(t, s, "after-delete", value)
	}},
	{"ExpiredEntriesDoNotCount", func(t *testing.T, h *harness) {
		s, name := h.store(t, wisp.KVQuota{MaxKeys: 2})
		exp := time.Now().Add(ttl)
		for _, k := range []string{"a", "b"} {
			if _, err := s.Set(t.Context(), k, []byte("v"), exp); err != nil {
				t.Fatal(err)
			}
		}
		_, err := s.Set(t.Context(), "c", []byte("v"), time.Time{})
		wantLimit(t, "Set of a 3rd key with max_keys 2", err, name, "max_keys", "2")
		waitUntil(t, exp)
		set(t, s, "c", "v")
		set(t, s, "d", "v")
		wantKeys(t, s, "", "c", "d")
	}},
}

// wantLimit checks that err wraps wisp.ErrLimit and names the store, the
// limit and its value.
func wantLimit(t *testing.T, what string, err error, store, limit, value string) {
	t.Helper()
	wantErr(t, what, err, wisp.ErrLimit)
	for _, want := range []string{fmt.Sprintf("%q", store), limit, value} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: the error %q does not say %s", what, err, want)
		}
	}
}

var reopenCases = []testCase{
	{"SeesTheSameData", func(t *testing.T, h *harness) {
		s1, name := h.store(t, wisp.KVQuota{})
		exp := time.Now().Add(time.Hour)
		r1 := set(t, s1, "a", "one")
		r2, err := s1.Set(t.Context(), "b", []byte("two"), exp)
		if err != nil {
			t.Fatal(err)
		}
		s2 := openStore(t, h.open(t), name, wisp.KVQuota{})
		wantValue(t, s2, "a", "one", r1)
		if e := get(t, s2, "b"); string(e.Value) != "two" || e.Revision != r2 || !e.Expires.Equal(exp) {
			t.Fatalf("Get through another KV = %+v, want two at revision %d expiring %v", e, r2, exp)
		}
		wantKeys(t, s2, "", "a", "b")
		r3 := set(t, s2, "c", "three")
		if r3 <= r2 {
			t.Fatalf("a write through another KV got revision %d after %d", r3, r2)
		}
		wantValue(t, s1, "c", "three", r3)
	}},
}

var contextCases = []testCase{
	{"CanceledFails", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		rev := set(t, s, "k", "v")
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		calls := map[string]func() error{
			"Get":    func() error { _, err := s.Get(ctx, "k"); return err },
			"Set":    func() error { _, err := s.Set(ctx, "new", nil, time.Time{}); return err },
			"Create": func() error { _, err := s.Create(ctx, "new", nil, time.Time{}); return err },
			"Update": func() error { _, err := s.Update(ctx, "k", []byte("w"), time.Time{}, rev); return err },
			"Delete": func() error { return s.Delete(ctx, "k") },
			"Keys":   func() error { _, _, err := s.Keys(ctx, "", "", 10); return err },
			"Open":   func() error { _, err := h.open(t).Open(ctx, h.name(), wisp.KVQuota{}); return err },
			"Stores": func() error { _, err := h.open(t).Stores(ctx); return err },
		}
		for name, call := range calls {
			if err := call(); err == nil {
				t.Errorf("%s with a canceled context succeeded", name)
			} else if !errors.Is(err, context.Canceled) {
				t.Logf("%s with a canceled context: %v", name, err)
			}
		}
		wantValue(t, s, "k", "v", rev)
		wantAbsent(t, s, "new")
	}},
}
