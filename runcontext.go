package wisp

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// runContext is the context an invocation runs under: its parent's values
// and cancellation, the app's deadline, and a cancel of its own (stdout
// over max_response stops the instance).
//
// It does what context.WithDeadline does, lazily. WithDeadline starts a
// timer and registers with its parent on every call, a few allocations
// and a lock of the runtime's timer heap per request; yet most
// invocations never wait on anything. So the timer and the watch of the
// parent are set up by the first call to Done, and Err reports the
// deadline only from then on (as WithDeadline's Err does once its timer
// fires; a guest that has not waited may finish a little past its
// deadline, as it may with WithDeadline). Whatever would run past the
// deadline calls Done: a blocking host call (a sleep, outbound HTTP, a
// store) waits on it, and the engine's meter selects on it at every
// refuel and before host work that grows with its operands, so guest
// code and host work are stopped at the deadline as before.
type runContext struct {
	context.Context // the parent
	deadline        time.Time

	ended atomic.Pointer[error] // err once set, for Err without the lock

	mu        sync.Mutex
	err       error         // set once: Canceled, DeadlineExceeded, or the parent's error
	done      chan struct{} // made by the first Done; closed when err is set
	timer     *time.Timer   // armed by the first Done
	stopWatch func() bool   // stops the watch of the parent, armed by the first Done
}

// newRunContext returns a context ending at deadline (or parent's, if
// earlier), when parent ends, or when cancel is called. Call cancel when
// the invocation is over: it stops the timer, if one was armed.
func newRunContext(parent context.Context, deadline time.Time) *runContext {
	if at, ok := parent.Deadline(); ok && at.Before(deadline) {
		deadline = at
	}
	return &runContext{Context: parent, deadline: deadline}
}

// Deadline implements context.Context.
func (c *runContext) Deadline() (time.Time, bool) { return c.deadline, true }

// Done implements context.Context. Its first call arms the deadline's
// timer and the watch of the parent.
func (c *runContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done != nil {
		return c.done
	}
	c.done = make(chan struct{})
	if c.err == nil {
		c.setErr(c.expired())
	}
	if c.err != nil {
		close(c.done)
		return c.done
	}
	c.timer = time.AfterFunc(time.Until(c.deadline), func() { c.end(context.DeadlineExceeded) })
	if c.Context.Done() != nil {
		c.stopWatch = context.AfterFunc(c.Context, func() { c.end(c.Context.Err()) })
	}
	return c.done
}

// Err implements context.Context. Until Done is called it reports only
// cancellation (cancel, or the parent's): no clock is read. It takes no
// lock: every host call asks it.
func (c *runContext) Err() error {
	if err := c.ended.Load(); err != nil {
		return *err
	}
	return c.Context.Err()
}

// expired is the error the context has ended with, by its parent or its
// deadline, or nil. Called with c.mu held.
func (c *runContext) expired() error {
	if err := c.Context.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// setErr sets err, if not nil. Called with c.mu held.
func (c *runContext) setErr(err error) {
	if err != nil {
		c.err = err
		c.ended.Store(&err)
	}
}

// cancel ends the context with context.Canceled, unless it has ended,
// and stops its timer and its watch of the parent.
func (c *runContext) cancel() { c.end(context.Canceled) }

// end sets err, unless it is set, closes done if it was made, and stops
// the timer and the watch.
func (c *runContext) end(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.setErr(err)
		if c.done != nil {
			close(c.done)
		}
	}
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	if c.stopWatch != nil {
		c.stopWatch()
		c.stopWatch = nil
	}
}

// String names the context as context.WithDeadline's do, for debugging.
func (c *runContext) String() string {
	return "wisp.runContext(deadline " + c.deadline.String() + ")"
}
