package wisp

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/wisphq/wisp/internal/engine"
)

// Observer watches what a node does, for metrics and traces
// (Config.Observer). Package telemetry implements it over Prometheus and
// OpenTelemetry; the node itself knows neither. Without an Observer the
// node measures nothing: no clock is read and nothing is allocated for it.
//
// Every method is called on the node's own goroutines, many at once, most
// of them on the request path: they must be safe for concurrent use, cheap,
// and must not block.
type Observer interface {
	// Version is called when a version of an app is loaded on this node,
	// before it serves, and returns what observes its invocations. The node
	// calls the VersionObserver's Release once, when the version is
	// released (after its last invocation).
	Version(app string, version int) VersionObserver

	// BeginRequest starts observing an HTTP request the node's gateway
	// received, before it is routed. The returned context continues the
	// trace r's header names (W3C traceparent), if the observer traces:
	// the gateway serves the request under it. The node ends the
	// observation with EndRequest (Node.ObserveRequest).
	BeginRequest(ctx context.Context, r *http.Request) (context.Context, Mark)
	// EndRequest ends the observation of a request: status is the status
	// answered, app and route what served it ("" if no app did; route is
	// also "" when m has no Span: only a trace names it).
	EndRequest(m Mark, status int, app, route string)

	// Begin starts a step of the node's own work (StepRoute) within ctx,
	// and returns the context for what the step does and the mark End
	// takes.
	Begin(ctx context.Context, step Step) (context.Context, Mark)
	// End ends the step begun as m, which err ended (nil: success).
	End(m Mark, err error)

	// Inject writes the trace context of ctx (W3C traceparent, and
	// tracestate if any) into h, the header of an outbound request an app
	// makes. It writes nothing if the observer does not trace.
	Inject(ctx context.Context, h http.Header)

	// Deployed reports a deploy through this node that ended with outcome
	// after d.
	Deployed(outcome DeployOutcome, d time.Duration)
	// StoreCall reports one call of the node to its Store: op is the
	// method ("GetApp", "PutApp", "OpenBlob"...).
	StoreCall(op string, d time.Duration, err error)
	// FleetApplied reports a version deployed through another node of
	// the fleet that this node now serves, lag after the deploying node
	// created it (by that node's clock: clock skew counts in it).
	FleetApplied(lag time.Duration)
}

// VersionObserver observes the invocations of one app version. Its
// methods are called on the request path, concurrently.
type VersionObserver interface {
	// Begin starts a step of an invocation (admission, instantiate, run,
	// a host call) within ctx, and returns the context for what runs
	// within the step and the mark End takes. An instantiate step that
	// ends without error is always followed by the run step of the same
	// instance; one that fails is not.
	Begin(ctx context.Context, step Step) (context.Context, Mark)
	// End ends the step begun as m, which err ended (nil: success).
	End(m Mark, err error)
	// Rejected counts an invocation or request the node refused before
	// it ran, for reason.
	Rejected(reason Rejection)
	// Served reports a request the gateway answered with this version:
	// its status, the bytes of its body read and of the response body
	// written, and how long it took from arrival to the end of the
	// response.
	Served(status int, body, response int64, d time.Duration)
	// InstanceEnded reports the size the linear memory of one instance
	// reached, in bytes, once the instance is gone.
	InstanceEnded(peakMemory int64)
	// Used reports the CPU one invocation used once it ended, modules and
	// components alike: its fuel, the CPU time that is at
	// FuelPerMillisecond, and whether limits.cpu stopped it.
	Used(fuel int64, cpu time.Duration, stopped bool)
	// Release is called once, when the node releases the version.
	Release()
}

// StepKind is which step of the node's work a Step is.
type StepKind uint8

// The steps an Observer sees.
const (
	StepRoute       StepKind = iota + 1 // the routing table lookup
	StepAdmission                       // admission: a concurrency slot (waited for in a StepQueue), the node's instance and memory limits
	StepInstantiate                     // creating the instance (and loading its code, if released)
	StepRun                             // the guest's entry point, from its first instruction to its exit
	StepKV                              // one key-value operation of the guest
	StepOutbound                        // one outbound HTTP request of the guest (to its response's header)
	StepConfig                          // one variable read of the guest
	StepQueue                           // waiting for a concurrency slot, within admission, when the app has none free
)

