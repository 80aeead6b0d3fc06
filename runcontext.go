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
// It is context.WithDeadline, made lazily. WithDeadline starts a timer
// and registers with its parent on every call, a few allocations and a
// lock of the runtime's timer heap per request; yet most invocations never
// wait on anything. So the WithDeadline context (inner) is made by the
// first call to Done, and until then Err reports cancellation only (the
// parent's, or cancel's): no clock is read. Whatever could run past the
// deadline calls Done: a blocking host call waits on it (a sleep or a
// poll, an outbound request), the platform services call it before a
// store call (armDeadline), and the meter selects on it at every refuel
// (from an instance's second) and before host work that grows with its
// operands. A guest that waits on nothing may so finish up to one
// refuel quantum (about 100 µs of guest code) past its deadline.
//
// Once armed, Done, Err and Value are inner's, so contexts derived from a
// runContext register with inner as with any cancelCtx (no goroutine).
// Err never changes once it is not nil.
type runContext struct {
	parent   context.Context
	deadline time.Time

	ended atomic.Pointer[error]           // &err once set: the context ended before it was armed
	inner atomic.Pointer[context.Context] // context.WithDeadline(parent, deadline), made by Done

	mu   sync.Mutex // arming, cancel, setting err
	err  error      // set once, before ended points to it
	stop context.CancelFunc
}

// newRunContext returns a context ending at deadline (or parent's, if
// earlier), when parent ends, or when cancel is called. Call cancel when
// the invocation is over: it stops the timer, if one was armed.
func newRunContext(parent context.Context, deadline time.Time) *runContext {
	if at, ok := parent.Deadline(); ok && at.Before(deadline) {
		deadline = at
	}
	return &runContext{parent: parent, deadline: deadline}
}

// Deadline implements context.Context.
func (c *runContext) Deadline() (time.Time, bool) { return c.deadline, true }

// Done implements context.Context. Its first call arms the deadline.
func (c *runContext) Done() <-chan struct{} {
	if in := c.inner.Load(); in != nil {
		return (*in).Done()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if in := c.inner.Load(); in != nil {
		return (*in).Done()
	}
	in, stop := context.WithDeadline(c.parent, c.deadline)
	c.stop = stop
	c.inner.Store(&in)
	if c.ended.Load() != nil {
		stop() // canceled before it was armed
	}
	return in.Done()
}

// Err implements context.Context.
func (c *runContext) Err() error {
	if err := c.ended.Load(); err != nil {
		return *err
	}
	if in := c.inner.Load(); in != nil {
		return (*in).Err()
	}
	if err := c.parent.Err(); err != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		if in := c.inner.Load(); in != nil {
			return (*in).Err() // armed meanwhile: inner's (it may not know of the parent yet)
		}
		return c.end(err) // so a later cancel does not change it
	}
	return nil
}

// end records err as what the context ended with, unless it has ended,
// and returns what it ended with. Called with c.mu held, before arming.
func (c *runContext) end(err error) error {
	if p := c.ended.Load(); p != nil {
		return *p
	}
	if c.inner.Load() != nil {
		panic("wisp: runContext.end after arming")
	}
	c.err = err
	c.ended.Store(&c.err) // c's own field: nothing allocated
	return err
}

// Value implements context.Context. Once the context has ended before it
// was armed, it arms it (stopped at once), so context.Cause and the like
// find inner's cancelCtx, which agrees with Err, not the parent's.
func (c *runContext) Value(key any) any {
	if in := c.inner.Load(); in != nil {
		return (*in).Value(key)
	}
	if c.ended.Load() != nil {
		c.Done()
		return (*c.inner.Load()).Value(key)
	}
	return c.parent.Value(key)
}

// cancel ends the context with context.Canceled, unless it has ended (its
// parent's error, if the parent has), and stops its timer.
func (c *runContext) cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inner.Load() != nil {
		c.stop()
		return
	}
	if err := c.parent.Err(); err != nil {
		c.end(err)
	} else {
		c.end(context.Canceled)
	}
}

// String names the context as context.WithDeadline's do, for debugging.
func (c *runContext) String() string {
	return "wisp.runContext(deadline " + c.deadline.String() + ")"
}
