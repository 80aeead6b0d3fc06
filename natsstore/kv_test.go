package natsstore_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/natstest"
	"github.com/wisphq/wisp/internal/testnode"
	"github.com/wisphq/wisp/kvtest"
	"github.com/wisphq/wisp/natsstore"
)

// TestKVConformance runs the key-value suite on one NATS server; each
// call of open makes a new connection and binds the fleet again, as
// another node would.
func TestKVConformance(t *testing.T) {
	srv := natstest.Start(t)
	kvtest.Run(t, func(t *testing.T) wisp.KV {
		return open(t, natstest.Connect(t, srv.URL()), "kvt").KV()
	})
}

// TestKVConformanceCluster runs the suite on a 3-server cluster, where
// the buckets have 3 replicas and each KV connects to another server.
func TestKVConformanceCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the cluster run")
	}
	servers := natstest.StartCluster(t, 3)
	var mu sync.Mutex
	next := 0
	kvtest.Run(t, func(t *testing.T) wisp.KV {
		mu.Lock()
		srv := servers[next%len(servers)]
		next++
		mu.Unlock()
		s := open(t, natstest.Connect(t, srv.URL()), "kvc")
		if r := s.Replicas(t.Context()); r != 3 {
			t.Fatalf("buckets on a 3-server cluster have %d replicas, want 3", r)
		}
		return s.KV()
	})
}

// TestKVShared runs the several-nodes suite with three nodes, each
// connected to its own server of a cluster.
func TestKVShared(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the cluster run")
	}
	servers := natstest.StartCluster(t, 3)
	var kvs []wisp.KV
	for _, srv := range servers {
		kvs = append(kvs, open(t, natstest.Connect(t, srv.URL()), "kvs").KV())
	}
	kvtest.RunShared(t, kvs)
}

// TestKVOutage stops the only NATS server: every key-value call fails
// with wisp.ErrUnavailable within outageBound; once the server is back,
// calls succeed again and what was written before is there (the server
// keeps its store on disk).
func TestKVOutage(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv.URL())
	kv := open(t, nc, "kvo").KV()
	st, err := kv.Open(t.Context(), "default", wisp.KVQuota{})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := st.Set(t.Context(), "k", []byte("before"), time.Time{})
	if err != nil {
		t.Fatal(err)
	}

	srv.Shutdown()
	if err := testnode.Poll(10*time.Second, func() (bool, error) { return !nc.IsConnected(), nil }); err != nil {
		t.Fatalf("the client still thinks it is connected: %v", err)
	}
	calls := []storeCall{
		{"Get", func(ctx context.Context) error { _, err := st.Get(ctx, "k"); return err }},
		{"Set", func(ctx context.Context) error { _, err := st.Set(ctx, "k2", nil, time.Time{}); return err }},
		{"Create", func(ctx context.Context) error { _, err := st.Create(ctx, "k3", nil, time.Time{}); return err }},
		{"Update", func(ctx context.Context) error { _, err := st.Update(ctx, "u", nil, time.Time{}, rev); return err }},
		// A write that failed may still land once the client reconnects
		// (it waits in the client's reconnect buffer), so none touches "k".
		{"Delete", func(ctx context.Context) error { return st.Delete(ctx, "gone") }},
		{"Keys", func(ctx context.Context) error { _, _, err := st.Keys(ctx, "", "", 10); return err }},
		{"Stores", func(ctx context.Context) error { _, err := kv.Stores(ctx); return err }},
		{"Open", func(ctx context.Context) error { _, err := kv.Open(ctx, "other", wisp.KVQuota{}); return err }},
		{"KVIncrement", func(ctx context.Context) error { _, err := wisp.KVIncrement(ctx, st, "n", 1); return err }},
	}
	outcomes := callAll(t.Context(), calls)
	for i, c := range calls {
		o := outcomes[i]
		t.Logf("%s after %s: %v", c.name, o.took.Round(time.Millisecond), o.err)
		if !errors.Is(o.err, wisp.ErrUnavailable) {
			t.Errorf("%s during the outage = %v, want an error matching wisp.ErrUnavailable", c.name, o.err)
		}
		if o.took > outageBound {
			t.Errorf("%s failed after %s; the documented time is 2 s (bound %s)", c.name, o.took.Round(time.Millisecond), outageBound)
		}
	}

	srv.Restart(t)
	err = testnode.Poll(20*time.Second, func() (bool, error) {
		e, err := st.Get(t.Context(), "k")
		if errors.Is(err, wisp.ErrUnavailable) {
			return false, nil
		}
		if err != nil || string(e.Value) != "before" || e.Revision != rev {
			t.Fatalf("after the server came back, Get = %+v, %v; want the value written before", e, err)
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("Get never succeeded after the server came back: %v", err)
	}
	if n, err := wisp.KVIncrement(t.Context(), st, "n", 5); err != nil || n != 5 {
		t.Fatalf("KVIncrement after the outage = %d, %v", n, err)
	}
}

// TestKVStoresOfOtherFleets checks that Stores lists only this fleet's
// stores, even when other buckets look alike: another fleet's store and
// another program's bucket named as this fleet's stores are.
func TestKVStoresOfOtherFleets(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv.URL())
	if _, err := open(t, nc, "a").KV().Open(t.Context(), "x", wisp.KVQuota{}); err != nil {
		t.Fatal(err)
	}
	if _, err := open(t, nc, "b").KV().Open(t.Context(), "z", wisp.KVQuota{}); err != nil {
		t.Fatal(err)
	}
	makeBucket(t, nc, "a_kv_y", map[string]string{"wisp-fleet": "b", "wisp-kv-store": "y"})
	makeBucket(t, nc, "a_kv_w", nil)
	names, err := open(t, nc, "a").KV().Stores(t.Context())
	if err != nil || len(names) != 1 || names[0] != "x" {
		t.Fatalf("Stores() of fleet a = %q, %v; want [x]", names, err)
	}
}

