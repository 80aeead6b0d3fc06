package natsstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/natstest"
	"github.com/wisphq/wisp/internal/testnode"
	"github.com/wisphq/wisp/natsstore"
)

// concurrently runs n calls of write at once and returns how many
// succeeded; every failure must match wisp.ErrLimit.
func concurrently(t *testing.T, n int, write func(i int) error) int {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = write(i)
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, wisp.ErrLimit):
			t.Errorf("write %d: %v, want success or an error matching wisp.ErrLimit", i, err)
		}
	}
	return ok
}

// streamState returns what JetStream holds in the bucket of store.
func streamState(t *testing.T, nc *nats.Conn, fleet, store string) jetstream.StreamState {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(t.Context(), "KV_"+fleet+"_kv_"+store)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info.State
}

// TestKVQuotaExactThroughOneNode races writes through one KV (as one
// node's) and checks that the store ends exactly at its quota: as many
// writes succeed as a sequential fill lets in, the rest fail with
// wisp.ErrLimit, and the bucket holds no more than the quota.
func TestKVQuotaExactThroughOneNode(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv.URL())
	const fleet = "kvq"
	kv := open(t, nc, fleet).KV()
	// Another fleet of a name as long: its buckets' subjects, so its
	// entries' sizes, are the same.
	seq := open(t, nc, "kvs").KV()
	value := []byte(strings.Repeat("v", 100))
	bigger := []byte(strings.Repeat("w", 300))
	// fits returns how many of n writes of value to new keys fit in a
	// store with quota written one after the other.
	fits := func(t *testing.T, name string, quota wisp.KVQuota, n int) int {
		st, err := seq.Open(t.Context(), name, quota)
		if err != nil {
			t.Fatal(err)
		}
		ok := 0
		for i := range n {
			if _, err := st.Set(t.Context(), fmt.Sprintf("key%02d", i), value, time.Time{}); err == nil {
				ok++
			}
		}
		return ok
	}
	for _, tc := range []struct {
		name, store string
		quota       wisp.KVQuota
		write       func(st wisp.KVStore, i int) error
	}{
		{"Set of new keys, max_keys", "set-keys", wisp.KVQuota{MaxKeys: 10}, func(st wisp.KVStore, i int) error {
			_, err := st.Set(context.Background(), fmt.Sprintf("key%02d", i), value, time.Time{})
			return err
		}},
		{"Create of new keys, max_keys", "create-keys", wisp.KVQuota{MaxKeys: 10}, func(st wisp.KVStore, i int) error {
			_, err := st.Create(context.Background(), fmt.Sprintf("key%02d", i), value, time.Time{})
			return err
		}},
		{"KVIncrement of new keys, max_keys", "incr-keys", wisp.KVQuota{MaxKeys: 10}, func(st wisp.KVStore, i int) error {
			_, err := wisp.KVIncrement(context.Background(), st, fmt.Sprintf("key%02d", i), 1)
			return err
		}},
		{"Set of new keys, max_bytes", "set-bytes", wisp.KVQuota{MaxBytes: 2000}, func(st wisp.KVStore, i int) error {
			_, err := st.Set(context.Background(), fmt.Sprintf("key%02d", i), value, time.Time{})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := tc.store
			want := fits(t, name, tc.quota, 40)
			st, err := kv.Open(t.Context(), name, tc.quota)
			if err != nil {
				t.Fatal(err)
			}
			if ok := concurrently(t, 40, func(i int) error { return tc.write(st, i) }); ok != want {
				t.Errorf("%d of 40 concurrent writes succeeded; one after the other, %d fit", ok, want)
			}
			state := streamState(t, nc, fleet, name)
			if q := tc.quota.MaxKeys; q > 0 && int64(state.NumSubjects) != q {
				t.Errorf("the bucket holds %d keys; max_keys is %d", state.NumSubjects, q)
			}
			if q := tc.quota.MaxBytes; q > 0 && int64(state.Bytes) > q {
				t.Errorf("the bucket holds %d bytes; max_bytes is %d", state.Bytes, q)
			}
		})
	}

	t.Run("growing updates, max_bytes", func(t *testing.T) {
		// 10 keys, then room for a few of them to grow, not all.
		const name = "grow"
		st, err := kv.Open(t.Context(), name, wisp.KVQuota{MaxBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		revs := make([]uint64, 10)
		for i := range revs {
			if revs[i], err = st.Set(t.Context(), fmt.Sprintf("key%02d", i), value, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
		full := int64(streamState(t, nc, fleet, name).Bytes)
		quota := wisp.KVQuota{MaxBytes: full + 3*int64(len(bigger)-len(value)) + 100}
		st, err = kv.Open(t.Context(), name, quota)
		if err != nil {
			t.Fatal(err)
		}
		ok := concurrently(t, 20, func(i int) error {
			key := fmt.Sprintf("key%02d", i%10)
			if i < 10 {
				_, err := st.Update(context.Background(), key, bigger, time.Time{}, revs[i])
				if errors.Is(err, wisp.ErrConflict) {
					return nil // the Set of the same key got there first
				}
				return err
			}
			_, err := st.Set(context.Background(), key, bigger, time.Time{})
			return err
		})
		if got := int64(streamState(t, nc, fleet, name).Bytes); got > quota.MaxBytes {
			t.Errorf("after %d growing writes the bucket holds %d bytes; max_bytes is %d", ok, got, quota.MaxBytes)
		}
		grown := 0
		for i := range 10 {
			e, err := st.Get(t.Context(), fmt.Sprintf("key%02d", i))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(e.Value, bigger) {
				grown++
			}
		}
		if grown != 3 {
			t.Errorf("%d keys grew; the quota has room for 3", grown)
		}
	})

	t.Run("updates that do not grow a full store", func(t *testing.T) {
		const name = "full"
		st, err := kv.Open(t.Context(), name, wisp.KVQuota{MaxKeys: 5})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 4 {
			if _, err := st.Set(t.Context(), fmt.Sprintf("key%02d", i), value, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.Set(t.Context(), "n", []byte("1000"), time.Time{}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Set(t.Context(), "one-more", value, time.Time{}); !errors.Is(err, wisp.ErrLimit) {
			t.Fatalf("Set of a 6th key with max_keys 5 = %v, want wisp.ErrLimit", err)
		}
		ok := concurrently(t, 40, func(i int) error {
			_, err := st.Set(context.Background(), fmt.Sprintf("key%02d", i%4), value, time.Time{})
			return err
		})
		if ok != 40 {
			t.Errorf("%d of 40 Sets of existing keys in a full store succeeded, want all", ok)
		}
		ok = concurrently(t, 20, func(int) error {
			_, err := wisp.KVIncrement(context.Background(), st, "n", 1)
			return err
		})
		if e, err := st.Get(t.Context(), "n"); ok != 20 || err != nil || string(e.Value) != "1020" {
			t.Errorf("%d of 20 increments of an existing key in a full store succeeded, and it reads %q, %v; want all, and 1020", ok, e.Value, err)
		}
	})
}

// TestKVQuotaOutage checks that writes queued behind the quota lock still
// fail within the documented time when NATS is gone, instead of one
// after the other.
func TestKVQuotaOutage(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv.URL())
	st, err := open(t, nc, "kvqo").KV().Open(t.Context(), "default", wisp.KVQuota{MaxKeys: 100})
	if err != nil {
		t.Fatal(err)
	}
	srv.Shutdown()
	if err := testnode.Poll(10*time.Second, func() (bool, error) { return !nc.IsConnected(), nil }); err != nil {
		t.Fatalf("the client still thinks it is connected: %v", err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, 6)
	took := make([]time.Duration, len(errs))
	for i := range errs {
		wg.Go(func() {
			if i%2 == 0 {
				_, errs[i] = st.Set(t.Context(), fmt.Sprintf("new%d", i), nil, time.Time{})
			} else {
				errs[i] = st.Delete(t.Context(), fmt.Sprintf("k%d", i))
			}
			took[i] = time.Since(start)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, wisp.ErrUnavailable) {
			t.Errorf("write %d during the outage = %v, want wisp.ErrUnavailable", i, err)
		}
		if took[i] > outageBound {
			t.Errorf("write %d failed after %s; the documented time is 2 s (bound %s)", i, took[i].Round(time.Millisecond), outageBound)
		}
	}
}

// BenchmarkKVSetQuota measures Sets through one KV into a store with a
// quota, 16 at a time: of new keys (each checks the quota while holding
// the store's lock exclusively) and of existing keys to values of the
// same size (side by side, the lock held shared).
func BenchmarkKVSetQuota(b *testing.B) {
	srv := natstest.Start(b)
	for _, tc := range []struct {
		name     string
		existing bool
	}{{"new keys", false}, {"existing keys", true}} {
		b.Run(tc.name, func(b *testing.B) {
			s, err := natsstore.Open(b.Context(), natstest.Connect(b, srv.URL()), natsstore.Config{Fleet: "kvb"})
			if err != nil {
				b.Fatal(err)
			}
			st, err := s.KV().Open(b.Context(), strings.ReplaceAll(tc.name, " ", "-"), wisp.KVQuota{MaxKeys: 1 << 30, MaxBytes: wisp.DefaultKVBytes})
			if err != nil {
				b.Fatal(err)
			}
			value := make([]byte, 100)
			key := func(i int) string {
				if tc.existing {
					i %= 64
				}
				return fmt.Sprintf("k%d", i)
			}
			if tc.existing {
				for i := range 64 {
					if _, err := st.Set(b.Context(), key(i), value, time.Time{}); err != nil {
						b.Fatal(err)
					}
				}
			}
			const writers = 16
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					for i := w; i < b.N; i += writers {
						if _, err := st.Set(b.Context(), key(i), value, time.Time{}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

// TestKVBucketReservesNoStorage checks that a store's bucket has a key
// limit but no byte limit: JetStream reserves a stream's MaxBytes from the
// servers' max_file_store as soon as it exists, which would make every
// empty store cost its whole quota of disk budget.
func TestKVBucketReservesNoStorage(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv.URL())
	s := open(t, nc, "wisp")
	if _, err := s.KV().Open(t.Context(), "res", wisp.KVQuota{MaxKeys: 10, MaxBytes: 1 << 30}); err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(t.Context(), "KV_wisp_kv_res")
	if err != nil {
		t.Fatal(err)
	}
	if cfg := st.CachedInfo().Config; cfg.MaxBytes != -1 || cfg.MaxMsgs != 10+1024 {
		t.Errorf("bucket limits: max_bytes %d, max_msgs %d; want -1 and %d", cfg.MaxBytes, cfg.MaxMsgs, 10+1024)
	}
}
