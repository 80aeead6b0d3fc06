package natsstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/natstest"
	"github.com/wisphq/wisp/internal/testnode"
	"github.com/wisphq/wisp/kvtest"
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
	calls := []struct {
		name string
		call func(context.Context) error
	}{
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
	type outcome struct {
		err  error
		took time.Duration
	}
	outcomes := make([]outcome, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Go(func() {
			start := time.Now()
			err := c.call(t.Context())
			outcomes[i] = outcome{err, time.Since(start)}
		})
	}
	wg.Wait()
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
// stores, even when another fleet's name makes its buckets look alike.
func TestKVStoresOfOtherFleets(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv.URL())
	for _, f := range []struct{ fleet, store string }{{"a", "x"}, {"a_kv_b", "y"}, {"b", "z"}} {
		if _, err := open(t, nc, f.fleet).KV().Open(t.Context(), f.store, wisp.KVQuota{}); err != nil {
			t.Fatal(err)
		}
	}
	names, err := open(t, nc, "a").KV().Stores(t.Context())
	if err != nil || len(names) != 1 || names[0] != "x" {
		t.Fatalf("Stores() of fleet a = %q, %v; want [x]", names, err)
	}
}