// String returns the step's name as metrics and spans spell it: "route",
// "admission", "queue", "instantiate", "run", "kv", "outbound", "config".
func (k StepKind) String() string {
	switch k {
	case StepRoute:
		return "route"
	case StepAdmission:
		return "admission"
	case StepInstantiate:
		return "instantiate"
	case StepRun:
		return "run"
	case StepKV:
		return "kv"
	case StepOutbound:
		return "outbound"
	case StepConfig:
		return "config"
	case StepQueue:
		return "queue"
	}
	return "unknown"
}

// Step is one step of the node's work.
type Step struct {
	Kind StepKind
	// Op is the operation of a host call: "get", "set", "delete",
	// "exists", "keys", "increment", "compare_and_swap" for StepKV; the
	// method for StepOutbound; "get" for StepConfig.
	Op string
	// Target is what a host call acts on: the key-value store's name,
	// the outbound URL (without its query), the variable's name.
	Target string
}

// Mark is a step under way, from Begin to End, as the Observer made it.
type Mark struct {
	Step Step
	// Start is when the step began, if the Observer read the clock (it
	// need not, for a step it does not time).
	Start time.Time
	// Span is the observer's own (such as a trace span); nil if none.
	Span any
}

// DeployOutcome is how a deploy ended.
type DeployOutcome string

// The deploy outcomes an Observer sees.
const (
	DeployServing   DeployOutcome = "deployed"  // stored and serving
	DeployUnchanged DeployOutcome = "unchanged" // the same spec as the current version
	DeployInvalid   DeployOutcome = "invalid"   // refused: the spec or the module is wrong (ErrInvalid, ErrNotFound)
	DeployConflict  DeployOutcome = "conflict"  // refused: a route of another app, or a concurrent change (ErrConflict)
	DeployFailed    DeployOutcome = "failed"    // anything else: the store, a compile that failed for the node's reasons
)

// deployOutcome classifies a deploy's error.
func deployOutcome(res DeployResult, err error) DeployOutcome {
	switch {
	case err == nil && res.Unchanged:
		return DeployUnchanged
	case err == nil:
		return DeployServing
	case errors.Is(err, ErrConflict):
		return DeployConflict
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrNotFound):
		return DeployInvalid
	}
	return DeployFailed
}

// Rejection is why the node refused to run an invocation.
type Rejection string

// The reasons an invocation is refused (each an error matching
// ErrOverloaded).
const (
	RejectQueueFull    Rejection = "queue_full"    // the app's max_concurrency running and as many waiting
	RejectQueueTimeout Rejection = "queue_timeout" // no slot came free within the app's timeout
	RejectInstances    Rejection = "instances"     // the node's limit of running instances
	RejectMemory       Rejection = "memory"        // the node's memory budget is reserved, or over its ceiling
	RejectAppShare     Rejection = "app_share"     // the app holds its share (half) of the memory budget
)

// rejectedError is an ErrOverloaded refusal with its reason.
type rejectedError struct {
	reason Rejection
	err    error
}

func (e *rejectedError) Error() string { return e.err.Error() }
func (e *rejectedError) Unwrap() error { return e.err }

func rejected(reason Rejection, err error) error { return &rejectedError{reason: reason, err: err} }

// rejectionOf returns why err refused an invocation, "" if it is no refusal.
func rejectionOf(err error) Rejection {
	var r *rejectedError
	if errors.As(err, &r) {
		return r.reason
	}
	return ""
}

// begin starts step of an invocation of d, if the node observes.
func (d *deployed) begin(ctx context.Context, step Step) (context.Context, Mark) {
	if d.obs == nil {
		return ctx, Mark{}
	}
	return d.obs.Begin(ctx, step)
}

// end ends a step begun with begin.
func (d *deployed) end(m Mark, err error) {
	if d.obs != nil {
		d.obs.End(m, err)
	}
}

