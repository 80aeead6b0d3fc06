package kvtest

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisphq/wisp"
)

var openCases = []testCase{
	{"InvalidNamesRefused", func(t *testing.T, h *harness) {
		kv := h.open(t)
		for _, name := range []string{"", "Default", "-x", "a.b", "a b", "_", "__x", "_-x", strings.Repeat("a", 64), "ключ"} {
			_, err := kv.Open(t.Context(), name, wisp.KVQuota{})
			wantErr(t, "Open("+name+")", err, wisp.ErrInvalid)
		}
	}},
	{"ReservedNamesAcceptedButNotListed", func(t *testing.T, h *harness) {
		kv := h.open(t)
		plain, hidden := h.name(), "_"+h.name()
		for _, name := range []string{plain, hidden} {
			s := openStore(t, kv, name, wisp.KVQuota{})
			set(t, s, "k", name)
		}
		names, err := kv.Stores(t.Context())
		if err != nil {
			t.Fatalf("Stores: %v", err)
		}
		if !slices.Contains(names, plain) {
			t.Errorf("Stores() = %q, want it to list %q", names, plain)
		}
		for _, n := range names {
			if strings.HasPrefix(n, wisp.KVReservedPrefix) {
				t.Errorf("Stores() lists %q; names starting with %q are the node's own", n, wisp.KVReservedPrefix)
			}
		}
		wantValue(t, openStore(t, h.open(t), hidden, wisp.KVQuota{}), "k", hidden, 0)
	}},
	{"StoresListsOpenedStoresSorted", func(t *testing.T, h *harness) {
		kv := h.open(t)
		a, b := h.name()+"-b", h.name()+"-a"
		openStore(t, kv, a, wisp.KVQuota{})
		openStore(t, kv, b, wisp.KVQuota{}) // empty stores exist too
		names, err := h.open(t).Stores(t.Context())
		if err != nil {
			t.Fatalf("Stores: %v", err)
		}
		if !slices.IsSorted(names) {
			t.Errorf("Stores() = %q, not sorted", names)
		}
		for _, n := range []string{a, b} {
			if !slices.Contains(names, n) {
				t.Errorf("Stores() = %q, want it to list %q", names, n)
			}
		}
	}},
	{"SameNameSameData", func(t *testing.T, h *harness) {
		s, name := h.store(t, wisp.KVQuota{})
		rev := set(t, s, "k", "v")
		wantValue(t, openStore(t, h.open(t), name, wisp.KVQuota{}), "k", "v", rev)
	}},
	{"StoresAreSeparate", func(t *testing.T, h *harness) {
		s1, _ := h.store(t, wisp.KVQuota{})
		s2, _ := h.store(t, wisp.KVQuota{})
		set(t, s1, "k", "one")
		wantAbsent(t, s2, "k")
		wantKeys(t, s2, "")
	}},
}

var getCases = []testCase{
	{"AbsentIsNotFound", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		wantAbsent(t, s, "nothing-here")
	}},
	{"ReturnsWhatSetStored", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		rev := set(t, s, "k", "hello")
		e := get(t, s, "k")
		if string(e.Value) != "hello" || e.Revision != rev || !e.Expires.IsZero() {
			t.Fatalf("Get = %+v, want value hello, revision %d, no expiry", e, rev)
		}
	}},
	{"NoSharedSlices", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		in := []byte("original")
		if _, err := s.Set(t.Context(), "k", in, time.Time{}); err != nil {
			t.Fatal(err)
		}
		copy(in, "CHANGED!")
		out := get(t, s, "k").Value
		copy(out, "mutated!")
		wantValue(t, s, "k", "original", 0)
	}},
}

var setCases = []testCase{
	{"Overwrites", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		set(t, s, "k", "one")
		rev := set(t, s, "k", "two")
		wantValue(t, s, "k", "two", rev)
	}},
	{"RevisionsIncrease", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		last := uint64(0)
		for i, key := range []string{"a", "a", "b", "a", "b", "b"} {
			rev := set(t, s, key, key)
			if rev <= last {
				t.Fatalf("write %d (key %q) got revision %d after %d; revisions only grow", i, key, rev, last)
			}
			last = rev
		}
	}},
	{"EmptyValue", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		rev := set(t, s, "k", "")
		if e := get(t, s, "k"); len(e.Value) != 0 || e.Revision != rev {
			t.Fatalf("Get of an empty value = %+v, want an empty value at revision %d", e, rev)
		}
		wantKeys(t, s, "", "k")
	}},
	{"LargeValue", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		big := bytes.Repeat([]byte("0123456789abcdef"), wisp.DefaultKVValue/16)
		if _, err := s.Set(t.Context(), "big", big, time.Time{}); err != nil {
			t.Fatalf("Set of %d bytes: %v", len(big), err)
		}
		if e := get(t, s, "big"); !bytes.Equal(e.Value, big) {
			t.Fatalf("Get of the %d-byte value returned %d bytes that differ", len(big), len(e.Value))
		}
		cas := big[:len(big)-4096]
		rev, err := s.Create(t.Context(), "big2", cas, time.Time{})
		if err != nil {
			t.Fatalf("Create of %d bytes: %v", len(cas), err)
		}
		cas[0] = 'X'
		if _, err = s.Update(t.Context(), "big2", cas, time.Now().Add(time.Hour), rev); err != nil {
			t.Fatalf("Update of %d bytes with an expiry: %v", len(cas), err)
		}
		if e := get(t, s, "big2"); !bytes.Equal(e.Value, cas) {
			t.Fatalf("Get of the updated %d-byte value returned %d bytes that differ", len(cas), len(e.Value))
		}
	}},
}

