package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wisphq/wisp/internal/egress"
	"github.com/wisphq/wisp/internal/engine"
)

// Limits bound one call. A zero field takes the plugin's value (Config.Limits),
// and a zero field there takes the default named beside it.
type Limits struct {
	// Memory is the most memory the call may use, in bytes: the guest's
	// linear memory (whole 64 KiB pages) and, separately, its Extism
	// memory (alloc) may each grow to it. A guest asking for more is
	// refused (memory.grow returns -1, alloc traps); a failure after that
	// matches ErrMemoryLimit. A call may not raise it above the plugin's
	// Config.Limits.Memory, fixed at Load. Default 64 MiB.
	Memory uint64
	// Timeout is the wall-clock time the call may take, on top of the
	// caller's context deadline; past it the instance is killed and the
	// error matches context.DeadlineExceeded. Default 10 s.
	Timeout time.Duration
	// Output is the longest output the plugin may set, in bytes; a longer
	// one fails the call with ErrOutputTooLarge. Default 16 MiB.
	Output int
	// CPU is the CPU time the call may use, as distinct from Timeout's
	// wall-clock time: a busy machine does not count against it. The
	// guest's work is counted in fuel (docs/cpu.md: FuelPerMillisecond
	// fuel per millisecond, the same on every run and machine), and the
	// call is stopped at the first check past CPU, its error a
	// *CPULimitError matching ErrCPULimit. The call's _initialize, when
	// it runs in the call's instance, counts toward it. Default 0: no CPU
	// budget (the fuel is still counted: Config.OnUsage).
	CPU time.Duration
	// HTTPRequests is how many outbound HTTP requests (http_request) the
	// call may send. Default 16.
	HTTPRequests int
	// HTTPBytes is how many bytes of request and response bodies the
	// call's outbound HTTP may move in all. Default 8 MiB.
	HTTPBytes int64
}

// Defaults of Limits.
const (
	DefaultMemory       = 64 << 20
	DefaultTimeout      = 10 * time.Second
	DefaultOutput       = 16 << 20
	DefaultHTTPRequests = 16
	DefaultHTTPBytes    = 8 << 20
	// DefaultVarBytes is the default of Config.MaxVarBytes (Extism's).
	DefaultVarBytes = 1 << 20
)

// over returns l with its zero fields taken from d.
func (l Limits) over(d Limits) Limits {
	if l.Memory == 0 {
		l.Memory = d.Memory
	}
	if l.Timeout == 0 {
		l.Timeout = d.Timeout
	}
	if l.Output == 0 {
		l.Output = d.Output
	}
	if l.CPU == 0 {
		l.CPU = d.CPU
	}
	if l.HTTPRequests == 0 {
		l.HTTPRequests = d.HTTPRequests
	}
	if l.HTTPBytes == 0 {
		l.HTTPBytes = d.HTTPBytes
	}
	return l
}

var defaultLimits = Limits{Memory: DefaultMemory, Timeout: DefaultTimeout, Output: DefaultOutput, HTTPRequests: DefaultHTTPRequests, HTTPBytes: DefaultHTTPBytes}

// Config configures Load. The zero value is usable: default limits, no
// WASI, no configuration, no outbound HTTP, no host functions, logs
// discarded.
type Config struct {
	// Limits are every call's limits unless the call gives its own
	// (CallWith). Limits.Memory is also the most any call may ask for.
	Limits Limits
	// WASI gives the plugin WASI preview 1: clocks, random numbers, and
	// stdout and stderr (to Stdout and Stderr), with no files, arguments
	// or environment. Plugins built with Extism's C, Go or Rust (wasi)
	// PDKs need it. Default off: a plugin importing WASI is refused.
	WASI bool
	// Stdout and Stderr receive the guest's WASI output; they must be
	// safe for concurrent use when calls run concurrently. Nil: discarded.
	Stdout, Stderr io.Writer
	// Config is the read-only configuration the plugin reads with
	// config_get. Load copies it.
	Config map[string]string
	// AllowedHosts are the hosts http_request may reach, deny by default:
	// Extism's form (a host name or address, "*.example.com", "*") or a
	// Wisp allowed_outbound_hosts pattern ("https://api.example.com:443",
	// docs/outbound.md). A host name or wildcard reaches public addresses
	// only; loopback and private addresses must be named by address
	// ("127.0.0.1"). Every request goes through the address checks of
	// internal/egress, redirects included.
	AllowedHosts []string
	// HostFunctions are the embedder's functions the plugin may import,
	// in the namespace each names (Extism's "extism:host/user" by default).
	HostFunctions []HostFunction
	// Log receives the plugin's log_* messages at or above LogLevel. Nil:
	// discarded (and get_log_level tells the plugin logging is off). It
	// must be safe for concurrent use.
	Log func(ctx context.Context, level LogLevel, msg string)
	// LogLevel is the least severe level passed to Log. Default
	// LogInfo.
	LogLevel LogLevel
	// MaxVarBytes bounds the variables one Instance keeps (var_set), keys
	// and values together. Default DefaultVarBytes (1 MiB); negative:
	// variables are disabled and var_set fails.
	MaxVarBytes int
	// StubHostFunctions loads a plugin importing host functions that
	// HostFunctions do not provide, each linked to a stub that fails the
	// call that reaches it (a *TrapError naming the function); functions
	// that do not call them work. Default false: such a plugin is refused
	// at Load. `wisp call` sets it.
	StubHostFunctions bool
	// OnUsage, if not nil, is called after every call (successful or
	// not, the ones stopped at Limits.CPU included) with the call's
	// context, the function called and the fuel and CPU time the guest
	// used: for billing or per-tenant accounting. It runs on the
	// caller's goroutine before the call returns, so it must be quick;
	// with concurrent calls it must be safe for concurrent use.
	OnUsage func(ctx context.Context, function string, u Usage)
	// Cache shares compiled code between plugins (and with a directory,
	// between processes). Nil: the plugin gets a private cache, released
	// by Close.
	Cache *Cache
}

