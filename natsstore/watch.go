package natsstore

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wisphq/wisp"
)

// watchLagCheck is how often a watch compares what it delivered with the
// stream leader's last sequence; one that stays behind for longer than
// this is restarted (see forward).
const watchLagCheck = 2 * time.Second

// WatchApps implements wisp.Fleet with a watch of the apps bucket: the
// latest record of every app, a Synced marker, then changes as stored.
func (s *Store) WatchApps(ctx context.Context) (<-chan wisp.AppChange, error) {
	upTo, err := s.lastRevision(ctx, s.apps) // see scan.go: Synced waits for it
	if err != nil {
		return nil, fmt.Errorf("natsstore: watch apps: %w", err)
	}
	// The watch lives on wctx: starting it fails as other calls do when
	// NATS is gone; once started, forward decides when it starts over.
	wctx, disarm, cancel := s.untilDisconnected(ctx)
	var w jetstream.KeyWatcher
	err = attempts(wctx, func(ctx context.Context) (err error) { w, err = s.apps.WatchAll(ctx); return err })
	if err != nil {
		cancel()
		return nil, fmt.Errorf("natsstore: watch apps: %w", unavailable(err))
	}
	disarm()
	out := make(chan wisp.AppChange)
	go func() {
		defer close(out)
		defer cancel()
		defer stopWatch(w)
		s.forward(ctx, w, upTo, out)
	}()
	return out, nil
}

// forward sends the watch's entries on out as changes, with the Synced
// marker once the first pass reached upTo, until ctx ends or the watch
// should start over. Its consumer lives on one server, and when that
// server dies the client notices only after missed heartbeats, ten
// seconds or so, while deploys go on elsewhere. So forward returns (and
// the node starts a new watch, which catches up from the current state)
// when the client reconnects, and when the watch has stayed behind the
// stream leader's last sequence for a whole watchLagCheck.
func (s *Store) forward(ctx context.Context, w jetstream.KeyWatcher, upTo uint64, out chan<- wisp.AppChange) {
	reconnected := s.nc.StatusChanged(nats.CONNECTED)
	defer s.nc.RemoveStatusListener(reconnected)
	check := time.NewTicker(watchLagCheck)
	defer check.Stop()
	var seen, behind uint64 // behind: the leader's sequence at the last check, if the watch had not reached it
	initDone, synced := false, false
	for {
		select {
		case <-ctx.Done():
			return
		case <-reconnected:
			return
		case <-check.C:
			if !synced {
				continue
			}
			if behind > seen && len(w.Updates()) == 0 { // (entries waiting: the node is busy, not the watch stalled)
				s.log.Info("restarting the fleet watch: it stopped delivering changes (its NATS server may be gone)", "delivered", seen, "stored", behind)
				return
			}
			cctx, cancel := context.WithTimeout(ctx, time.Second)
			last, err := s.lastRevision(cctx, s.apps)
			cancel()
			if behind = 0; err == nil && last > seen {
				behind = last
			}
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil { // the first pass is over, if maybe on a lagging replica
				initDone = true
			} else {
				seen = max(seen, e.Revision())
				if c, ok := s.change(e); ok && !s.send(ctx, out, c) {
					return
				}
			}
		}
		if !synced && initDone && seen >= upTo {
			synced = true
			if !s.send(ctx, out, wisp.AppChange{Synced: true}) {
				return
			}
		}
	}
}

// send sends c on out unless ctx ends first.
func (s *Store) send(ctx context.Context, out chan<- wisp.AppChange, c wisp.AppChange) bool {
	select {
	case out <- c:
		return true
	case <-ctx.Done():
		return false
	}
}

// change converts a watched entry; ok is false for one that cannot be
// decoded (logged: a node cannot act on it).
func (s *Store) change(e jetstream.KeyValueEntry) (c wisp.AppChange, ok bool) {
	c = wisp.AppChange{Name: e.Key(), Revision: e.Revision()}
	if e.Operation() != jetstream.KeyValuePut {
		c.Deleted = true
		return c, true
	}
	app, err := decodeApp(e)
	if err != nil {
		s.log.Error("skipping an app record this node cannot read", "app", e.Key(), "revision", e.Revision(), "err", err)
		return c, false
	}
	c.App = app
	return c, true
}