// makeBucket creates a JetStream KV bucket as another program would.
func makeBucket(t *testing.T, nc *nats.Conn, bucket string, metadata map[string]string) {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateKeyValue(t.Context(), jetstream.KeyValueConfig{Bucket: bucket, Metadata: metadata}); err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
}

// TestKVRefusesForeignBuckets checks that Open binds only a bucket whose
// metadata names this fleet and store, and leaves any other as it is;
// and that a fleet whose name makes bucket names ambiguous is refused.
func TestKVRefusesForeignBuckets(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv.URL())
	for _, fleet := range []string{"a_kv_b", "wisp_kv"} {
		if _, err := natsstore.Open(t.Context(), nc, natsstore.Config{Fleet: fleet}); !errors.Is(err, wisp.ErrInvalid) || !strings.Contains(err.Error(), `fleet name "`+fleet+`"`) {
			t.Errorf("natsstore.Open of fleet %q = %v, want ErrInvalid naming it", fleet, err)
		}
	}
	makeBucket(t, nc, "wisp_kv_apps", nil) // what fleet "wisp_kv"'s apps bucket would be
	makeBucket(t, nc, "wisp_kv_other", map[string]string{"wisp-fleet": "wisp2", "wisp-kv-store": "other"})
	makeBucket(t, nc, "wisp_kv_raw", nil)
	makeBucket(t, nc, "wisp_kv_renamed", map[string]string{"wisp-fleet": "wisp", "wisp-kv-store": "original"})
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, fleet, store string
		err                error
		owner              string // what the error says the bucket is
	}{
		{"the apps bucket of fleet wisp_kv", "wisp", "apps", wisp.ErrConflict, "no Wisp key-value store"},
		{"a store of another fleet", "wisp", "other", wisp.ErrConflict, `key-value store "other" of fleet "wisp2"`},
		{"another program's bucket", "wisp", "raw", wisp.ErrConflict, "no Wisp key-value store"},
		{"another store's metadata", "wisp", "renamed", wisp.ErrConflict, `key-value store "original" of fleet "wisp"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bucket := "KV_" + tc.fleet + "_kv_" + tc.store
			before, berr := js.Stream(t.Context(), bucket)
			_, err := open(t, nc, tc.fleet).KV().Open(t.Context(), tc.store, wisp.KVQuota{MaxKeys: 5, MaxBytes: 1000})
			if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.owner) {
				t.Fatalf("Open(%q) of fleet %q = %v; want an error matching %v saying %s", tc.store, tc.fleet, err, tc.err, tc.owner)
			}
			after, aerr := js.Stream(t.Context(), bucket)
			switch {
			case berr != nil && aerr == nil:
				t.Errorf("the refused Open created bucket %s", bucket)
			case berr == nil && (aerr != nil || !reflect.DeepEqual(after.CachedInfo().Config, before.CachedInfo().Config)):
				t.Errorf("the refused Open changed stream %s: %+v, then %+v (%v)", bucket, before.CachedInfo().Config, after.CachedInfo().Config, aerr)
			}
		})
	}
}

// TestKVExpiryRange checks how expiries are kept: to the nanosecond
// within the years int64 Unix nanoseconds reach, and one past 2262 as
// the last of them, still live.
func TestKVExpiryRange(t *testing.T) {
	srv := natstest.Start(t)
	st, err := open(t, natstest.Connect(t, srv.URL()), "kve").KV().Open(t.Context(), "exp", wisp.KVQuota{})
	if err != nil {
		t.Fatal(err)
	}
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
			if _, err := st.Set(t.Context(), "k", []byte("v"), tc.set); err != nil {
				t.Fatal(err)
			}
			e, err := st.Get(t.Context(), "k")
			if err != nil || !e.Expires.Equal(tc.want) {
				t.Fatalf("Get after Set expiring %v = %+v, %v; want it expiring %v", tc.set, e, err, tc.want)
			}
		})
	}
}