// LogLevel is the level of a plugin's log message. The zero value is no
// level (Config.LogLevel's default); get_log_level reports a level in
// Extism's numbering, trace 0 to error 4.
type LogLevel int32

// The log levels.
const (
	LogTrace LogLevel = iota + 1
	LogDebug
	LogInfo
	LogWarn
	LogError
)

// logOff is what get_log_level reports when nothing is logged (Extism's).
const logOff = 1<<31 - 1

func (l LogLevel) String() string {
	switch l {
	case LogTrace:
		return "trace"
	case LogDebug:
		return "debug"
	case LogInfo:
		return "info"
	case LogWarn:
		return "warn"
	case LogError:
		return "error"
	}
	return fmt.Sprintf("level(%d)", int32(l))
}

// Cache holds compiled code that several plugins share. It is safe for
// concurrent use; Close it after the plugins that use it.
type Cache struct{ e *engine.Engine }

// NewCache returns a Cache, keeping compiled code in dir as well when dir
// is not empty (created if needed), so another process loading the same
// module does not compile it again.
func NewCache(dir string) (*Cache, error) {
	e, err := engine.New(engine.Config{CacheDir: dir})
	if err != nil {
		return nil, fmt.Errorf("plugin cache: %w", err)
	}
	return &Cache{e: e}, nil
}

// Close releases the cache. Plugins using it must be closed first.
func (c *Cache) Close(ctx context.Context) error { return c.e.Close(ctx) }

// Plugin is a module loaded once, whose exported functions are called by
// name with bytes in and bytes out. Call runs each call in a fresh
// instance, so calls share nothing and may run concurrently; NewInstance
// keeps one instance for callers that want its state to persist between
// calls. A Plugin is safe for concurrent use.
type Plugin struct {
	p        *engine.Plugin
	own      *engine.Engine // the private cache, closed with the plugin
	cfg      Config         // Limits completed with defaults
	config   map[string]string
	policy   *egress.Policy
	client   *egress.Client
	closeMu  sync.RWMutex // held for reading by every call in progress
	isClosed atomic.Bool
}

// Load validates and compiles wasm, once, for calls with cfg. Errors:
// ErrInvalidModule (with what is wrong) for a module the host cannot run,
// a clear error for an invalid cfg (a bad AllowedHosts entry, a host
// function without a name). Close the Plugin when done.
func Load(ctx context.Context, wasm []byte, cfg Config) (*Plugin, error) {
	cfg.Limits = cfg.Limits.over(defaultLimits)
	if err := checkLimits(cfg.Limits); err != nil {
		return nil, fmt.Errorf("plugin: load: %w", err)
	}
	if cfg.LogLevel == 0 && cfg.Log != nil {
		cfg.LogLevel = LogInfo
	}
	if cfg.MaxVarBytes == 0 {
		cfg.MaxVarBytes = DefaultVarBytes
	}
	p := &Plugin{cfg: cfg, config: maps.Clone(cfg.Config)}
	if len(cfg.AllowedHosts) > 0 {
		policy, err := egress.Parse(allowedPatterns(cfg.AllowedHosts))
		if err != nil {
			return nil, fmt.Errorf("plugin: load: allowed hosts: %w", err)
		}
		p.policy = policy
		p.client = egress.New(egress.Options{})
	}
	mods, err := hostModules(cfg.HostFunctions)
	if err != nil {
		return nil, fmt.Errorf("plugin: load: %w", err)
	}
	e := (*engine.Engine)(nil)
	if cfg.Cache != nil {
		e = cfg.Cache.e
	} else {
		if e, err = engine.New(engine.Config{}); err != nil {
			return nil, fmt.Errorf("plugin: load: %w", err)
		}
		p.own = e
	}
	p.p, err = e.LoadPlugin(ctx, wasm, engine.PluginConfig{MemoryLimit: cfg.Limits.Memory, WASI: cfg.WASI, HostModules: mods, StubMissing: cfg.StubHostFunctions})
	if err != nil {
		p.release(ctx)
		if errors.Is(err, engine.ErrInvalidModule) {
			return nil, fmt.Errorf("plugin: load: %w: %s", ErrInvalidModule, err)
		}
		return nil, fmt.Errorf("plugin: load: %w", err)
	}
	return p, nil
}

