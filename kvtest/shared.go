package kvtest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/testnode"
)

// ListLag is how long RunShared waits for a key written through one KV to
// be listed by Keys through another. Get must see it at once; a listing
// may lag that long (natsstore lists through a JetStream consumer, which
// the cluster may place on a replica a moment behind).
const ListLag = 2 * time.Second

// RunShared checks several KV values over the same data, as the nodes of
// a fleet share one: a write through one is read through every other
// (Get at once, Keys within ListLag); a delete is seen the same way;
// concurrent KVIncrement calls through all of them on one key end at the
// exact count, and of concurrent swaps of an absent key exactly one
// wins. kvs needs at least 2 values.
func RunShared(t *testing.T, kvs []wisp.KV) {
	t.Helper()
	if len(kvs) < 2 {
		t.Fatalf("kvtest.RunShared: %d KV values; pass at least 2 over the same data", len(kvs))
	}
	prefix := fmt.Sprintf("ks%06x", rand.N(1<<24))
	n := 0
	stores := func(t *testing.T) []wisp.KVStore {
		n++
		name := fmt.Sprintf("%s-%d", prefix, n)
		ss := make([]wisp.KVStore, len(kvs))
		for i, kv := range kvs {
			ss[i] = openStore(t, kv, name, wisp.KVQuota{})
		}
		return ss
	}
	t.Run("WriteThroughOneReadThroughAnother", func(t *testing.T) {
		ss := stores(t)
		for i, s := range ss {
			other := ss[(i+1)%len(ss)]
			key := fmt.Sprintf("from-%d", i)
			rev := set(t, s, key, "hello")
			wantValue(t, other, key, "hello", rev)
			rev = set(t, s, key, "again")
			wantValue(t, other, key, "again", rev)
			waitListed(t, other, key, true)
			if err := s.Delete(t.Context(), key); err != nil {
				t.Fatal(err)
			}
			wantAbsent(t, other, key)
			waitListed(t, other, key, false)
		}
	})
	t.Run("ConcurrentIncrementsExactCount", func(t *testing.T) {
		concurrentIncrements(t, stores(t), 4, 10)
	})
	t.Run("ConcurrentSwapsOneWinner", func(t *testing.T) {
		if swaps := concurrentSwaps(t, stores(t), 4*len(kvs)); swaps != 1 {
			t.Fatalf("%d of %d concurrent swaps from absent through %d KVs succeeded, want exactly 1", swaps, 4*len(kvs), len(kvs))
		}
	})
	t.Run("StoresListedEverywhere", func(t *testing.T) {
		ss := stores(t)
		set(t, ss[0], "k", "v")
		name := fmt.Sprintf("%s-%d", prefix, n)
		for i, kv := range kvs {
			names, err := kv.Stores(t.Context())
			if err != nil {
				t.Fatalf("Stores through KV %d: %v", i, err)
			}
			if !slices.Contains(names, name) {
				t.Fatalf("Stores through KV %d = %q, want it to list %q", i, names, name)
			}
		}
	})
}

// waitListed waits up to ListLag for Keys to list key (listed) or not.
func waitListed(t *testing.T, s wisp.KVStore, key string, listed bool) {
	t.Helper()
	start := time.Now()
	err := testnode.Poll(ListLag, func() (bool, error) {
		keys, _, err := s.Keys(t.Context(), key, "", 10)
		return slices.Contains(keys, key) == listed, err
	})
	if err != nil {
		t.Fatalf("Keys through another KV, waiting for %q to be listed=%v: %v", key, listed, err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Logf("Keys through another KV listed %q=%v after %s", key, listed, d.Round(time.Millisecond))
	}
}
