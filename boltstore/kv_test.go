package boltstore_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/boltstore"
	"github.com/wisphq/wisp/kvtest"
)

// TestKVConformance runs the key-value suite on one store: each call of
// open returns a new KV value over its database.
func TestKVConformance(t *testing.T) {
	s := openT(t, t.TempDir())
	kvtest.Run(t, func(t *testing.T) wisp.KV { return s.KV() })
}

// TestKVShared runs the several-nodes suite with three KV values over one
// database.
func TestKVShared(t *testing.T) {
	s := openT(t, t.TempDir())
	kvtest.RunShared(t, []wisp.KV{s.KV(), s.KV(), s.KV()})
}

// TestKVSurvivesReopen writes, closes the store, opens the directory
// again and reads: entries, expiries, the store list, the quota counters
// and the revision sequence all come back.
func TestKVSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	quota := wisp.KVQuota{MaxKeys: 3}
	exp := time.Now().Add(time.Hour).Round(0)

	s := mustOpen(t, dir)
	st := openKV(t, s, "default", quota)
	r1 := kvSet(t, st, "a", "one", time.Time{})
	r2 := kvSet(t, st, "b", "two", exp)
	r3 := kvSet(t, st, "c", "three", time.Time{})
	if err := st.Delete(t.Context(), "c"); err != nil {
		t.Fatal(err)
	}
	openKV(t, s, "_hidden", wisp.KVQuota{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(t.Context(), "a"); err == nil {
		t.Fatal("Get through a closed store succeeded")
	}

	s = openT(t, dir)
	st = openKV(t, s, "default", quota)
	for _, want := range []struct {
		key, value string
		rev        uint64
		exp        time.Time
	}{{"a", "one", r1, time.Time{}}, {"b", "two", r2, exp}} {
		e, err := st.Get(t.Context(), want.key)
		if err != nil || string(e.Value) != want.value || e.Revision != want.rev || !e.Expires.Equal(want.exp) {
			t.Fatalf("after reopening, Get(%q) = %+v, %v; want %q at revision %d expiring %v", want.key, e, err, want.value, want.rev, want.exp)
		}
	}
	if _, err := st.Get(t.Context(), "c"); !errors.Is(err, wisp.ErrNotFound) {
		t.Fatalf("after reopening, the deleted key reads %v", err)
	}
	if r := kvSet(t, st, "c", "again", time.Time{}); r <= r3 {
		t.Fatalf("after reopening, a write got revision %d, not above the %d given before", r, r3)
	}
	// Two live keys and "c": the counters came back, so a fourth is refused.
	if _, err := st.Set(t.Context(), "d", nil, time.Time{}); !errors.Is(err, wisp.ErrLimit) {
		t.Fatalf("after reopening, a 4th key with max_keys 3 = %v, want ErrLimit", err)
	}
	names, err := s.KV().Stores(t.Context())
	if err != nil || strings.Join(names, ",") != "default" {
		t.Fatalf("after reopening, Stores() = %q, %v; want [default]", names, err)
	}
}

// TestKVQuotaIsExact fills stores to exactly their quota: bbolt counts
// len(key)+len(value) per live entry and nothing else, in the
// transaction that writes.
func TestKVQuotaIsExact(t *testing.T) {
	s := openT(t, t.TempDir())
	kvtest.RunExactQuota(t, func(t *testing.T) wisp.KV { return s.KV() })
}

func openKV(t *testing.T, s *boltstore.Store, name string, quota wisp.KVQuota) wisp.KVStore {
	t.Helper()
	st, err := s.KV().Open(t.Context(), name, quota)
	if err != nil {
		t.Fatalf("KV().Open(%q): %v", name, err)
	}
	return st
}

func kvSet(t *testing.T, st wisp.KVStore, key, value string, exp time.Time) uint64 {
	t.Helper()
	rev, err := st.Set(t.Context(), key, []byte(value), exp)
	if err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
	return rev
}

// TestKVExpiryRange checks how expiries are kept: to the nanosecond
// within the years int64 Unix nanoseconds reach, and one past 2262 as
// the last of them, still live.
func TestKVExpiryRange(t *testing.T) {
	st := openKV(t, openT(t, t.TempDir()), "exp", wisp.KVQuota{})
	soon := time.Now().Add(time.Hour)
	for _, tc := range []struct {
		name      string
		set, want time.Time
	}{
		{"never", time.Time{}, time.Time{}},
		{"in an hour, to the nanosecond", soon, soon.Round(0)},
		{"in 2262", time.Unix(0, math.MaxInt64-1), time.Unix(0, math.MaxInt64-1)},
		{"in 3000", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(0, math.MaxInt64)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kvSet(t, st, "k", "v", tc.set)
			e, err := st.Get(t.Context(), "k")
			if err != nil || !e.Expires.Equal(tc.want) {
				t.Fatalf("Get after Set expiring %v = %+v, %v; want it expiring %v", tc.set, e, err, tc.want)
			}
		})
	}
}