func checkLimits(l Limits) error {
	switch {
	case l.Memory < 64<<10 || l.Memory > 4<<30:
		return fmt.Errorf("memory limit %d bytes is out of range: use 64KiB to 4GiB", l.Memory)
	case l.Timeout < 0:
		return fmt.Errorf("timeout %s is negative", l.Timeout)
	case l.Output < 0:
		return fmt.Errorf("output limit %d is negative", l.Output)
	case l.CPU < 0:
		return fmt.Errorf("CPU budget %s is negative", l.CPU)
	}
	return nil
}

// allowedPatterns turns Extism's allowed hosts into allowed_outbound_hosts
// patterns: a bare host reaches it over http and https on any port.
func allowedPatterns(hosts []string) []string {
	out := make([]string, len(hosts))
	for i, h := range hosts {
		if strings.Contains(h, "://") {
			out[i] = h
			continue
		}
		if strings.Contains(h, ":") && !strings.HasPrefix(h, "[") { // an IPv6 address
			h = "[" + h + "]"
		}
		out[i] = "*://" + h + ":*"
	}
	return out
}

// Functions lists the functions a call may name, sorted.
func (p *Plugin) Functions() []string {
	names := make([]string, 0, len(p.p.Functions()))
	for name := range p.p.Functions() {
		if name != engine.InitializeEntry {
			names = append(names, name)
		}
	}
	sortStrings(names)
	return names
}

// Call calls the exported function name with input in a fresh instance and
// returns what the function set as its output (Extism's output_set), with
// the plugin's limits. The instance, its memory and its variables are
// discarded after the call. Safe for concurrent use. Errors: ErrNoFunction;
// an *Error when the function reports failure; a *TrapError when it
// traps; an error matching context.DeadlineExceeded or context.Canceled
// when ctx or the timeout ended it (the instance is killed at once, even
// in an endless loop); ErrMemoryLimit, ErrOutputTooLarge,
// ErrInvalidPointer for those faults; ErrClosed.
func (p *Plugin) Call(ctx context.Context, name string, input []byte) ([]byte, error) {
	return p.CallWith(ctx, name, input, Limits{})
}

// CallWith is Call with limits for this call; its zero fields take the
// plugin's.
func (p *Plugin) CallWith(ctx context.Context, name string, input []byte, lim Limits) ([]byte, error) {
	lim, err := p.limits(lim)
	if err != nil {
		return nil, fmt.Errorf("plugin: call %s: %w", name, err)
	}
	if err := p.callable(name); err != nil {
		return nil, err
	}
	if !p.enter() {
		return nil, fmt.Errorf("plugin: call %s: %w", name, ErrClosed)
	}
	defer p.closeMu.RUnlock()
	ctx, cancel := withTimeout(ctx, lim.Timeout)
	defer cancel()
	st := p.newState(input, lim, nil)
	defer st.release()
	ctx = engine.WithHostData(ctx, st)
	m := p.meter(ctx, name, lim)
	inst, err := p.p.Instantiate(m.ctx, engine.PluginInstanceConfig{MemoryLimit: lim.Memory, Stdout: p.cfg.Stdout, Stderr: p.cfg.Stderr})
	if err != nil {
		return nil, p.callError(ctx, name, st, 0, m.finish(err))
	}
	defer inst.Close(ctx)
	return p.run(ctx, m, inst, name, st)
}

// callMeter is one call's fuel account (engine.StartMeter).
type callMeter struct {
	p        *Plugin
	ctx      context.Context // the call's, carrying the account
	function string
	meter    engine.Meter
	used     engine.Usage
}

// meter starts the fuel account of a call of function with lim.
func (p *Plugin) meter(ctx context.Context, function string, lim Limits) *callMeter {
	m := &callMeter{p: p, function: function}
	m.ctx, m.meter = engine.StartMeter(ctx, lim.CPU, &m.used)
	return m
}

