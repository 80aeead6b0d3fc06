package natsstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/nats-io/nats.go/jetstream"
)

// A watch reads from whichever server JetStream placed its consumer on,
// and a replica that just came back may still be catching up: its first
// pass can be stale. So listings of the apps bucket are consistent: the
// bucket's last sequence is asked of the stream leader first, and the
// listing ends only once the watch has delivered that far. (The message at
// the last sequence is the latest of its key and the apps bucket never
// expires or purges messages, so the watch always gets there.)

// lastRevision returns the stream leader's last sequence of kv.
func (s *Store) lastRevision(ctx context.Context, kv jetstream.KeyValue) (uint64, error) {
	var st jetstream.KeyValueStatus
	err := s.retry(ctx, func(ctx context.Context) (err error) { st, err = kv.Status(ctx); return err })
	if err != nil {
		return 0, unavailable(err)
	}
	kvs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok {
		return 0, errors.New("natsstore: unexpected bucket status type")
	}
	return kvs.StreamInfo().State.LastSeq, nil
}

// stopWatch stops w without leaking its goroutine: nats.go delivers into a
// buffered channel from a callback that blocks while the buffer is full,
// so a watch stopped before its reader emptied it would never finish.
func stopWatch(w jetstream.KeyWatcher) {
	go func() {
		for range w.Updates() {
		}
	}()
	w.Stop()
}

// scan calls fn with the latest entry of every key of kv that is not
// deleted, in key order, read with one watch instead of one request per
// key. If consistent, it waits until the watch delivered everything the
// stream leader had when scan started (see above); what names the listing
// in errors.
func (s *Store) scan(ctx context.Context, kv jetstream.KeyValue, what string, consistent bool, fn func(jetstream.KeyValueEntry) error) error {
	// A watch whose server goes away just stops delivering: the listing
	// ends as other calls do when NATS is gone (see untilDisconnected).
	ctx, _, cancel := s.untilDisconnected(ctx)
	defer cancel()
	var upTo uint64
	if consistent {
		var err error
		if upTo, err = s.lastRevision(ctx, kv); err != nil {
			return fmt.Errorf("natsstore: list %s: %w", what, err)
		}
	}
	var w jetstream.KeyWatcher
	err := attempts(ctx, func(ctx context.Context) (err error) { w, err = kv.WatchAll(ctx); return err })
	if err != nil {
		return fmt.Errorf("natsstore: list %s: %w", what, unavailable(err))
	}
	defer stopWatch(w) // before cancel: the watch lives on ctx
	latest := map[string]jetstream.KeyValueEntry{}
	var seen uint64
	for initDone := false; !initDone || seen < upTo; {
		select {
		case <-ctx.Done():
			return fmt.Errorf("natsstore: list %s: %w", what, unavailable(noServer(ctx, ctx.Err())))
		case e, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("natsstore: list %s: %w", what, unavailable(errors.New("the watch closed before the end")))
			}
			if e == nil { // the first pass is over
				initDone = true
				continue
			}
			latest[e.Key()] = e
			seen = max(seen, e.Revision())
		}
	}
	for _, key := range slices.Sorted(maps.Keys(latest)) {
		if e := latest[key]; e.Operation() == jetstream.KeyValuePut {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}