var createCases = []testCase{
	{"Absent", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		rev, err := s.Create(t.Context(), "k", []byte("v"), time.Time{})
		if err != nil || rev == 0 {
			t.Fatalf("Create of an absent key = %d, %v", rev, err)
		}
		wantValue(t, s, "k", "v", rev)
	}},
	{"ExistingConflicts", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		rev := set(t, s, "k", "first")
		_, err := s.Create(t.Context(), "k", []byte("second"), time.Time{})
		wantErr(t, "Create of an existing key", err, wisp.ErrConflict)
		wantValue(t, s, "k", "first", rev)
	}},
	{"AfterDelete", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		old := set(t, s, "k", "first")
		if err := s.Delete(t.Context(), "k"); err != nil {
			t.Fatal(err)
		}
		rev, err := s.Create(t.Context(), "k", []byte("again"), time.Time{})
		if err != nil {
			t.Fatalf("Create after Delete: %v", err)
		}
		if rev <= old {
			t.Fatalf("Create after Delete got revision %d, not above the deleted entry's %d", rev, old)
		}
	}},
	{"ConcurrentOneWinner", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		const n = 16
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { _, errs[i] = s.Create(t.Context(), "k", []byte{byte('a' + i)}, time.Time{}) })
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("Creates %d and %d of one key both succeeded", winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, wisp.ErrConflict):
				t.Fatalf("a losing Create = %v, want an error wrapping wisp.ErrConflict", err)
			}
		}
		if winner < 0 {
			t.Fatal("no Create of the key succeeded")
		}
		wantValue(t, s, "k", string(rune('a'+winner)), 0)
	}},
}

var updateCases = []testCase{
	{"AtRevision", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		rev := set(t, s, "k", "one")
		next, err := s.Update(t.Context(), "k", []byte("two"), time.Time{}, rev)
		if err != nil {
			t.Fatalf("Update at the current revision: %v", err)
		}
		if next <= rev {
			t.Fatalf("Update got revision %d after %d", next, rev)
		}
		wantValue(t, s, "k", "two", next)
	}},
	{"StaleRevisionConflicts", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		old := set(t, s, "k", "one")
		cur := set(t, s, "k", "two")
		for _, rev := range []uint64{old, cur + 1000, 0} {
			_, err := s.Update(t.Context(), "k", []byte("three"), time.Time{}, rev)
			wantErr(t, "Update at a revision that is not the key's", err, wisp.ErrConflict)
		}
		wantValue(t, s, "k", "two", cur)
	}},
	{"AbsentConflicts", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		other := set(t, s, "other", "x")
		_, err := s.Update(t.Context(), "k", []byte("v"), time.Time{}, other)
		wantErr(t, "Update of an absent key", err, wisp.ErrConflict)
		wantAbsent(t, s, "k")
	}},
	{"DeletedConflicts", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		rev := set(t, s, "k", "v")
		if err := s.Delete(t.Context(), "k"); err != nil {
			t.Fatal(err)
		}
		_, err := s.Update(t.Context(), "k", []byte("back"), time.Time{}, rev)
		wantErr(t, "Update of a deleted key at its last revision", err, wisp.ErrConflict)
		wantAbsent(t, s, "k")
	}},
}

var deleteCases = []testCase{
	{"Removes", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		set(t, s, "k", "v")
		set(t, s, "keep", "v")
		if err := s.Delete(t.Context(), "k"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		wantAbsent(t, s, "k")
		wantKeys(t, s, "", "keep")
	}},
	{"AbsentIsNotAnError", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		for range 2 {
			if err := s.Delete(t.Context(), "never-there"); err != nil {
				t.Fatalf("Delete of an absent key: %v", err)
			}
		}
	}},
	{"RevisionsNotReused", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		revs := map[uint64]bool{}
		for i := range 5 {
			rev := set(t, s, "k", "v")
			if revs[rev] {
				t.Fatalf("round %d: revision %d given again after a delete", i, rev)
			}
			revs[rev] = true
			if err := s.Delete(t.Context(), "k"); err != nil {
				t.Fatal(err)
			}
		}
	}},
}