// BeginRequest starts observing a request the gateway received, before it
// is routed (see Observer.BeginRequest); without an Observer it returns
// ctx and a zero Mark at no cost. The gateway passes the mark to
// ObserveRequest once it has answered.
func (n *Node) BeginRequest(ctx context.Context, r *http.Request) (context.Context, Mark) {
	if n.obs == nil {
		return ctx, Mark{}
	}
	return n.obs.BeginRequest(ctx, r)
}

// BeginRoute and EndRoute bracket the routing of a request begun with
// BeginRequest, for its trace.
func (n *Node) BeginRoute(ctx context.Context) (context.Context, Mark) {
	if n.obs == nil {
		return ctx, Mark{}
	}
	return n.obs.Begin(ctx, Step{Kind: StepRoute})
}

// EndRoute ends the routing step begun with BeginRoute.
func (n *Node) EndRoute(m Mark) {
	if n.obs != nil {
		n.obs.End(m, nil)
	}
}

// ObserveRequest ends the observation of a request begun with
// BeginRequest: t is what served it (nil: no app, such as a 404), status
// what was answered, body and response the bytes of the request body read
// and of the response body written, d its time from arrival to the end of
// the response. Without an Observer it does nothing.
func (n *Node) ObserveRequest(m Mark, t *Target, status int, body, response int64, d time.Duration) {
	if n.obs == nil {
		return
	}
	app, route := "", ""
	if t != nil {
		app = t.App
		if m.Span != nil { // the route is named in the request's span only
			route = t.Route.String()
		}
		if t.d != nil && t.d.obs != nil {
			t.d.obs.Served(status, body, response, d)
		}
	}
	n.obs.EndRequest(m, status, app, route)
}

// refused ends the admission step m of an invocation of d that err
// refused, counting the refusal's reason.
func (d *deployed) refused(m Mark, err error) {
	if d.obs == nil {
		return
	}
	d.obs.End(m, err)
	if r := rejectionOf(err); r != "" {
		d.obs.Rejected(r)
	}
}

// invocationSteps are the instantiate and run steps of one invocation,
// and the engine.Hooks of its call: the engine calls back once the
// instance exists, which ends the one and begins the other.
type invocationSteps struct {
	d       *deployed
	ctx     context.Context
	sess    *session
	current Mark
	running bool
}

// invocationRecord is one invocation's stdout, stderr and stdin wrappers
// and what its engine call reports back: its usage, and its steps when the
// node is observed.
type invocationRecord struct {
	stdout cappedWriter
	stderr lineWriter
	stdin  cappedReader
	used   engine.Usage
	steps  invocationSteps
}

// observeRun begins the instantiate step of an invocation of d in st and
// sets call's hooks to st, to move on to the run step and to report the
// instance's memory.
func (d *deployed) observeRun(ctx context.Context, st *invocationSteps, call *engine.Call, sess *session) {
	*st = invocationSteps{d: d, ctx: ctx, sess: sess}
	_, st.current = d.obs.Begin(ctx, Step{Kind: StepInstantiate})
	call.Hooks = st
}

// Instantiated implements engine.Hooks.
func (st *invocationSteps) Instantiated() {
	st.d.obs.End(st.current, nil)
	var run context.Context
	run, st.current = st.d.obs.Begin(st.ctx, Step{Kind: StepRun})
	st.running = true
	if st.sess != nil {
		st.sess.run = run
	}
}

// Ended implements engine.Hooks.
func (st *invocationSteps) Ended(peak uint64) { st.d.obs.InstanceEnded(int64(peak)) }

// end ends the step under way: the run, or the instantiation if the
// instance never started.
func (st *invocationSteps) end(err error) {
	if !st.running && err == nil {
		// The instance never ran: the instantiate step ends, failed, and
		// no run step follows (Observer implementations count on it).
		err = errNeverStarted
	}
	st.d.obs.End(st.current, err)
}

// errNeverStarted ends an instantiate step whose instance never ran
// although the invocation reported no error.
var errNeverStarted = errors.New("the instance never started")

// Observing reports whether the node has an Observer, so protocol layers
// skip what only it needs.
func (n *Node) Observing() bool { return n.obs != nil }
