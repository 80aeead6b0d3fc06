package boltstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/testnode"
)

// groupRun is what one run of a write's function saw.
type groupRun struct {
	call int
	tx   int
}

// blockedCommitter returns a committer whose first call has started and
// waits for bbolt's writer, which the test holds until it calls release;
// calls made before then queue for the next group.
func blockedCommitter(t *testing.T) (c *kvCommitter, db *bolt.DB, release func()) {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	holder, err := s.db.Begin(true)
	if err != nil {
		t.Fatal(err)
	}
	return &kvCommitter{db: s.db}, s.db, func() { _ = holder.Rollback() }
}

// waitQueued waits until n calls wait for the next group.
func waitQueued(t *testing.T, c *kvCommitter, n int) {
	t.Helper()
	err := testnode.Poll(5*time.Second, func() (bool, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.running && len(c.queue) == n, nil
	})
	if err != nil {
		t.Fatalf("%d calls never queued: %v", n, err)
	}
}

// TestKVCommitterGroups checks that calls arriving while a commit runs
// go together in the next transaction, that a function that fails (or
// panics) gets its own error while the rest of its group commits without
// it, and that a group that changes nothing is not committed.
func TestKVCommitterGroups(t *testing.T) {
	errOwn := errors.New("this write's own failure")
	for _, tc := range []struct {
		name    string
		failing int  // the call that fails, -1: none
		panics  bool // it panics rather than failing
	}{
		{"all succeed", -1, false},
		{"one fails", 3, false},
		{"one panics", 5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, db, release := blockedCommitter(t)
			var mu sync.Mutex
			var runs []groupRun
			write := func(i int) kvWrite {
				return func(tx *bolt.Tx) (bool, error) {
					mu.Lock()
					runs = append(runs, groupRun{i, tx.ID()})
					mu.Unlock()
					b, err := tx.CreateBucketIfNotExists([]byte("t"))
					if err != nil {
						return false, err
					}
					if err := b.Put(fmt.Append(nil, i), []byte("v")); err != nil {
						return false, err
					}
					if i == tc.failing {
						if tc.panics {
							panic("boom")
						}
						return true, errOwn
					}
					return true, nil
				}
			}
			const n = 10
			errs := make([]error, n+1)
			var wg sync.WaitGroup
			wg.Go(func() { errs[n] = c.do(write(n)) }) // the first: it leads
			waitQueued(t, c, 0)
			for i := range n {
				wg.Go(func() { errs[i] = c.do(write(i)) })
			}
			waitQueued(t, c, n)
			release()
			wg.Wait()

			for i, err := range errs {
				switch {
				case i == tc.failing && tc.panics && (err == nil || errors.Is(err, errOwn)):
					t.Errorf("call %d panicked and returned %v", i, err)
				case i == tc.failing && !tc.panics && !errors.Is(err, errOwn):
					t.Errorf("call %d failed and returned %v, want its own error", i, err)
				case i != tc.failing && err != nil:
					t.Errorf("call %d: %v", i, err)
				}
			}
			// The queued calls ran in one transaction, apart from the first
			// call's; with a failure, the others ran again in another.
			lastTx := map[int]int{}
			for _, r := range runs {
				lastTx[r.call] = r.tx
			}
			group := lastTx[0]
			if tc.failing == 0 {
				group = lastTx[1]
			}
			for i := range n {
				if i != tc.failing && lastTx[i] != group {
					t.Errorf("queued call %d committed in transaction %d, call 0 in %d: not one group", i, lastTx[i], group)
				}
			}
			if lastTx[n] == group {
				t.Errorf("the first call ran in the queued calls' transaction %d", group)
			}
			_ = db.View(func(tx *bolt.Tx) error {
				for i := range n + 1 {
					if got := tx.Bucket([]byte("t")).Get(fmt.Append(nil, i)) != nil; got != (i != tc.failing) {
						t.Errorf("key %d stored: %v", i, got)
					}
				}
				return nil
			})
		})
	}

	t.Run("no change, no commit", func(t *testing.T) {
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		c := &kvCommitter{db: s.db}
		writes := func() int64 { st := s.db.Stats(); return st.TxStats.GetWrite() }
		before := writes()
		if err := c.do(func(*bolt.Tx) (bool, error) { return false, nil }); err != nil {
			t.Fatal(err)
		}
		if w := writes() - before; w != 0 {
			t.Errorf("a group that changed nothing wrote %d pages", w)
		}
	})
}

// TestKVConcurrentWritesExact races Creates and Sets of distinct keys
// into a store with a quota: exactly max_keys succeed, every revision is
// unique, and the counters match the entries.
func TestKVConcurrentWritesExact(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := s.KV().Open(context.Background(), "c", wisp.KVQuota{MaxKeys: 20})
	if err != nil {
		t.Fatal(err)
	}
	const n = 64
	revs := make([]uint64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			key := fmt.Sprintf("k%d", i)
			if i%2 == 0 {
				revs[i], errs[i] = st.Create(context.Background(), key, []byte("v"), time.Time{})
			} else {
				revs[i], errs[i] = st.Set(context.Background(), key, []byte("v"), time.Time{})
			}
		})
	}
	wg.Wait()
	ok := 0
	seen := map[uint64]int{}
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
			if j, dup := seen[revs[i]]; dup {
				t.Errorf("writes %d and %d both got revision %d", j, i, revs[i])
			}
			seen[revs[i]] = i
		case !errors.Is(err, wisp.ErrLimit):
			t.Errorf("write %d: %v", i, err)
		}
	}
	if ok != 20 {
		t.Errorf("%d of %d racing writes of new keys succeeded with max_keys 20", ok, n)
	}
	checkCounters(t, s, "c", n)
}
