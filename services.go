package wisp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wisphq/wisp/internal/egress"
	"github.com/wisphq/wisp/internal/hostabi"
)

// session is one invocation's access to the platform services: what the
// guest ABI (internal/hostabi) calls, and what the component layer will
// call, so both reach the services through the same code. It applies the
// app's declarations (stores, outbound hosts, variables) and the
// invocation's limits (kv_ops, outbound requests and bytes, log entries).
// An instance runs on one goroutine, so a session needs no lock.
type session struct {
	n      *Node
	d      *deployed
	kvOps  int // operations left
	logs   int // log entries written
	notes  int // entries the node wrote about failed service calls
	spec   *AppSpec
	limits Limits
	budget *egress.Budget // outbound HTTP, made on the first request
	// vars holds the variables this invocation read: each is read from
	// the store once per request, however often the guest asks.
	vars map[string]variableRead
	// run carries the trace of the guest's run, once it started, for the
	// host calls' steps (Observer); nil: the calls' own context's.
	run context.Context
}

type variableRead struct {
	value string
	err   error
}

func newSession(n *Node, d *deployed) *session {
	spec := &d.version.Spec
	limits := spec.Limits.WithDefaults() // versions stored before a limit existed
	return &session{n: n, d: d, spec: spec, limits: limits, kvOps: limits.KVOps}
}

// usesServices reports whether a module importing from mods needs a
// session: any import beyond WASI preview 1.
func usesServices(mods []string) bool {
	for _, m := range mods {
		if m != "wasi_snapshot_preview1" {
			return true
		}
	}
	return false
}

// checkServiceImports refuses, at deploy, a module that imports a service
// its spec does not declare, or that this node cannot provide.
func (n *Node) checkServiceImports(spec AppSpec, mods []string) error {
	for _, m := range mods {
		switch {
		case strings.HasPrefix(m, "wisp:keyvalue/") && len(spec.KeyValueStores) == 0:
			return errorf(ErrInvalid, "module imports %s but the app declares no key-value store: add key_value_stores = [\"default\"] to its wisp.toml (and deploy the directory: flags cannot declare stores)", m)
		case (strings.HasPrefix(m, "wisp:http/") || m == "wasi_experimental_http") && len(spec.AllowedOutboundHosts) == 0:
			return errorf(ErrInvalid, "module imports %s but the app allows no outbound host: add allowed_outbound_hosts = [\"https://api.example.com\"] (the hosts it calls) to its wisp.toml (and deploy the directory: flags cannot allow hosts)", m)
		}
	}
	if len(spec.KeyValueStores) > 0 && n.cfg.KV == nil {
		return errorf(ErrInvalid, "the app declares key_value_stores %q, but this node has no key-value backend (wisp.Config.KV)", spec.KeyValueStores)
	}
	return nil
}

// OpenKV implements hostabi.Services.
// armDeadline arms ctx's deadline before a call that may wait without
// watching ctx (bolt's commit waits on the disk; memstore's on a lock):
// the invocation's context sets its timer up only on Done (runcontext.go),
// and a guest calling such a service in a loop must meet its deadline at
// the first host call past it, whichever ABI it calls through.
func armDeadline(ctx context.Context) { ctx.Done() }

func (s *session) OpenKV(ctx context.Context, name string) (hostabi.Bucket, error) {
	if !slices.Contains(s.spec.KeyValueStores, name) {
		if err := ValidateKVStoreName(name); err != nil {
			return nil, err
		}
		return nil, errorf(ErrDenied, "app %q does not declare key-value store %q: add it to key_value_stores in wisp.toml (declared: %q)", s.d.app, name, s.spec.KeyValueStores)
	}
	armDeadline(ctx)
	st, err := s.n.kvStore(ctx, name)
	if err != nil {
		return nil, err
	}
	b := &bucket{s: s, name: name, st: st}
	if s.d.obs != nil {
		return observedBucket{b}, nil
	}
	return b, nil
}

// kvStore returns the node's open store name, opening it on first use.
func (n *Node) kvStore(ctx context.Context, name string) (KVStore, error) {
	if n.cfg.KV == nil {
		return nil, errorf(ErrUnavailable, "this node has no key-value backend")
	}
	if st, ok := n.kvOpen.Load(name); ok {
		return st.(KVStore), nil
	}
	st, err := n.cfg.KV.Open(ctx, name, n.kvLimits().Quota)
	if err != nil {
		return nil, fmt.Errorf("open key-value store %q: %w", name, err)
	}
	actual, _ := n.kvOpen.LoadOrStore(name, st)
	return actual.(KVStore), nil
}

