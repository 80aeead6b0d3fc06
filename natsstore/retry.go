package natsstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// failoverWait is how long an operation is retried while the client fails
// over to another NATS server (its server died) or a stream elects a new
// leader, so a deploy at that moment waits instead of failing. A stream's
// followers call an election 4 to 9 s after the last heartbeat of a leader
// that died (nats-server's raft election timeout), and on a busy machine
// the vote takes a moment more: 10 s was once too short on a loaded CI
// machine (tests/fleet), so this leaves half as much again.
const failoverWait = 15 * time.Second

// disconnectedWait is how long into a store call the client may have no
// connection to any server at all: reconnecting to another server of a
// cluster takes milliseconds, so past this NATS is down, and waiting the
// whole failoverWait would only delay the error.
const disconnectedWait = 2 * time.Second

// disconnectedPoll is how often a call past disconnectedWait checks the
// connection.
const disconnectedPoll = 50 * time.Millisecond

// errNoServer is the cause of a call stopped because the client had no
// NATS server (see untilDisconnected). It wraps nats.ErrDisconnected, so
// unavailable maps it to wisp.ErrUnavailable.
var errNoServer = fmt.Errorf("no NATS server connected %s into the call: %w", disconnectedWait, nats.ErrDisconnected)

// untilDisconnected returns a context derived from ctx that ends, with
// cause errNoServer, as soon as the client has no connection to any NATS
// server at disconnectedWait into the call or later, until disarm is
// called. It interrupts a request in flight: a JetStream request made
// while the client reconnects waits in nats.go's reconnect buffer for the
// whole API timeout (5 s, jetstream's default), and a watch being read
// just stops delivering, so checking between attempts alone would notice
// only after that. Call cancel when the call (and whatever it returned
// that uses the context, such as a watch) is done.
func (s *Store) untilDisconnected(ctx context.Context) (_ context.Context, disarm func(), cancel context.CancelFunc) {
	ctx, cancelCause := context.WithCancelCause(ctx)
	disarmed := make(chan struct{})
	go func() {
		t := time.NewTimer(disconnectedWait)
		defer t.Stop()
		for {
			select {
			case <-disarmed:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if !s.nc.IsConnected() {
				cancelCause(errNoServer)
				return
			}
			t.Reset(disconnectedPoll)
		}
	}()
	return ctx, sync.OnceFunc(func() { close(disarmed) }), func() { cancelCause(nil) }
}

// noServer returns errNoServer if it is why ctx (from untilDisconnected)
// ended, else err.
func noServer(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); errors.Is(cause, errNoServer) {
		return cause
	}
	return err
}

// retry runs op until it succeeds, fails for a reason other than NATS
// being momentarily away, ctx ends, or failoverWait passes. op gets a
// context that ends when retry returns, or before once the client has had
// no NATS server at disconnectedWait into the call (see
// untilDisconnected), and retry then returns errNoServer at once. Every op
// given to it is safe to repeat: reads, content-addressed puts, and
// compare-and-swap writes (whose callers tell a lost acknowledgement from
// a real conflict).
func (s *Store) retry(ctx context.Context, op func(context.Context) error) error {
	ctx, _, cancel := s.untilDisconnected(ctx)
	defer cancel()
	return attempts(ctx, op)
}

// attempts is retry's loop with ctx as it is: for ops whose result goes
// on using the context (a watch, a blob being read), under a context from
// untilDisconnected that the caller ends when the result is done.
func attempts(ctx context.Context, op func(context.Context) error) error {
	start := time.Now()
	wait := 50 * time.Millisecond
	for {
		err := op(ctx)
		if err != nil {
			err = noServer(ctx, err)
		}
		if err == nil || !transient(err) || time.Since(start) > failoverWait {
			return err
		}
		select {
		case <-ctx.Done():
			return noServer(ctx, err)
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// transient reports whether err means NATS was momentarily unreachable.
// errNoServer is not: NATS is down.
func transient(err error) bool {
	if errors.Is(err, errNoServer) {
		return false
	}
	// A stream without a leader for the moment answers 503.
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.Code == 503 {
		return true
	}
	return errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, nats.ErrConnectionReconnecting) || errors.Is(err, nats.ErrDisconnected)
}
