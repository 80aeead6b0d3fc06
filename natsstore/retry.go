package natsstore

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// failoverWait is how long an operation is retried while the client fails
// over to another NATS server (its server died) or a stream elects a new
// leader (a few seconds), so a deploy at that moment waits instead of
// failing.
const failoverWait = 10 * time.Second

// disconnectedWait is how long an operation is retried while the client
// has no connection to any server at all: reconnecting to another server
// of a cluster takes milliseconds, so past this NATS is down, and waiting
// the whole failoverWait would only delay the error.
const disconnectedWait = 2 * time.Second

// retry runs op until it succeeds, fails for a reason other than NATS
// being momentarily away, ctx ends, or failoverWait passes
// (disconnectedWait, while the client is not connected). Every op given
// to it is safe to repeat: reads, content-addressed puts, and
// compare-and-swap writes (whose callers tell a lost acknowledgement from
// a real conflict).
func (s *Store) retry(ctx context.Context, op func() error) error {
	start := time.Now()
	wait := 50 * time.Millisecond
	for {
		err := op()
		if err == nil || !transient(err) || time.Since(start) > failoverWait ||
			(time.Since(start) > disconnectedWait && !s.nc.IsConnected()) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// transient reports whether err means NATS was momentarily unreachable.
func transient(err error) bool {
	return errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, nats.ErrConnectionReconnecting) || errors.Is(err, nats.ErrDisconnected)
}