// kvLimits returns Config.KVLimits with defaults filled in.
func (n *Node) kvLimits() KVLimits {
	l := n.cfg.KVLimits
	if l.MaxValue <= 0 {
		l.MaxValue = DefaultKVValue
	}
	if l.Quota.MaxKeys <= 0 {
		l.Quota.MaxKeys = DefaultKVKeys
	}
	if l.Quota.MaxBytes <= 0 {
		l.Quota.MaxBytes = DefaultKVBytes
	}
	return l
}

// Variable implements hostabi.Services. A variable is read once per
// invocation (at most the app's declared variables are kept); a request
// sees the value of its first read throughout.
func (s *session) Variable(ctx context.Context, name string) (string, error) {
	if s.d.obs == nil {
		return s.variable(ctx, name)
	}
	_, m := s.beginCall(ctx, StepConfig, "get", name)
	value, err := s.variable(ctx, name)
	s.endCall(m, err)
	return value, err
}

func (s *session) variable(ctx context.Context, name string) (string, error) {
	if r, ok := s.vars[name]; ok {
		return r.value, r.err
	}
	armDeadline(ctx)
	value, err := s.n.lookupVariable(ctx, s.d.app, s.spec.Variables, name)
	if _, declared := s.spec.Variables[name]; declared && (err == nil || errors.Is(err, ErrNotFound)) {
		if s.vars == nil {
			s.vars = make(map[string]variableRead, len(s.spec.Variables))
		}
		s.vars[name] = variableRead{value, err}
	}
	return value, err
}

// MaxValue implements hostabi.Services.
func (s *session) MaxValue() int64 { return s.n.kvLimits().MaxValue }

// OutboundRoom implements hostabi.Services.
func (s *session) OutboundRoom() int64 {
	_, used := s.budget.Used() // a nil budget has used nothing
	return int64(s.limits.OutboundBytes) - used
}

// Log implements hostabi.Services: one entry in the app's log and one
// line in the node's log.
func (s *session) Log(ctx context.Context, level hostabi.Level, logContext, msg string, fields []string) error {
	s.logs++
	switch {
	case s.logs == maxLogLinesPerCall+1:
		s.d.log("log", "(further log entries of this invocation dropped)")
		return errorf(ErrLimit, "this request wrote %d log entries, the most one request may", maxLogLinesPerCall)
	case s.logs > maxLogLinesPerCall:
		return errorf(ErrLimit, "this request wrote %d log entries, the most one request may", maxLogLinesPerCall)
	}
	s.appendLog(ctx, "log", "guest log: ", level, logContext, msg, fields)
	return nil
}

// maxNodeNotes bounds the entries the node itself writes into an app's
// log about one invocation's service calls (refused outbound requests).
const maxNodeNotes = 10

// note records, in the app's log and the node's, why a service call the
// guest made failed, for the operator (the guest gets the message too):
// at most maxNodeNotes per invocation.
func (s *session) note(ctx context.Context, logContext string, err error) {
	if s.notes++; s.notes > maxNodeNotes {
		return
	}
	s.appendLog(ctx, "node", "service call failed: ", hostabi.Warn, logContext, err.Error(), nil)
}

// appendLog appends one entry, bounded by capLogEntry, to the app's log
// (stream) and the node's (its message prefixed by prefix).
func (s *session) appendLog(ctx context.Context, stream, prefix string, level hostabi.Level, logContext, msg string, fields []string) {
	logContext, msg, fields = capLogEntry(logContext, msg, fields)
	entry := LogEntry{Time: time.Now().UTC(), Stream: stream, Version: s.d.version.Number, Level: level.String(), Context: logContext, Message: msg}
	attrs := []any{"app", s.d.app, "version", s.d.version.Number}
	if logContext != "" {
		attrs = append(attrs, "context", logContext)
	}
	if len(fields) > 0 {
		entry.Fields = make(map[string]string, len(fields)/2)
		group := make([]any, 0, len(fields))
		for i := 0; i+1 < len(fields); i += 2 {
			entry.Fields[fields[i]] = fields[i+1]
			group = append(group, fields[i], fields[i+1])
		}
		attrs = append(attrs, slog.Group("fields", group...))
	}
	s.d.logs.append(entry)
	s.n.log.Log(ctx, slogLevel(level), prefix+msg, attrs...)
}

