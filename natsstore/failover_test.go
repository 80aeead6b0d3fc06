package natsstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/natstest"
)

// TestWritesSurviveLeaderLoss kills the server leading the apps bucket's
// stream (and the one the client is connected to, when that is another)
// and writes at once: the write waits for the new leader instead of
// failing, and every acknowledged write is there afterwards.
func TestWritesSurviveLeaderLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the cluster failover")
	}
	servers := natstest.StartCluster(t, 3)
	nc := natstest.Connect(t, natstest.URLs(servers))
	s := open(t, nc, "failover")
	app := testApp("shop")
	stored, err := s.PutApp(t.Context(), app)
	if err != nil {
		t.Fatal(err)
	}

	js, _ := jetstream.New(nc)
	stream, err := js.Stream(t.Context(), "KV_failover_apps")
	if err != nil {
		t.Fatal(err)
	}
	leader := stream.CachedInfo().Cluster.Leader
	for _, srv := range servers {
		if srv.Name() == leader {
			srv.Shutdown()
		}
	}
	start := time.Now()
	for i := 2; i <= 4; i++ {
		next := stored
		next.Versions = append(next.Versions, next.Versions[0])
		next.Versions[len(next.Versions)-1].Number = i
		next.Current = i
		if stored, err = s.PutApp(t.Context(), next); err != nil {
			t.Fatalf("write %d, %s after the stream leader %s died: %v", i, time.Since(start).Round(time.Millisecond), leader, err)
		}
	}
	got, err := s.GetApp(t.Context(), "shop")
	if err != nil || got.Current != 4 || len(got.Versions) != 4 {
		t.Fatalf("after the failover the app is %+v, %v; want the three acknowledged writes", got, err)
	}
}

func testApp(name string) wisp.App {
	return wisp.App{Name: name, Current: 1, Versions: []wisp.Version{{
		Number: 1, CreatedAt: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
		Spec: wisp.AppSpec{
			Name: name, Module: "sha256:" + fmt.Sprintf("%064x", 1),
			Routes: []wisp.Route{{Path: "/" + name}}, Limits: wisp.DefaultLimits,
		},
	}}}
}
