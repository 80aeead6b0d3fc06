package kvtest

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wisphq/wisp"
)

var incrementCases = []testCase{
	{"AbsentCountsAsZero", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		for _, step := range []struct{ delta, want int64 }{{5, 5}, {-7, -2}, {0, -2}, {2, 0}} {
			n, err := wisp.KVIncrement(t.Context(), s, "n", step.delta)
			if err != nil || n != step.want {
				t.Fatalf("KVIncrement(%d) = %d, %v; want %d", step.delta, n, err, step.want)
			}
		}
		wantValue(t, s, "n", "0", 0)
	}},
	{"NotANumberInvalid", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		for _, v := range []string{"", "abc", "1.5", " 1", "1 ", "0x10", "99999999999999999999"} {
			rev := set(t, s, "n", v)
			_, err := wisp.KVIncrement(t.Context(), s, "n", 1)
			wantErr(t, fmt.Sprintf("KVIncrement of %q", v), err, wisp.ErrInvalid)
			wantValue(t, s, "n", v, rev)
		}
	}},
	{"OverflowLimit", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		for _, c := range []struct {
			start int64
			delta int64
		}{{math.MaxInt64, 1}, {math.MinInt64, -1}, {1, math.MaxInt64}, {-2, math.MinInt64}} {
			v := strconv.FormatInt(c.start, 10)
			rev := set(t, s, "n", v)
			_, err := wisp.KVIncrement(t.Context(), s, "n", c.delta)
			wantErr(t, fmt.Sprintf("KVIncrement of %d by %d", c.start, c.delta), err, wisp.ErrLimit)
			wantValue(t, s, "n", v, rev)
		}
		set(t, s, "n", "-1")
		if n, err := wisp.KVIncrement(t.Context(), s, "n", math.MinInt64+1); err != nil || n != math.MinInt64 {
			t.Fatalf("KVIncrement down to the smallest int64 = %d, %v", n, err)
		}
	}},
	{"KeepsExpiry", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		exp := time.Now().Add(time.Hour)
		if _, err := s.Set(t.Context(), "n", []byte("41"), exp); err != nil {
			t.Fatal(err)
		}
		if n, err := wisp.KVIncrement(t.Context(), s, "n", 1); err != nil || n != 42 {
			t.Fatalf("KVIncrement = %d, %v; want 42", n, err)
		}
		if e := get(t, s, "n"); string(e.Value) != "42" || !e.Expires.Equal(exp) {
			t.Fatalf("after KVIncrement the entry is %q expiring %v; want 42 expiring %v", e.Value, e.Expires, exp)
		}
	}},
	{"ConcurrentExactCount", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		concurrentIncrements(t, []wisp.KVStore{s}, 8, 20)
	}},
}

var casCases = []testCase{
	{"Rules", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		steps := []struct {
			name         string
			old          string
			expectAbsent bool
			new          string
			swapped      bool
			after        string
			absent       bool // after is "absent"
		}{
			{"absent, old given", "x", false, "y", false, "", true},
			{"absent, expected absent", "", true, "first", true, "first", false},
			{"present, expected absent", "", true, "other", false, "first", false},
			{"value differs", "wrong", false, "other", false, "first", false},
			{"value matches", "first", false, "second", true, "second", false},
			{"prefix of the value", "sec", false, "other", false, "second", false},
			{"to empty", "second", false, "", true, "", false},
			{"from empty", "", false, "third", true, "third", false},
		}
		for _, st := range steps {
			ok, err := wisp.KVCompareAndSwap(t.Context(), s, "k", []byte(st.old), st.expectAbsent, []byte(st.new))
			if err != nil || ok != st.swapped {
				t.Fatalf("%s: KVCompareAndSwap(%q, absent %v, %q) = %v, %v; want %v", st.name, st.old, st.expectAbsent, st.new, ok, err, st.swapped)
			}
			if st.absent {
				wantAbsent(t, s, "k")
			} else {
				wantValue(t, s, "k", st.after, 0)
			}
		}
	}},
	{"KeepsExpiry", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		exp := time.Now().Add(time.Hour)
		if _, err := s.Set(t.Context(), "k", []byte("a"), exp); err != nil {
			t.Fatal(err)
		}
		if ok, err := wisp.KVCompareAndSwap(t.Context(), s, "k", []byte("a"), false, []byte("b")); err != nil || !ok {
			t.Fatalf("KVCompareAndSwap = %v, %v", ok, err)
		}
		if e := get(t, s, "k"); string(e.Value) != "b" || !e.Expires.Equal(exp) {
			t.Fatalf("after the swap the entry is %q expiring %v; want b expiring %v", e.Value, e.Expires, exp)
		}
	}},
	{"ConcurrentOneWinner", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		swaps := concurrentSwaps(t, []wisp.KVStore{s}, 12)
		if swaps != 1 {
			t.Fatalf("%d of 12 concurrent swaps from absent succeeded, want exactly 1", swaps)
		}
	}},
}

// concurrentIncrements increments one key through every store, with
// workers goroutines per store each adding 1 times times, and checks the
// final count through every store.
func concurrentIncrements(t *testing.T, stores []wisp.KVStore, workers, times int) {
	t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, s := range stores {
		for range workers {
			wg.Go(func() {
				for range times {
					if _, err := wisp.KVIncrement(t.Context(), s, "counter", 1); err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
						return
					}
				}
			})
		}
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d workers' KVIncrement failed, first: %v", len(errs), errs[0])
	}
	want := strconv.Itoa(len(stores) * workers * times)
	for i, s := range stores {
		if e := get(t, s, "counter"); string(e.Value) != want {
			t.Fatalf("after %d concurrent increments through %d stores, store %d reads %q", len(stores)*workers*times, len(stores), i, e.Value)
		}
	}
}

// concurrentSwaps has n goroutines spread over stores swap one absent key
// at once and returns how many swapped.
func concurrentSwaps(t *testing.T, stores []wisp.KVStore, n int) int {
	t.Helper()
	var wg sync.WaitGroup
	var swapped atomic.Int64
	errs := make(chan error, n)
	for i := range n {
		s := stores[i%len(stores)]
		wg.Go(func() {
			ok, err := wisp.KVCompareAndSwap(context.WithoutCancel(t.Context()), s, "once", nil, true, []byte(strconv.Itoa(i)))
			if err != nil {
				errs <- err
			}
			if ok {
				swapped.Add(1)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("a concurrent KVCompareAndSwap failed: %v", err)
	}
	return int(swapped.Load())
}