// Bounds of one guest log entry: what an entry may hold in the app's log
// ring, whose entries stay in memory.
const (
	maxLogEntry   = 8 << 10 // context, message and fields together
	maxLogContext = 256
	maxLogMessage = 4 << 10
)

// capLogEntry cuts an entry to maxLogEntry bytes: the context to
// maxLogContext, the message to maxLogMessage, then whole fields while they
// fit (a field that does not is dropped, and a field "truncated" says how
// many were).
func capLogEntry(logContext, msg string, fields []string) (string, string, []string) {
	logContext, msg = cutText(logContext, maxLogContext), cutText(msg, maxLogMessage)
	room := maxLogEntry - len(logContext) - len(msg)
	kept := fields[:0:0]
	for i := 0; i+1 < len(fields); i += 2 {
		n := len(fields[i]) + len(fields[i+1])
		if n > room {
			kept = append(kept, "truncated", fmt.Sprintf("%d fields dropped: an entry holds at most %d bytes", (len(fields)-i)/2, maxLogEntry))
			break
		}
		room -= n
		kept = append(kept, fields[i], fields[i+1])
	}
	return logContext, msg, kept
}

// cutText cuts s to at most n bytes without splitting a UTF-8 sequence.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func slogLevel(l hostabi.Level) slog.Level {
	switch l {
	case hostabi.Trace, hostabi.Debug:
		return slog.LevelDebug
	case hostabi.Info:
		return slog.LevelInfo
	case hostabi.Warn:
		return slog.LevelWarn
	}
	return slog.LevelError
}

// Send implements hostabi.Services: the request goes through the node's
// egress client under the version's allowed_outbound_hosts and the
// invocation's budget. Its errors match the root sentinels (ErrDenied,
// ErrLimit, ErrTimeout, ErrInvalid, ErrUnavailable) with egress's message.
func (s *session) Send(ctx context.Context, req *http.Request) (*http.Response, error) {
	if s.budget == nil {
		s.budget = egress.NewBudget(s.limits.OutboundRequests, int64(s.limits.OutboundBytes))
	}
	var m Mark
	if s.d.obs != nil {
		var traced context.Context
		traced, m = s.beginCall(ctx, StepOutbound, req.Method, outboundTarget(req))
		// The request carries this call's trace (W3C traceparent) to the
		// service it reaches, replacing any the guest set.
		if req.Header == nil {
			req.Header = http.Header{}
		}
		s.n.obs.Inject(traced, req.Header)
	}
	resp, err := s.n.egress.Do(ctx, s.d.outbound, s.budget, req)
	if s.d.obs != nil {
		s.endCall(m, err)
	}
	if err != nil {
		s.note(ctx, "outbound", err)
		return nil, egressError(err)
	}
	return resp, nil
}

// outboundTarget is a request's URL without its query and fragment, which
// may hold secrets, for its step.
func outboundTarget(req *http.Request) string {
	if req.URL == nil {
		return ""
	}
	u := *req.URL
	u.RawQuery, u.Fragment, u.RawFragment, u.User = "", "", "", nil
	return u.String()
}

// egressError gives an egress error the matching root sentinel.
func egressError(err error) error {
	for _, k := range []struct{ egress, root error }{
		{egress.ErrDenied, ErrDenied}, {egress.ErrInvalid, ErrInvalid}, {egress.ErrLimit, ErrLimit},
		{egress.ErrTimeout, ErrTimeout}, {egress.ErrUnavailable, ErrUnavailable},
	} {
		if errors.Is(err, k.egress) {
			return errorf(k.root, "%w", err)
		}
	}
	return errorf(ErrUnavailable, "%w", err)
}

// Classify implements hostabi.Services.
func (s *session) Classify(err error) hostabi.Status {
	return guestStatus(err)
}

// guestStatus maps the node's errors to guest ABI status codes.
func guestStatus(err error) hostabi.Status {
	switch {
	case err == nil:
		return hostabi.OK
	case errors.Is(err, ErrNotFound):
		return hostabi.NotFound
	case errors.Is(err, ErrDenied):
		return hostabi.Denied
	case errors.Is(err, ErrInvalid):
		return hostabi.Invalid
	case errors.Is(err, ErrLimit), errors.Is(err, ErrTooLarge):
		return hostabi.Limit
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return hostabi.Timeout
	case errors.Is(err, ErrConflict):
		return hostabi.Conflict
	}
	return hostabi.Unavailable
}
