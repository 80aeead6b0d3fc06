package wisp

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

// closedWithin reports whether ch closes within d.
func closedWithin(ch <-chan struct{}, d time.Duration) bool {
	select {
	case <-ch:
		return true
	case <-time.After(d):
		return false
	}
}

// TestRunContext checks that runContext ends as context.WithDeadline does,
// whether or not Done was called before it ended.
func TestRunContext(t *testing.T) {
	const short = 20 * time.Millisecond
	for _, tc := range []struct {
		name      string
		timeout   time.Duration
		armFirst  bool // call Done before the context ends
		end       func(t *testing.T, c *runContext, cancelParent context.CancelFunc)
		want      error
		wantEnded bool
	}{
		{"deadline, Done called late", short, false, func(t *testing.T, c *runContext, _ context.CancelFunc) {
			time.Sleep(2 * short)
			if err := c.Err(); err != nil {
				t.Errorf("Err() = %v before Done was called, want nil: the deadline is armed by Done", err)
			}
		}, context.DeadlineExceeded, true},
		{"deadline, Done armed", short, true, func(*testing.T, *runContext, context.CancelFunc) {}, context.DeadlineExceeded, true},
		{"parent canceled, Done never called", time.Hour, false, func(_ *testing.T, _ *runContext, p context.CancelFunc) { p() }, context.Canceled, true},
		{"parent canceled, Done armed", time.Hour, true, func(_ *testing.T, _ *runContext, p context.CancelFunc) { p() }, context.Canceled, true},
		{"cancel, Done never called", time.Hour, false, func(t *testing.T, c *runContext, _ context.CancelFunc) { c.cancel() }, context.Canceled, true},
		{"cancel, Done armed", time.Hour, true, func(t *testing.T, c *runContext, _ context.CancelFunc) { c.cancel() }, context.Canceled, true},
		{"still running", time.Hour, true, func(*testing.T, *runContext, context.CancelFunc) {}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent, cancelParent := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "v"))
			defer cancelParent()
			c := newRunContext(parent, time.Now().Add(tc.timeout))
			defer c.cancel()
			if tc.armFirst {
				c.Done()
			}
			tc.end(t, c, cancelParent)
			if ended := closedWithin(c.Done(), 5*time.Second); ended != tc.wantEnded {
				t.Fatalf("Done closed: %v, want %v", ended, tc.wantEnded)
			}
			if err := c.Err(); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("Err() = %v, want %v", err, tc.want)
			}
			if got := c.Value(ctxKey{}); got != "v" {
				t.Errorf("Value = %v, want the parent's", got)
			}
		})
	}
}

type ctxKey struct{}

func TestRunContextDeadline(t *testing.T) {
	at := time.Now().Add(time.Hour)
	parent, cancel := context.WithDeadline(context.Background(), at.Add(-time.Minute))
	defer cancel()
	c := newRunContext(parent, at)
	defer c.cancel()
	if got, ok := c.Deadline(); !ok || !got.Equal(at.Add(-time.Minute)) {
		t.Errorf("Deadline() = %v, %v; want the parent's earlier one", got, ok)
	}
}

// TestRunContextChildren: contexts derived from a runContext, as the host
// calls make them, end with it.
func TestRunContextChildren(t *testing.T) {
	c := newRunContext(context.Background(), time.Now().Add(20*time.Millisecond))
	defer c.cancel()
	child, cancel := context.WithCancel(c)
	defer cancel()
	if !closedWithin(child.Done(), 5*time.Second) {
		t.Fatal("a child of the context did not end at its deadline")
	}
	if !errors.Is(child.Err(), context.DeadlineExceeded) {
		t.Errorf("child's Err() = %v", child.Err())
	}
}

// TestRunContextConcurrent races Done, Err and cancel (run with -race).
func TestRunContextConcurrent(t *testing.T) {
	for range 50 {
		c := newRunContext(context.Background(), time.Now().Add(time.Millisecond))
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch i {
				case 0:
					<-c.Done()
				case 1:
					for c.Err() == nil {
					}
				case 2:
					time.Sleep(500 * time.Microsecond)
					c.cancel()
				default:
					c.Done()
					c.cancel()
				}
			}()
		}
		wg.Wait()
		if c.Err() == nil {
			t.Fatal("context still running after cancel")
		}
	}
}

// TestRunContextErrIsStable: once Err is not nil it never changes, also
// when the parent ended before Done was ever called and cancel comes
// later (the invocation's deferred cancel).
func TestRunContextErrIsStable(t *testing.T) {
	parent, cancelParent := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelParent()
	c := newRunContext(parent, time.Now().Add(time.Hour))
	if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err() = %v with the parent past its deadline, want DeadlineExceeded", err)
	}
	c.cancel()
	if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err() = %v after cancel, want it unchanged (DeadlineExceeded)", err)
	}
	if !closedWithin(c.Done(), time.Second) {
		t.Fatal("Done not closed")
	}
	if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err() = %v once Done was called, want it unchanged", err)
	}
}

// TestRunContextChildrenNeedNoGoroutine: contexts derived from an armed
// runContext register with it as with any context.WithDeadline, rather
// than each starting a goroutine to watch it (as a context type of its
// own would make them).
func TestRunContextChildrenNeedNoGoroutine(t *testing.T) {
	c := newRunContext(context.Background(), time.Now().Add(time.Hour))
	defer c.cancel()
	before := runtime.NumGoroutine()
	var cancels []context.CancelFunc
	for range 100 {
		_, cancel := context.WithCancel(c)
		cancels = append(cancels, cancel)
	}
	if n := runtime.NumGoroutine() - before; n > 10 {
		t.Errorf("%d goroutines more after deriving 100 contexts", n)
	}
	for _, cancel := range cancels {
		cancel()
	}
}
