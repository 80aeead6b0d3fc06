package wisp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/wisphq/wisp/internal/egress"
	"github.com/wisphq/wisp/internal/engine"
	"github.com/wisphq/wisp/internal/hostabi"
)

// deployed is one app version compiled and ready on this node. It is
// reference counted: the routing table holds one reference while the
// version serves, each running invocation holds one, and the compiled code
// is released when the last is dropped.
type deployed struct {
	app      string
	version  Version
	prepared *engine.Prepared
	command  *commandComponent // instead of prepared, for a component
	services bool              // the module imports platform services: give each call a session
	outbound *egress.Policy    // allowed_outbound_hosts
	logs     *logRing          // the app's log, held so invocations need no node-wide lock to write it
	usage    *usageStats       // the app's CPU accounting, likewise
	obs      VersionObserver   // nil: the node has no Observer

	refs    atomic.Int64
	slots   chan struct{} // MaxConcurrency tokens
	waiting atomic.Int64  // invocations queued for a slot
}

// log appends one entry of this version to the app's log.
func (d *deployed) log(stream, msg string) {
	d.logs.append(LogEntry{Time: time.Now().UTC(), Stream: stream, Version: d.version.Number, Message: msg})
}

// acquire takes a reference unless the version is already released.
func (d *deployed) acquire() bool {
	for {
		n := d.refs.Load()
		if n <= 0 {
			return false
		}
		if d.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

func (d *deployed) release() {
	if d.refs.Add(-1) == 0 {
		if d.obs != nil {
			d.obs.Release()
		}
		if d.command != nil {
			d.command.Close(context.Background())
		} else {
			d.prepared.Close(context.Background())
		}
	}
}

// Target is a resolved request destination: which app version a route
// leads to. It is a value; resolving again after a deploy may give another.
type Target struct {
	App     string
	Version int
	Route   Route // the route that matched
	d       *deployed
}

// Limits returns the limits of the target's version.
func (t Target) Limits() Limits { return t.d.version.Spec.Limits }

// Lookup resolves a request for host (lower case, without port) and a clean
// absolute path to the app version serving it, using the most specific
// matching route. It never blocks or takes a lock.
func (n *Node) Lookup(host, path string) (Target, bool) {
	e, ok := n.table.Load().lookup(host, path)
	if !ok {
		return Target{}, false
	}
	return Target{App: e.d.app, Version: e.d.version.Number, Route: e.route, d: e.d}, true
}

// Input is one invocation's input and output streams.
//
// A module (and a wasi:cli/command component) gets Args, Env and Stdin and
// writes a CGI response to Stdout. A wasi:http/proxy component gets
// Request instead: the request it handles, as the gateway received it
// (method, URL, Host, headers; its Body is not read: the body is Stdin),
// and its response is written to Stdout as a CGI response too (a "Status:"
// header block, then the body as the guest writes it), so the same
// response sink, window and max_response serve both. Env (or EnvFunc) is
// its environment as well.
type Input struct {
	Args []string // argv including argv[0]
	Env  []string // KEY=VALUE, added to the app's env (same key: this wins)
	// EnvFunc, if set, is called for Env instead: at most once, on the
	// goroutine running the guest, the first time the guest reads its
	// environment, and never for a guest that does not (a C program that
	// calls no getenv, a component that never asks). It runs inside the
	// guest's host call, within the app's timeout: it must not block. The
	// gateway passes a request's CGI environment this way.
	EnvFunc func() []string
	Stdin   io.Reader     // nil: empty; more than the app's MaxBody fails the call with ErrTooLarge
	Stdout  io.Writer     // nil: discarded; capped at the app's MaxResponse
	Request *http.Request // for an HTTP component; nil: a GET of "/" with no headers
	// Stderr, if set, receives what the guest writes to stderr, as it
	// writes it, beside the app's log (which keeps it line by line). A
	// write error of Stderr is ignored: it never fails the guest's write.
	Stderr io.Writer
	// OnStart, if set, is called once the invocation has its slot and its
	// memory and is about to run, with the moment its timeout ends (the
	// gateway sets its connection deadlines there). Stdin and Stdout are
	// used only after it.
	OnStart func(deadline time.Time)
	// Usage, if not nil, receives the fuel and CPU time the invocation
	// used (a module's, or all of a component's core instances').
	Usage *Usage
}

// instanceOverhead is what the node itself holds for one running instance
// beside its linear memory: the stderr line buffer and the call's
// bookkeeping. It is counted against the memory budget with the instance.
const instanceOverhead = maxLogLine + 4<<10

// Invoke runs the target's version once in a fresh instance and waits for
// it to finish. It waits for a concurrency slot when the app is at
// MaxConcurrency (up to as many again may wait), and kills the instance at
// the app's Timeout, counted from the call (waiting included; from ctx's
// deadline if that is earlier, so a caller can count from the request's
// arrival), at its next check: a guest that waits on nothing runs up to
// one refuel quantum, about 100 µs of its code, before the deadline is
// armed (runcontext.go). It never waits for memory: without room in the node's budget
// it fails at once. The guest's stderr goes to the app's log.
//
// Errors: ErrOverloaded (no slot, or no room in the node's instance limit
// or memory budget), ErrTimeout, ErrCPULimit (over limits.cpu; the
// instance is stopped), ErrTooLarge (stdout over
// MaxResponse; the instance is killed), ErrGuest (trap or non-zero exit),
// ErrNotFound (the app was removed meanwhile), or ctx's error.
func (n *Node) Invoke(ctx context.Context, t Target, in Input) error {
	d := t.d
	if d == nil || !d.acquire() {
		// Released since the lookup: the app moved on to another version or
		// was removed. Serve whatever is current now.
		cur, err := n.current(t.App)
		if err != nil {
			return err
		}
		if !cur.acquire() {
			return errorf(ErrNotFound, "app %q was removed", t.App)
		}
		d = cur
	}
	defer d.release()
	// The timeout counts from here, waiting for a slot included, or from
	// earlier if ctx says so: a request is answered or refused within its
	// app's timeout.
	limits := d.version.Spec.Limits
	deadline := time.Now().Add(time.Duration(limits.Timeout))
	if at, ok := ctx.Deadline(); ok && at.Before(deadline) {
		deadline = at
	}
	actx, admission := d.begin(ctx, Step{Kind: StepAdmission})
	if err := n.takeSlot(actx, d, deadline); err != nil {
		d.refused(admission, err)
		return err
	}
	defer func() { <-d.slots }()

	releaseAdmission, err := n.admission.admit(d.app, int64(limits.Memory), instanceOverhead)
	if err != nil {
		d.refused(admission, err)
		return err
	}
	defer releaseAdmission()
	d.end(admission, nil)
	rctx := newRunContext(ctx, deadline)
	defer rctx.cancel()
	ctx = rctx
	if in.OnStart != nil {
		in.OnStart(deadline)
	}
	// One allocation for the invocation's writers and reader, what the
	// engine reports back and, when the node is observed, the steps the
	// engine's hooks move through.
	rec := &invocationRecord{}
	out := &rec.stdout
	*out = cappedWriter{w: in.Stdout, limit: int64(limits.MaxResponse), onOverflow: rctx}
	stderr := &rec.stderr
	*stderr = lineWriter{d: d, log: n.log}
	var guestStderr io.Writer = stderr
	if in.Stderr != nil {
		guestStderr = teeWriter{stderr, in.Stderr}
	}
	var stdin *cappedReader
	if in.Stdin != nil {
		stdin = &rec.stdin
		*stdin = cappedReader{r: in.Stdin, left: int64(limits.MaxBody)}
		in.Stdin = stdin
	}
	var sess *session
	if d.services || d.command != nil {
		sess = newSession(n, d)
	}
	var host any
	if d.services {
		call := hostabi.NewCall(sess)
		defer call.Close()
		host = call
	}
	used := &rec.used
	call := engine.Call{Args: in.Args, Env: in.Env, EnvFunc: in.EnvFunc, Stdin: in.Stdin, Stdout: out, Stderr: guestStderr, Host: host,
		CPU: time.Duration(limits.CPU), Usage: used}
	var steps *invocationSteps
	if d.obs != nil {
		steps = &rec.steps
		d.observeRun(ctx, steps, &call, sess)
	}
	switch {
	case d.command != nil && d.command.http:
		req := in.Request
		if req == nil {
			req = &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/"}, Header: http.Header{}}
		}
		// One session for every service the component calls, outbound
		// HTTP included: allowed_outbound_hosts and one set of
		// per-request limits, as for a preview 1 module.
		err = d.command.Handle(ctx, req, call, sess)
	case d.command != nil:
		err = d.command.Run(ctx, call, sess)
	default:
		err = d.prepared.Run(ctx, call)
	}
	if steps != nil {
		steps.end(err)
	}
	stderr.flush()
	if d.prepared != nil || d.command != nil { // modules and components are metered alike
		stopped := errors.Is(err, engine.ErrCPULimit)
		d.usage.record(used.Fuel, stopped)
		if d.obs != nil {
			d.obs.Used(used.Fuel, engine.CPUTime(used.Fuel), stopped)
		}
		if in.Usage != nil {
			*in.Usage = Usage{Fuel: used.Fuel, CPU: cpuOf(used.Fuel)}
		}
	}
	if err == nil && out.written == 0 && d.prepared != nil && d.prepared.Reactor() {
		// A reactor's stdout is not flushed by an exit: C's stdio and
		// Rust's LineWriter keep what the handler printed unless it
		// flushes before returning.
		d.log("error", engine.HandlerEntry+" returned without writing anything to stdout: flush stdout before the handler returns (C: fflush(stdout); Rust: std::io::stdout().flush(); Go: write to os.Stdout directly)")
	}
	switch {
	case out.overflowed:
		return errorf(ErrTooLarge, "app %q wrote more than its max_response of %s to stdout; the instance was stopped", d.app, limits.MaxResponse)
	case stdin != nil && stdin.over:
		return errorf(ErrTooLarge, "app %q was given more than its max_body of %s on stdin; send less or raise limits.max_body", d.app, limits.MaxBody)
	case err == nil:
		return nil
	case errors.Is(err, engine.ErrCPULimit):
		return errorf(ErrCPULimit, "app %q used more than its CPU limit of %s per request (limits.cpu; %d fuel at %d per ms); the instance was stopped: raise limits.cpu or make requests cheaper", d.app, limits.CPU, used.Fuel, FuelPerMillisecond)
	case errors.Is(err, context.DeadlineExceeded):
		// Matches context.DeadlineExceeded too: the caller's deadline may
		// be the one that ran out.
		return errorf(ErrTimeout, "%w", deadlineError{fmt.Sprintf("app %q ran past its %s timeout; the instance was killed", d.app, limits.Timeout)})
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("app %q: %w", d.app, err)
	}
	return errorf(ErrGuest, "app %q version %d: %w", d.app, d.version.Number, err)
}

// InvokeApp runs the current version of the named app once, as Invoke does.
func (n *Node) InvokeApp(ctx context.Context, app string, in Input) error {
	d, err := n.current(app)
	if err != nil {
		return err
	}
	return n.Invoke(ctx, Target{App: app, Version: d.version.Number, d: d}, in)
}

// current returns the version of app serving on this node.
func (n *Node) current(app string) (*deployed, error) {
	if d, ok := n.table.Load().apps[app]; ok {
		return d, nil
	}
	return nil, errorf(ErrNotFound, "app %q is not deployed on this node", app)
}

// takeSlot waits for one of d's concurrency slots until deadline. At most
// MaxConcurrency callers wait; beyond that it fails at once, so an
// overloaded app sheds load instead of queueing without bound.
func (n *Node) takeSlot(ctx context.Context, d *deployed, deadline time.Time) (err error) {
	select {
	case d.slots <- struct{}{}:
		return nil
	default:
	}
	if d.waiting.Add(1) > int64(cap(d.slots)) {
		d.waiting.Add(-1)
		return rejected(RejectQueueFull, errorf(ErrOverloaded, "app %q is at its max_concurrency of %d with %d more waiting; retry later or raise limits.max_concurrency", d.app, cap(d.slots), cap(d.slots)))
	}
	defer d.waiting.Add(-1)
	_, queued := d.begin(ctx, Step{Kind: StepQueue})
	err = n.waitSlot(ctx, d, deadline)
	d.end(queued, err)
	return err
}

// waitSlot waits for one of d's concurrency slots until deadline.
func (n *Node) waitSlot(ctx context.Context, d *deployed, deadline time.Time) error {
	timeout := time.NewTimer(time.Until(deadline))
	defer timeout.Stop()
	select {
	case d.slots <- struct{}{}:
		return nil
	case <-timeout.C:
	case <-ctx.Done():
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return ctx.Err()
		}
	}
	return rejected(RejectQueueTimeout, errorf(ErrOverloaded, "app %q: no instance slot came free within its %s timeout (max_concurrency %d); raise limits.max_concurrency or make requests faster", d.app, d.version.Spec.Limits.Timeout, cap(d.slots)))
}

// cappedWriter passes writes through until limit bytes, then fails them and
// cancels onOverflow, the instance's context.
type cappedWriter struct {
	w          io.Writer
	limit      int64
	written    int64
	overflowed bool
	onOverflow *runContext
}

func (c *cappedWriter) Write(p []byte) (int, error) {
	if c.written+int64(len(p)) > c.limit {
		if !c.overflowed {
			c.overflowed = true
			c.onOverflow.cancel()
		}
		return 0, ErrTooLarge
	}
	c.written += int64(len(p))
	if c.w == nil {
		return len(p), nil
	}
	return c.w.Write(p)
}

// lineWriter splits a guest's stderr into log lines, each in d's log and
// the node's (log). Lines longer than maxLogLine are cut; at most
// maxLogLinesPerCall lines are kept per call.
type lineWriter struct {
	buf   []byte
	lines int
	d     *deployed
	log   *slog.Logger
}

func (l *lineWriter) emit(line string) {
	l.d.log("stderr", line)
	l.log.Info("guest stderr", "app", l.d.app, "version", l.d.version.Number, "line", line)
}

const (
	maxLogLine         = 4096
	maxLogLinesPerCall = 1000
)

func (l *lineWriter) Write(p []byte) (int, error) {
	for _, b := range p {
		if b == '\n' {
			l.flush()
			continue
		}
		if len(l.buf) < maxLogLine {
			l.buf = append(l.buf, b)
		}
	}
	return len(p), nil
}

func (l *lineWriter) flush() {
	if len(l.buf) == 0 {
		return
	}
	if l.lines < maxLogLinesPerCall {
		l.emit(string(l.buf))
	} else if l.lines == maxLogLinesPerCall {
		l.emit("(further stderr lines of this invocation dropped)")
	}
	l.lines++
	l.buf = l.buf[:0]
}

// teeWriter writes to w and then, ignoring its errors, to also.
type teeWriter struct{ w, also io.Writer }

func (t teeWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	t.also.Write(p[:n])
	return n, err
}

// cappedReader reads at most left bytes of r; reading past them fails, and
// over records it.
type cappedReader struct {
	r    io.Reader
	left int64
	over bool
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One byte more tells a body of exactly the limit from a longer one.
		var one [1]byte
		if n, _ := io.ReadFull(c.r, one[:]); n > 0 {
			c.over = true
			return 0, errors.New("request body over the app's max_body")
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// deadlineError is a message that matches context.DeadlineExceeded
// without repeating its text.
type deadlineError struct{ msg string }

func (e deadlineError) Error() string { return e.msg }
func (e deadlineError) Unwrap() error { return context.DeadlineExceeded }
