package natsstore_test

import (
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/natstest"
	"github.com/wisphq/wisp/internal/testnode"
)

// TestNodeStatus publishes, lists and removes node statuses, across a
// restart of the NATS server, which loses the in-memory nodes bucket.
func TestNodeStatus(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv.URL())
	s := open(t, nc, "nodes")
	status := func(id string, serving int) wisp.NodeStatus {
		return wisp.NodeStatus{ID: id, Started: time.Unix(1, 0).UTC(), Updated: time.Unix(2, 0).UTC(),
			Apps: map[string]wisp.AppState{"shop": {Serving: serving}}}
	}
	publish := func(st wisp.NodeStatus) {
		t.Helper()
		if err := s.PublishNode(t.Context(), st); err != nil {
			t.Fatalf("PublishNode(%s): %v", st.ID, err)
		}
	}
	want := func(ids ...string) {
		t.Helper()
		nodes, err := s.Nodes(t.Context())
		if err != nil {
			t.Fatalf("Nodes: %v", err)
		}
		var got []string
		for _, n := range nodes {
			got = append(got, n.ID)
		}
		if len(got) != len(ids) {
			t.Fatalf("Nodes = %v, want %v", got, ids)
		}
		for i := range ids {
			if got[i] != ids[i] {
				t.Fatalf("Nodes = %v, want %v", got, ids)
			}
		}
	}

	publish(status("node-b", 1))
	publish(status("node-a.example.com", 2)) // dots are not allowed in keys
	want("node-a.example.com", "node-b")
	if err := s.RemoveNode(t.Context(), "node-b"); err != nil {
		t.Fatal(err)
	}
	want("node-a.example.com")

	srv.Restart(t)
	want() // the bucket went with the server
	err := testnode.Poll(10*time.Second, func() (bool, error) { return s.PublishNode(t.Context(), status("node-c", 3)) == nil, nil })
	if err != nil {
		t.Fatalf("PublishNode after a NATS restart never succeeded: %v", s.PublishNode(t.Context(), status("node-c", 3)))
	}
	want("node-c")
}