// finish closes the account: it reports the call's usage to
// Config.OnUsage and returns err, or a *CPULimitError in its place when
// the budget stopped the call.
func (m *callMeter) finish(err error) error {
	err = m.meter.Finish(err)
	if m.p.cfg.OnUsage != nil {
		m.p.cfg.OnUsage(m.ctx, m.function, Usage{Fuel: m.used.Fuel, CPU: m.used.CPU})
	}
	var cpu *engine.CPULimitError
	if errors.As(err, &cpu) {
		return &CPULimitError{Function: m.function, Limit: cpu.Budget, Fuel: cpu.Fuel}
	}
	return err
}

// run calls name on inst for the call st describes, its fuel charged to
// m.
func (p *Plugin) run(ctx context.Context, m *callMeter, inst *engine.PluginInstance, name string, st *state) ([]byte, error) {
	code, err := inst.Call(m.ctx, name)
	err = m.finish(err)
	if err != nil || code != 0 || st.errMsg != "" {
		return nil, p.callError(ctx, name, st, int32(code), err)
	}
	return st.output, nil
}

// callError builds the error of a call that failed.
func (p *Plugin) callError(ctx context.Context, name string, st *state, code int32, err error) error {
	var cpu *CPULimitError
	if errors.As(err, &cpu) { // the budget, not the deadline, stopped it
		return err
	}
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return fmt.Errorf("plugin: call %s: killed at its deadline (the call's timeout of %s, or its context's deadline): %w", name, st.lim.Timeout, ctx.Err())
		}
		if ctx.Err() != nil {
			return fmt.Errorf("plugin: call %s: killed: %w", name, ctx.Err())
		}
		if errors.Is(err, context.Canceled) { // the plugin was closed under the call
			return fmt.Errorf("plugin: call %s: %w", name, ErrClosed)
		}
		var exit *engine.ExitError
		if errors.As(err, &exit) {
			return &Error{Function: name, Message: st.errMsg, Code: int32(exit.Code)}
		}
		cause := st.fault
		if cause == nil && errors.Is(err, engine.ErrPluginMemory) {
			cause = ErrMemoryLimit
		}
		msg := err.Error()
		var trap *engine.TrapError
		if errors.As(err, &trap) {
			msg = trap.Msg
		}
		if st.fault != nil {
			msg = st.fault.Error()
		} else if cause == ErrMemoryLimit {
			msg = firstLine(msg) + fmt.Sprintf(" (after the guest was refused memory beyond its limit of %d bytes)", st.lim.Memory)
		}
		return &TrapError{Function: name, Msg: firstLine(msg), cause: cause}
	}
	return &Error{Function: name, Message: st.errMsg, Code: code}
}

func (p *Plugin) limits(lim Limits) (Limits, error) {
	lim = lim.over(p.cfg.Limits)
	if err := checkLimits(lim); err != nil {
		return lim, err
	}
	if lim.Memory > p.cfg.Limits.Memory {
		return lim, fmt.Errorf("memory limit %d bytes is above the plugin's %d bytes set at Load: raise Config.Limits.Memory", lim.Memory, p.cfg.Limits.Memory)
	}
	return lim, nil
}

func (p *Plugin) callable(name string) error {
	if _, ok := p.p.Functions()[name]; !ok || name == engine.InitializeEntry {
		return fmt.Errorf("plugin: call %s: %w: the plugin exports %s (callable functions take no parameters and return nothing or an i32)", name, ErrNoFunction, listOrNone(p.Functions()))
	}
	return nil
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "no callable function"
	}
	return strings.Join(names, ", ")
}

// enter takes a read lock for a call, unless the plugin is closed.
func (p *Plugin) enter() bool {
	p.closeMu.RLock()
	if p.isClosed.Load() {
		p.closeMu.RUnlock()
		return false
	}
	return true
}

func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}

// Close stops calls in progress (they fail with ErrClosed) and releases
// the plugin. It is idempotent.
func (p *Plugin) Close(ctx context.Context) error {
	if !p.isClosed.CompareAndSwap(false, true) {
		return nil
	}
	err := p.p.Close(ctx) // kills the instances running
	p.closeMu.Lock()      // and waits for their calls to return
	defer p.closeMu.Unlock()
	return errors.Join(err, p.release(ctx))
}

// release releases what Load set up beside the engine's plugin.
func (p *Plugin) release(ctx context.Context) error {
	var errs []error
	if p.own != nil {
		errs = append(errs, p.own.Close(ctx))
	}
	if p.client != nil {
		p.client.Close()
	}
	return errors.Join(errs...)
}
