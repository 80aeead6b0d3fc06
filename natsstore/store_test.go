package natsstore_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/natstest"
	"github.com/wisphq/wisp/natsstore"
	"github.com/wisphq/wisp/storetest"
)

// TestConformance runs the store conformance suite against a real
// nats-server. Each subtest gets its own fleet (its own buckets) on one
// server; Reopen restarts the server, so what survives is what NATS wrote
// to disk.
func TestConformance(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv.URL())
	var fleets atomic.Int64
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) wisp.Store {
			return open(t, nc, fmt.Sprintf("t%d", fleets.Add(1)))
		},
		Reopen: func(t *testing.T, s wisp.Store) wisp.Store {
			fleet := s.(*natsstore.Store).Fleet()
			s.Close()
			srv.Restart(t)
			return open(t, natstest.Connect(t, srv.URL()), fleet)
		},
	})
}

// TestConformanceCluster runs the suite once more on a 3-server cluster,
// where buckets get 3 replicas and JetStream reports compare-and-swap
// conflicts with another error code, and without a blob cache, so every
// blob is read from the Object Store.
func TestConformanceCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the cluster run")
	}
	servers := natstest.StartCluster(t, 3)
	nc := natstest.Connect(t, natstest.URLs(servers))
	var fleets atomic.Int64
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) wisp.Store {
			s := open(t, nc, fmt.Sprintf("c%d", fleets.Add(1)), true)
			if r := s.Replicas(t.Context()); r != 3 {
				t.Fatalf("buckets on a 3-server cluster have %d replicas, want 3", r)
			}
			return s
		},
	})
}
