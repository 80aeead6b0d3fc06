package wisp

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Follow keeps the node in step with its fleet (Config.Fleet) until ctx
// ends: it applies the app changes other nodes store, compiling each new
// version before routing requests to it, and publishes which versions this
// node serves (at once on a change, and every few seconds as a heartbeat).
// Call it after Load, in its own goroutine. When the fleet is unreachable
// the node goes on serving what it has; Follow retries the watch with
// backoff and catches up when the fleet is back, including with removals
// it missed. It returns nil when ctx ends, and an error at once if the
// node has no fleet.
func (n *Node) Follow(ctx context.Context) error {
	if n.cfg.Fleet == nil {
		return errors.New("follow: this node has no fleet (Config.Fleet is nil)")
	}
	done := make(chan struct{})
	go func() { defer close(done); n.publishStatus(ctx) }()
	defer func() {
		<-done
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
	retry := time.NewTicker(fleetRetry)
	defer retry.Stop()
	seen := map[string]bool{} // apps in the watch's first pass
	synced := false
	for {
		select {
		case c, ok := <-changes:
			if !ok {
				return errors.New("the fleet closed the watch")
			}
			switch {
			case c.Synced:
				synced = true
				n.forgetUnseen(ctx, seen)
				seen = nil
			default:
				if !synced {
					seen[c.Name] = true
				}
				n.applyChange(ctx, c)
			}
		case <-retry.C:
			n.retryFailed(ctx)
		}
	}
}

// applyChange makes the node serve what change c stored, unless the node
// already acted on that revision or a later one (its own deploys come back
// through the watch too).
func (n *Node) applyChange(ctx context.Context, c AppChange) {
	n.deployMu.Lock()
	defer n.deployMu.Unlock()
	if c.Revision <= n.applied[c.Name] {
		return
	}
	n.applied[c.Name] = c.Revision
	if c.Deleted {
		n.dropApp(c.Name, "removed through another node")
		return
	}
	n.converge(ctx, c.App)
}

// converge loads app's current version if this node does not serve it
// yet. On failure the node keeps serving the version it had. Called with
// deployMu held.
func (n *Node) converge(ctx context.Context, app App) {
	v := app.CurrentVersion()
	n.claimRoutes(app.Name, v.Spec.Routes)
	if d, ok := n.table.Load().apps[app.Name]; ok && d.version.Number == v.Number && d.version.CreatedAt.Equal(v.CreatedAt) {
		n.readyMu.Lock()
		delete(n.failed, app.Name) // a rollback to the serving version
		n.readyMu.Unlock()
		delete(n.retry, app.Name)
		return
	}
	start := time.Now()
	d, err := n.prepare(ctx, v)
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
	defer n.deployMu.Unlock()
	known := maps.Clone(n.appRoutes)
	for name := range n.table.Load().apps {
		known[name] = nil
	}
	for _, name := range slices.Sorted(maps.Keys(known)) {
		if seen[name] {
			continue
		}
		app, err := n.store.GetApp(ctx, name)
		switch {
		case errors.Is(err, ErrNotFound):
			n.dropApp(name, "removed while this node was not following the fleet")
		case err == nil:
			n.applied[name] = app.Revision
			n.converge(ctx, app)
		}
	}
}

// retryFailed loads again the current versions that failed for a reason
// that may have passed.
func (n *Node) retryFailed(ctx context.Context) {
	n.deployMu.Lock()
	defer n.deployMu.Unlock()
	for _, name := range slices.Sorted(maps.Keys(n.retry)) {
		app, err := n.store.GetApp(ctx, name)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				n.dropApp(name, "removed")
			}
			continue // the store is away; try again later
		}
		delete(n.retry, name)
		n.applied[name] = max(n.applied[name], app.Revision)
		n.converge(ctx, app)
	}
}

// publishStatus publishes the node's status whenever it changes (at most
// every 50ms) and every fleetHeartbeat, until ctx ends.
func (n *Node) publishStatus(ctx context.Context) {
	heartbeat := time.NewTicker(fleetHeartbeat)
	defer heartbeat.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if err := n.cfg.Fleet.PublishNode(pctx, n.Status()); err != nil && ctx.Err() == nil {
			n.log.Debug("publish node status", "err", err)
		}
		cancel()
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
		s.Failed, s.Error = f.version, f.reason
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
