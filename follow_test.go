package wisp_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/memstore"
)

// fakeFleet is a wisp.Fleet over a store two nodes share, whose watch the
// test drives by hand: each WatchApps call gets a new channel, published
// on watches.
type fakeFleet struct {
	*memstore.Store
	watches chan chan wisp.AppChange

	mu     sync.Mutex
	status map[string]wisp.NodeStatus
}

func newFakeFleet() *fakeFleet {
	return &fakeFleet{Store: memstore.New(), watches: make(chan chan wisp.AppChange, 4), status: map[string]wisp.NodeStatus{}}
}

func (f *fakeFleet) WatchApps(ctx context.Context) (<-chan wisp.AppChange, error) {
	ch := make(chan wisp.AppChange)
	f.watches <- ch
	return ch, nil
}

func (f *fakeFleet) PublishNode(ctx context.Context, st wisp.NodeStatus) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status[st.ID] = st
	return nil
}

func (f *fakeFleet) RemoveNode(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.status, id)
	return nil
}

func (f *fakeFleet) Nodes(ctx context.Context) ([]wisp.NodeStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []wisp.NodeStatus
	for _, st := range f.status {
		out = append(out, st)
	}
	return out, nil
}

// published returns the status node id last published.
func (f *fakeFleet) published(id string) (wisp.NodeStatus, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.status[id]
	return st, ok
}

// fleetNode starts a node of fleet f named id, following it; the test
// gets the node's first watch.
func fleetNode(t *testing.T, f *fakeFleet, id string) (*wisp.Node, chan wisp.AppChange, <-chan struct{}) {
	t.Helper()
	n, err := wisp.New(wisp.Config{Store: f, Fleet: f, NodeID: id})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); n.Follow(context.Background()) }()
	t.Cleanup(func() { n.Close(context.Background()); <-done })
	return n, <-f.watches, done
}

// change sends app's stored record on watch, as the fleet would.
func change(t *testing.T, f *fakeFleet, watch chan wisp.AppChange, name string) {
	t.Helper()
	app, err := f.GetApp(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	watch <- wisp.AppChange{Name: name, App: app, Revision: app.Revision}
}

// barrier returns once Follow has applied every change sent on watch
// before: it takes one change at a time, and this one (the removal of an
// app that never existed) changes nothing.
func barrier(watch chan wisp.AppChange) {
	watch <- wisp.AppChange{Name: "no-such-app", Deleted: true, Revision: uint64(time.Now().UnixNano())}
}

// waitServing polls until n serves version v of app (0: not at all).
func waitServing(t *testing.T, n *wisp.Node, app string, v int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for n.Status().Apps[app].Serving != v {
		if time.Now().After(deadline) {
			t.Fatalf("node serves %+v of %s, want version %d", n.Status().Apps[app], app, v)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFollowAppliesOtherNodesChanges(t *testing.T) {
	f := newFakeFleet()
	a, _, _ := fleetNode(t, f, "a")
	b, watch, _ := fleetNode(t, f, "b")
	watch <- wisp.AppChange{Synced: true}

	deploy(t, a, "shop", "version1.wasm", "/shop")
	change(t, f, watch, "shop")
	waitServing(t, b, "shop", 1)

	if _, err := a.Rollback(t.Context(), "shop", 0); err == nil {
		t.Fatal("rollback of a single version succeeded")
	}
	deploy(t, a, "shop", "version2.wasm", "/shop")
	change(t, f, watch, "shop")
	waitServing(t, b, "shop", 2)

	if err := a.Remove(t.Context(), "shop"); err != nil {
		t.Fatal(err)
	}
	watch <- wisp.AppChange{Name: "shop", Deleted: true, Revision: 1 << 40}
	waitServing(t, b, "shop", 0)
}

func TestFollowIgnoresChangesOlderThanALocalDeploy(t *testing.T) {
	f := newFakeFleet()
	a, _, _ := fleetNode(t, f, "a")
	b, watch, _ := fleetNode(t, f, "b")
	watch <- wisp.AppChange{Synced: true}

	deploy(t, a, "shop", "version1.wasm", "/shop")
	old, err := f.GetApp(t.Context(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	deploy(t, b, "shop", "version2.wasm", "/shop") // b's own deploy, newer
	watch <- wisp.AppChange{Name: "shop", App: old, Revision: old.Revision}
	barrier(watch)
	if got := b.Status().Apps["shop"].Serving; got != 2 {
		t.Fatalf("after an older change from the watch, the node serves version %d, want 2 (its own later deploy)", got)
	}
	change(t, f, watch, "shop") // b's own deploy coming back
	barrier(watch)
	if got := b.Status().Apps["shop"].Serving; got != 2 {
		t.Fatalf("after its own deploy came back through the watch, the node serves version %d, want 2", got)
	}
}

func TestFollowDropsAppsRemovedWhileTheWatchWasDown(t *testing.T) {
	f := newFakeFleet()
	a, _, _ := fleetNode(t, f, "a")
	deploy(t, a, "kept", "version1.wasm", "/kept")
	deploy(t, a, "gone", "version1.wasm", "/gone")
	b, watch, _ := fleetNode(t, f, "b")
	waitServing(t, b, "gone", 1) // from Load

	if err := a.Remove(t.Context(), "gone"); err != nil {
		t.Fatal(err)
	}
	close(watch) // the watch broke; b starts another
	var next chan wisp.AppChange
	select {
	case next = <-f.watches:
	case <-time.After(10 * time.Second):
		t.Fatal("Follow did not start a new watch after the first one closed")
	}
	change(t, f, next, "kept")
	next <- wisp.AppChange{Synced: true}
	waitServing(t, b, "gone", 0)
	waitServing(t, b, "kept", 1)
}

func TestFollowPublishesStatusAndStopsOnClose(t *testing.T) {
	f := newFakeFleet()
	a, watch, done := fleetNode(t, f, "a")
	watch <- wisp.AppChange{Synced: true}
	deploy(t, a, "shop", "version1.wasm", "/shop")
	deadline := time.Now().Add(10 * time.Second)
	for st, _ := f.published("a"); st.Apps["shop"].Serving != 1; st, _ = f.published("a") {
		if time.Now().After(deadline) {
			t.Fatalf("published status %+v, want shop serving version 1", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	a.Close(t.Context())
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Follow did not return after Close")
	}
	if _, ok := f.published("a"); ok {
		t.Error("a closed node's status is still published")
	}
}

func TestFollowWithoutAFleet(t *testing.T) {
	if err := newNode(t).Follow(t.Context()); err == nil {
		t.Fatal("Follow on a node without a fleet returned nil")
	}
}
