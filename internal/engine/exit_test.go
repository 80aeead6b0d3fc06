package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/sys"
)

// outcome is what a Run should report: killed (context.DeadlineExceeded or
// context.Canceled), else an *ExitError with code (none for code 0), else
// a *TrapError when trap is set.
type outcome struct {
	killed error
	code   uint32
	trap   bool
}

func (o outcome) String() string {
	switch {
	case o.killed != nil:
		return fmt.Sprintf("killed (%v)", o.killed)
	case o.trap:
		return "a trap"
	case o.code != 0:
		return fmt.Sprintf("exit code %d", o.code)
	}
	return "success"
}

// check fails t unless err is o.
func (o outcome) check(t *testing.T, err error) {
	t.Helper()
	var exit *ExitError
	var trap *TrapError
	switch {
	case o.killed != nil:
		if !errors.Is(err, o.killed) || errors.As(err, &exit) {
			t.Errorf("got %v (%T), want %s", err, err, o)
		}
	case o.trap:
		if !errors.As(err, &trap) {
			t.Errorf("got %v (%T), want %s", err, err, o)
		}
	case o.code != 0:
		if !errors.As(err, &exit) || exit.Code != o.code {
			t.Errorf("got %v (%T), want %s", err, err, o)
		}
	default:
		if err != nil {
			t.Errorf("got %v (%T), want %s", err, err, o)
		}
	}
	// Nothing but a kill may pass for one: the node answers those with
	// 504 (deadline) or as a client that went away (canceled).
	if o.killed == nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		t.Errorf("%v matches a context error; the guest was not killed", err)
	}
}

// TestGuestCannotFakeAKill runs exitcode.wasm, which calls proc_exit with
// the code its argument names, with every code wazero reserves for its
// own kills, and real kills beside them: the outcome must follow what
// happened to the context, never the code the guest chose.
func TestGuestCannotFakeAKill(t *testing.T) {
	e := newEngine(t, "")
	exitcode := mustPrepare(t, compile(t, e, "exitcode.wasm", 1<<20), nil, nil)
	loop := mustPrepare(t, compile(t, e, "loop.wasm", 1<<20), nil, nil)

	for _, tc := range []struct {
		name string
		p    *Prepared
		args []string
		// stop, if set, ends the run's context on its own schedule;
		// otherwise the context stays alive for a minute.
		stop func(ctx context.Context) (context.Context, context.CancelFunc)
		want outcome
	}{
		{name: "no argument exits 0", p: exitcode, want: outcome{}},
		{name: "exit 0", p: exitcode, args: []string{"0"}, want: outcome{}},
		{name: "exit 3", p: exitcode, args: []string{"3"}, want: outcome{code: 3}},
		{
			name: "exit with the deadline code",
			p:    exitcode, args: []string{fmt.Sprint(sys.ExitCodeDeadlineExceeded)},
			want: outcome{code: sys.ExitCodeDeadlineExceeded},
		},
		{
			name: "exit with the cancel code",
			p:    exitcode, args: []string{fmt.Sprint(sys.ExitCodeContextCanceled)},
			want: outcome{code: sys.ExitCodeContextCanceled},
		},
		{
			name: "real deadline",
			p:    loop,
			stop: func(ctx context.Context) (context.Context, context.CancelFunc) {
				return context.WithTimeout(ctx, 50*time.Millisecond)
			},
			want: outcome{killed: context.DeadlineExceeded},
		},
		{
			name: "real cancel",
			p:    loop,
			stop: func(ctx context.Context) (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(ctx)
				time.AfterFunc(50*time.Millisecond, cancel)
				return ctx, cancel
			},
			want: outcome{killed: context.Canceled},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stop := tc.stop
			if stop == nil {
				stop = func(ctx context.Context) (context.Context, context.CancelFunc) {
					return context.WithTimeout(ctx, time.Minute)
				}
			}
			ctx, cancel := stop(context.Background())
			defer cancel()
			start := time.Now()
			err := tc.p.Run(ctx, Call{Args: append([]string{"guest"}, tc.args...)})
			tc.want.check(t, err)
			if took := time.Since(start); tc.want.killed == nil && took > 10*time.Second {
				t.Errorf("the guest's exit took %s", took)
			}
		})
	}
}

// TestClassify covers what a guest cannot arrange on purpose: the
// deadline firing just as the guest exits, and wazero reporting its own
// kill with a reserved code.
func TestClassify(t *testing.T) {
	alive := context.Background()
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()

	for _, tc := range []struct {
		name string
		ctx  context.Context
		err  error
		want outcome
	}{
		{"returned", alive, nil, outcome{}},
		{"exit 0", alive, sys.NewExitError(0), outcome{}},
		{"exit 3", alive, sys.NewExitError(3), outcome{code: 3}},
		{"deadline code while alive", alive, sys.NewExitError(sys.ExitCodeDeadlineExceeded), outcome{code: sys.ExitCodeDeadlineExceeded}},
		{"cancel code while alive", alive, sys.NewExitError(sys.ExitCodeContextCanceled), outcome{code: sys.ExitCodeContextCanceled}},
		{"wrapped deadline code while alive", alive, fmt.Errorf("call: %w", sys.NewExitError(sys.ExitCodeDeadlineExceeded)), outcome{code: sys.ExitCodeDeadlineExceeded}},
		{"trap", alive, errors.New("wasm error: unreachable"), outcome{trap: true}},
		{"deadline fired: wazero's code", expired, sys.NewExitError(sys.ExitCodeDeadlineExceeded), outcome{killed: context.DeadlineExceeded}},
		{"deadline fired: returned", expired, nil, outcome{killed: context.DeadlineExceeded}},
		{"deadline fired: exit 3", expired, sys.NewExitError(3), outcome{killed: context.DeadlineExceeded}},
		{"deadline fired: cancel code", expired, sys.NewExitError(sys.ExitCodeContextCanceled), outcome{killed: context.DeadlineExceeded}},
		{"deadline fired: trap", expired, errors.New("wasm error: unreachable"), outcome{killed: context.DeadlineExceeded}},
		{"canceled: wazero's code", canceled, sys.NewExitError(sys.ExitCodeContextCanceled), outcome{killed: context.Canceled}},
		{"canceled: deadline code", canceled, sys.NewExitError(sys.ExitCodeDeadlineExceeded), outcome{killed: context.Canceled}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.want.check(t, classify(tc.ctx, tc.err)) })
	}
}

// TestCloseKillIsCanceled checks that the code Close kills instances with
// counts as a kill only once the engine is closed (close_test.go runs
// guests under a real Close).
func TestCloseKillIsCanceled(t *testing.T) {
	e := newEngine(t, "")
	killed := &ExitError{Code: sys.ExitCodeContextCanceled}
	outcome{code: sys.ExitCodeContextCanceled}.check(t, e.closedUnder(killed))
	outcome{code: 3}.check(t, e.closedUnder(&ExitError{Code: 3}))
	if err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	outcome{killed: context.Canceled}.check(t, e.closedUnder(killed))
	outcome{code: sys.ExitCodeDeadlineExceeded}.check(t, e.closedUnder(&ExitError{Code: sys.ExitCodeDeadlineExceeded}))
	outcome{}.check(t, e.closedUnder(nil))
}
