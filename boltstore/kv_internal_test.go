package boltstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/testnode"
)

// TestKVCountersMatchEntries runs random writes, deletes, expiries and
// refused writes on a store and checks after each that the counters the
// quota relies on equal what the entries bucket holds.
func TestKVCountersMatchEntries(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	st, err := s.KV().Open(ctx, "c", wisp.KVQuota{MaxKeys: 12, MaxBytes: 400})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	soon := time.Now().Add(30 * time.Millisecond)
	limited := 0
	for i := range 300 {
		key := fmt.Sprintf("k%d", rng.IntN(20))
		value := make([]byte, rng.IntN(60))
		var exp time.Time
		if rng.IntN(4) == 0 {
			exp = soon
		}
		switch op := rng.IntN(10); {
		case op < 5:
			_, err = st.Set(ctx, key, value, exp)
		case op < 6:
			_, err = st.Create(ctx, key, value, exp)
		case op < 7:
			_, _, err = st.Keys(ctx, "", "", 5)
		case op < 8:
			_, err = st.Get(ctx, key)
		default:
			err = st.Delete(ctx, key)
		}
		if err != nil && !isExpected(err) {
			t.Fatalf("op %d: %v", i, err)
		}
		if errors.Is(err, wisp.ErrLimit) {
			limited++
		}
		if i == 150 {
			// Let the entries written with an expiry expire.
			if err := testnode.Poll(time.Second, func() (bool, error) { return time.Now().After(soon), nil }); err != nil {
				t.Fatal(err)
			}
		}
		checkCounters(t, s, "c", i)
	}
	if limited == 0 {
		t.Fatal("no write was refused by the quota: the test did not exercise it")
	}
	t.Logf("%d writes refused by the quota", limited)
}

func isExpected(err error) bool {
	return errors.Is(err, wisp.ErrLimit) || errors.Is(err, wisp.ErrConflict) || errors.Is(err, wisp.ErrNotFound)
}

func checkCounters(t *testing.T, s *Store, name string, step int) {
	t.Helper()
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(kvBucket).Bucket([]byte(name))
		var keys, size int64
		err := b.Bucket(kvEntries).ForEach(func(k, v []byte) error {
			keys++
			size += int64(len(k) + len(v) - kvHeaderBytes)
			return nil
		})
		if err != nil {
			return err
		}
		if gk, gs := counter(b, kvKeysCount), counter(b, kvBytesCount); gk != keys || gs != size {
			return fmt.Errorf("after step %d the counters say %d keys, %d bytes; the entries are %d keys, %d bytes", step, gk, gs, keys, size)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
