package wisp

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Follow keeps the node in step with its fleet (Config.Fleet) until ctx
// ends or the node is closed: it applies the app changes other nodes
// store, compiling each new version before routing requests to it, and
// publishes which versions this node serves (at once on a change, and
// every few seconds as a heartbeat). Call it after Load, in its own
// goroutine. When the fleet is unreachable the node goes on serving what
// it has; Follow retries the watch with backoff and catches up when the
// fleet is back, including with removals it missed. It returns nil when
// ctx ends or the node closes, and an error at once if the node has no
// fleet.
//
// Versions from the fleet are compiled outside the node's deploy lock, so
// a slow compile or blob transfer does not hold up local deploys; a change
// that arrives meanwhile supersedes it.
func (n *Node) Follow(ctx context.Context) error {
	if n.cfg.Fleet == nil {
		return errors.New("follow: this node has no fleet (Config.Fleet is nil)")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { // Close ends Follow
		select {
		case <-n.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	var workers sync.WaitGroup
	workers.Go(func() { n.publishStatus(ctx) })
	workers.Go(func() { n.retryLoop(ctx) })
	defer func() {
		cancel()
		workers.Wait()
		// Leave the fleet's status, so `wisp app` stops listing this node.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := n.cfg.Fleet.RemoveNode(ctx, n.cfg.NodeID); err != nil {
			n.log.Debug("remove node status", "err", err)
		}
	}()

	backoff := 100 * time.Millisecond
	for {
		started := time.Now()
		err := n.watchOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(started) > time.Minute {
			backoff = 100 * time.Millisecond // it worked for a while
		}
		n.log.Warn("fleet watch stopped; serving what this node has and retrying", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// watchOnce runs one watch of the fleet's app records until it breaks.
func (n *Node) watchOnce(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changes, err := n.cfg.Fleet.WatchApps(ctx)
	if err != nil {
		return err
	}
	seen := map[string]bool{} // apps in the watch's first pass
	for {
		var c AppChange
		var ok bool
		select {
		case <-ctx.Done():
			return ctx.Err()
		case c, ok = <-changes:
		}
		if !ok {
			return errors.New("the fleet closed the watch")
		}
		switch {
		case c.Synced:
			n.forgetUnseen(ctx, seen)
			seen = nil
		default:
			if seen != nil {
				seen[c.Name] = true
			}
			n.applyChange(ctx, c)
		}
	}
}

// applyChange makes the node serve what change c stored, unless the node
// already acted on that revision or a later one (its own deploys come back
// through the watch too).
func (n *Node) applyChange(ctx context.Context, c AppChange) {
	n.deployMu.Lock()
	if c.Revision <= n.applied[c.Name] {
		n.deployMu.Unlock()
		return
	}
	n.applied[c.Name] = c.Revision
	if c.Deleted {
		n.dropApp(c.Name, "removed through another node")
		n.deployMu.Unlock()
		return
	}
	load := n.needsLoad(c.App)
	n.deployMu.Unlock()
	if load {
		n.loadFromFleet(ctx, c.App, c.Revision)
	}
}

// needsLoad records the routes of app's current version and reports
// whether this node must load that version (it serves another). Called
// with deployMu held.
func (n *Node) needsLoad(app App) bool {
	v := app.CurrentVersion()
	n.claimRoutes(app.Name, v.Spec.Routes)
	if d, ok := n.table.Load().apps[app.Name]; ok && d.version.Number == v.Number && d.version.CreatedAt.Equal(v.CreatedAt) {
		n.readyMu.Lock()
		delete(n.failed, app.Name) // a rollback to the serving version
		n.readyMu.Unlock()
		delete(n.retry, app.Name)
		return false
	}
	return true
}

// loadFromFleet compiles app's current version without holding deployMu,
// then switches to it unless a newer change to the app (rev is the
// record's revision) arrived meanwhile. On failure the node keeps serving
// the version it had.
func (n *Node) loadFromFleet(ctx context.Context, app App, rev uint64) {
	v := app.CurrentVersion()
	start := time.Now()
	d, err := n.prepare(ctx, v)
	n.deployMu.Lock()
	defer n.deployMu.Unlock()
	if n.applied[app.Name] != rev || n.closed.Load() || !n.needsLoad(app) {
		if d != nil {
			d.release() // superseded while it compiled, or loaded by a retry meanwhile
		}
		return
	}
	if err != nil {
		n.log.Error("fleet version failed to load", "app", app.Name, "version", v.Number, "err", err)
		n.appLog(app.Name, "node", v.Number, "version from the fleet failed to load on this node: "+err.Error())
		n.setFailed(app.Name, v.Number, err)
		if !errors.Is(err, ErrInvalid) && ctx.Err() == nil {
			n.retry[app.Name] = true
		}
		return
	}
	n.activate(app.Name, d)
	if n.obs != nil && v.Number == app.Versions[len(app.Versions)-1].Number {
		// A new version (not a rollback, whose version is older than the
		// change): how long after its deploy this node serves it.
		n.obs.FleetApplied(time.Since(v.CreatedAt))
	}
	n.appLog(app.Name, "node", v.Number, fmt.Sprintf("serving version %d, deployed through another node", v.Number))
	n.log.Info("app changed by the fleet", "app", app.Name, "version", v.Number, "load", time.Since(start))
}

// dropApp stops serving app and forgets it. Called with deployMu held.
func (n *Node) dropApp(name, why string) {
	n.claimRoutes(name, nil)
	delete(n.retry, name)
	n.readyMu.Lock()
	delete(n.failed, name)
	n.readyMu.Unlock()
	if _, ok := n.table.Load().apps[name]; !ok {
		return
	}
	n.activate(name, nil)
	n.logsMu.Lock()
	delete(n.logs, name)
	n.logsMu.Unlock()
	n.log.Info("app removed", "app", name, "why", why)
}

// forgetUnseen drops the apps this node knows that were not in a new
// watch's first pass: they were removed while the watch was broken. Each
// is checked against the store first, since a local deploy may have
// created it after the watch started.
func (n *Node) forgetUnseen(ctx context.Context, seen map[string]bool) {
	n.deployMu.Lock()
	known := maps.Clone(n.appRoutes)
	for name := range n.table.Load().apps {
		known[name] = nil
	}
	n.deployMu.Unlock()
	for _, name := range slices.Sorted(maps.Keys(known)) {
		if !seen[name] {
			n.reload(ctx, name, "removed while this node was not following the fleet")
		}
	}
}

// retryLoop loads again, every fleetRetry, the current versions that
// failed for a reason that may have passed (a blob not readable yet).
func (n *Node) retryLoop(ctx context.Context) {
	tick := time.NewTicker(fleetRetry)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n.deployMu.Lock()
		names := slices.Sorted(maps.Keys(n.retry))
		n.deployMu.Unlock()
		for _, name := range names {
			n.reload(ctx, name, "removed")
		}
	}
}

// reload reads app name from the store and makes the node serve its
// current version, or drop it (logging why) if it no longer exists. A
// store that cannot be reached changes nothing.
func (n *Node) reload(ctx context.Context, name, why string) {
	app, err := n.store.GetApp(ctx, name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return // the store is away; try again later
	}
	n.deployMu.Lock()
	if err != nil {
		n.dropApp(name, why)
		n.deployMu.Unlock()
		return
	}
	if app.Revision < n.applied[name] { // a stale read; the watch has newer
		n.deployMu.Unlock()
		return
	}
	n.applied[name] = app.Revision
	delete(n.retry, name)
	load := n.needsLoad(app)
	n.deployMu.Unlock()
	if load {
		n.loadFromFleet(ctx, app, app.Revision)
	}
}

// publishStatus publishes the node's status whenever it changes (at most
// every 50ms) and every fleetHeartbeat, until ctx ends.
func (n *Node) publishStatus(ctx context.Context) {
	heartbeat := time.NewTicker(fleetHeartbeat)
	defer heartbeat.Stop()
	lastErr := ""
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := n.cfg.Fleet.PublishNode(pctx, n.Status())
		cancel()
		switch {
		case err != nil && ctx.Err() == nil && err.Error() != lastErr:
			// Once per kind of failure: the heartbeat repeats it every 5 s.
			n.log.Warn("cannot publish this node's status; `wisp app` will not list it", "err", err)
			lastErr = err.Error()
		case err == nil:
			lastErr = ""
		}
		select {
		case <-ctx.Done():
			return
		case <-n.statusChanged:
		case <-heartbeat.C:
		}
		select { // let a burst of changes settle into one status
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Status reports which version of each app this node serves, and which
// current versions it could not load.
func (n *Node) Status() NodeStatus {
	st := NodeStatus{ID: n.cfg.NodeID, Started: n.started, Updated: time.Now().UTC(), Apps: map[string]AppState{}}
	for name, d := range n.table.Load().apps {
		st.Apps[name] = AppState{Serving: d.version.Number}
	}
	n.readyMu.Lock()
	for name, f := range n.failed {
		s := st.Apps[name]
		s.Failed, s.Error = f.version, truncate(f.reason, maxStatusError)
		st.Apps[name] = s
	}
	n.readyMu.Unlock()
	return st
}

// Nodes returns the status of every node of the fleet, sorted by ID; a
// node without a fleet reports only itself.
func (n *Node) Nodes(ctx context.Context) ([]NodeStatus, error) {
	if n.cfg.Fleet == nil {
		return []NodeStatus{n.Status()}, nil
	}
	nodes, err := n.cfg.Fleet.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	// This node's own entry may be a heartbeat old: report it as it is.
	own := n.Status()
	i := slices.IndexFunc(nodes, func(st NodeStatus) bool { return st.ID == own.ID })
	if i < 0 {
		nodes = append(nodes, own)
		slices.SortFunc(nodes, func(a, b NodeStatus) int { return strings.Compare(a.ID, b.ID) })
	} else {
		nodes[i] = own
	}
	return nodes, nil
}

// maxStatusError caps each app's error in a node's status, which must fit
// one NATS message with an entry for every app.
const maxStatusError = 200

// truncate shortens s to at most n bytes, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
