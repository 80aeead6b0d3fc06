package wisp_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/memstore"
)

func TestValidateKVStoreOpenName(t *testing.T) {
	cases := []struct {
		name string
		ok   bool
	}{
		{"default", true},
		{"_variables", true},
		{"_a", true},
		{"a_b-c9", true},
		{"_", false},
		{"__variables", false},
		{"_-x", false},
		{"_Variables", false},
		{"", false},
		{"Default", false},
		{"_" + strings.Repeat("a", 63), true},
		{"_" + strings.Repeat("a", 64), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := wisp.ValidateKVStoreOpenName(c.name)
			if c.ok != (err == nil) || (err != nil && !errors.Is(err, wisp.ErrInvalid)) {
				t.Fatalf("ValidateKVStoreOpenName(%q) = %v, want ok=%v", c.name, err, c.ok)
			}
		})
	}
}

// racingStore is a KVStore whose entry changes between every read and
// write: Get returns the entry, and every Create and Update conflicts.
type racingStore struct {
	wisp.KVStore
	value   string
	present bool
	writes  atomic.Int64
}

func (s *racingStore) Get(ctx context.Context, key string) (wisp.KVEntry, error) {
	if !s.present {
		return wisp.KVEntry{}, fmt.Errorf("key %q: %w", key, wisp.ErrNotFound)
	}
	return wisp.KVEntry{Value: []byte(s.value), Revision: uint64(s.writes.Load() + 1)}, nil
}

func (s *racingStore) Create(ctx context.Context, key string, value []byte, expires time.Time) (uint64, error) {
	s.writes.Add(1)
	return 0, fmt.Errorf("key %q exists: %w", key, wisp.ErrConflict)
}

func (s *racingStore) Update(ctx context.Context, key string, value []byte, expires time.Time, revision uint64) (uint64, error) {
	s.writes.Add(1)
	return 0, fmt.Errorf("key %q changed: %w", key, wisp.ErrConflict)
}

// TestKVAtomicsGiveUpAfterLosingEveryRace checks that a writer that always
// loses stops after KVAtomicAttempts attempts with ErrConflict, and that
// a context ending during the backoff stops it at once.
func TestKVAtomicsGiveUpAfterLosingEveryRace(t *testing.T) {
	calls := []struct {
		name string
		s    *racingStore
		call func(context.Context, wisp.KVStore) error
	}{
		{"increment", &racingStore{value: "1", present: true}, func(ctx context.Context, s wisp.KVStore) error {
			_, err := wisp.KVIncrement(ctx, s, "n", 1)
			return err
		}},
		{"increment absent", &racingStore{}, func(ctx context.Context, s wisp.KVStore) error {
			_, err := wisp.KVIncrement(ctx, s, "n", 1)
			return err
		}},
		{"compare-and-swap", &racingStore{value: "a", present: true}, func(ctx context.Context, s wisp.KVStore) error {
			_, err := wisp.KVCompareAndSwap(ctx, s, "k", []byte("a"), false, []byte("b"))
			return err
		}},
		{"compare-and-swap absent", &racingStore{}, func(ctx context.Context, s wisp.KVStore) error {
			_, err := wisp.KVCompareAndSwap(ctx, s, "k", nil, true, []byte("b"))
			return err
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // each backs off for about half a second
			err := c.call(t.Context(), c.s)
			if !errors.Is(err, wisp.ErrConflict) || !strings.Contains(err.Error(), "raced with other writers") {
				t.Fatalf("error = %v, want one wrapping wisp.ErrConflict that says it raced", err)
			}
			if n := c.s.writes.Load(); n != wisp.KVAtomicAttempts {
				t.Fatalf("%d writes, want %d", n, wisp.KVAtomicAttempts)
			}

			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
			defer cancel()
			start := time.Now()
			err = c.call(ctx, &racingStore{value: c.s.value, present: c.s.present})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("with a 20 ms context: %v, want context.DeadlineExceeded", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("with a 20 ms context it returned after %s", d)
			}
		})
	}
}

// failingStore fails every read with err.
type failingStore struct {
	wisp.KVStore
	err error
}

func (s failingStore) Get(ctx context.Context, key string) (wisp.KVEntry, error) {
	return wisp.KVEntry{}, s.err
}

func TestKVAtomicsPassOnStoreErrors(t *testing.T) {
	down := fmt.Errorf("store down: %w", wisp.ErrUnavailable)
	s := failingStore{err: down}
	if _, err := wisp.KVIncrement(t.Context(), s, "n", 1); !errors.Is(err, wisp.ErrUnavailable) {
		t.Fatalf("KVIncrement on a failing store = %v", err)
	}
	if _, err := wisp.KVCompareAndSwap(t.Context(), s, "n", nil, true, nil); !errors.Is(err, wisp.ErrUnavailable) {
		t.Fatalf("KVCompareAndSwap on a failing store = %v", err)
	}
}

func TestKVIncrementNamesTheBadValue(t *testing.T) {
	s, err := memstore.NewKV().Open(t.Context(), "default", wisp.KVQuota{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Set(t.Context(), "n", []byte("twelve"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	_, err = wisp.KVIncrement(t.Context(), s, "n", 1)
	if !errors.Is(err, wisp.ErrInvalid) || !strings.Contains(err.Error(), `"n"`) || !strings.Contains(err.Error(), `"twelve"`) {
		t.Fatalf("KVIncrement of \"twelve\" = %v, want an ErrInvalid naming the key and the value", err)
	}
}

func ExampleKVIncrement() {
	ctx := context.Background()
	s, err := memstore.NewKV().Open(ctx, "default", wisp.KVQuota{})
	if err != nil {
		panic(err)
	}
	for range 3 {
		if _, err := wisp.KVIncrement(ctx, s, "hits", 1); err != nil {
			panic(err)
		}
	}
	n, err := wisp.KVIncrement(ctx, s, "hits", 10)
	fmt.Println(n, err)
	// Output: 13 <nil>
}

func ExampleKVCompareAndSwap() {
	ctx := context.Background()
	s, err := memstore.NewKV().Open(ctx, "default", wisp.KVQuota{})
	if err != nil {
		panic(err)
	}
	claimed, _ := wisp.KVCompareAndSwap(ctx, s, "leader", nil, true, []byte("node-a"))
	again, _ := wisp.KVCompareAndSwap(ctx, s, "leader", nil, true, []byte("node-b"))
	handed, _ := wisp.KVCompareAndSwap(ctx, s, "leader", []byte("node-a"), false, []byte("node-b"))
	fmt.Println(claimed, again, handed)
	// Output: true false true
}
