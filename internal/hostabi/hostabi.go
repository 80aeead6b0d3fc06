// Package hostabi implements the guest ABI of docs/guest-abi.md: the
// platform services (key-value stores, variables, logging, outbound HTTP)
// as host functions of preview 1 modules, in the engine's terms
// (engine.HostModule). It holds no service logic: every call reads its
// arguments from guest memory, calls the Services of the invocation
// (the node's per-call session, the same Go code the component layer
// uses) and writes the result back, mapping errors to the ABI's status
// codes.
//
// The node creates one Call per invocation with NewCall and passes it as
// engine.Call.Host; the functions find it with engine.HostData. A reactor's
// _initialize runs without one: every call then fails with UNAVAILABLE.
//
// Guest memory is only read through bounds-checked views and copied before
// a service sees it, so nothing a service keeps aliases guest memory, and a
// pointer outside memory fails the call with FAULT without reading or
// writing anything.
package hostabi

import (
	"context"
	"net/http"
	"time"

	"github.com/wisphq/wisp/internal/engine"
)

// Status is a guest ABI status code (docs/guest-abi.md).
type Status uint32

// The status codes.
const (
	OK             Status = 0
	NotFound       Status = 1
	BufferTooSmall Status = 2
	Denied         Status = 3
	Invalid        Status = 4
	Limit          Status = 5
	Unavailable    Status = 6
	Timeout        Status = 7
	Fault          Status = 8
	Conflict       Status = 9
)

// Services is what one invocation may do; the node implements it per
// call, applying the app's declarations and limits. Errors are mapped to
// status codes with Classify.
type Services interface {
	// OpenKV opens a key-value store the app declares.
	OpenKV(ctx context.Context, name string) (Bucket, error)
	// Variable returns a variable's value (a secret's plaintext).
	Variable(ctx context.Context, name string) (string, error)
	// Log records one guest log entry; fields alternate keys and values.
	Log(ctx context.Context, level Level, context, msg string, fields []string) error
	// Send sends an outbound request, following redirects as allowed, and
	// returns the response with its body unread.
	Send(ctx context.Context, req *http.Request) (*http.Response, error)
	// MaxValue is the largest key-value value the node stores, and
	// OutboundRoom the bytes of bodies the invocation may still send and
	// receive: the ABI refuses larger arguments before copying them out
	// of guest memory.
	MaxValue() int64
	OutboundRoom() int64
	// Classify maps an error of the methods above to the status the
	// guest sees.
	Classify(err error) Status
}

// Bucket is one open key-value store, as the ABI uses it.
type Bucket interface {
	Get(ctx context.Context, key string) ([]byte, error) // NotFound if absent
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	Delete(ctx context.Context, key string) error
	Exists(ctx context.Context, key string) (bool, error)
	Keys(ctx context.Context, prefix, after string, limit int) (keys []string, more bool, err error)
	Increment(ctx context.Context, key string, delta int64) (int64, error)
	CompareAndSwap(ctx context.Context, key string, old []byte, expectAbsent bool, new []byte) (bool, error)
}

// Level is a log level, numbered as wasi:logging's.
type Level uint32

// The log levels.
const (
	Trace Level = iota
	Debug
	Info
	Warn
	Error
	Critical
)

// String returns the level's name as wasi:logging spells it ("info").
func (l Level) String() string {
	switch l {
	case Trace:
		return "trace"
	case Debug:
		return "debug"
	case Info:
		return "info"
	case Warn:
		return "warn"
	case Error:
		return "error"
	case Critical:
		return "critical"
	}
	return "unknown"
}

// Call is the state of one invocation's host calls: its services, the
// handles it opened, the message of its last failure. It is used by one
// instance at a time (an instance runs on one goroutine). Close it when
// the invocation ends.
type Call struct {
	svc       Services
	buckets   []Bucket          // handle i+1
	opened    map[string]uint32 // store name -> its handle: opening again returns it
	responses map[uint32]*http.Response
	nextResp  uint32
	lastErr   string
	// pending keeps a value a get could not return because the guest's
	// buffer was too small, so the guest's retry with a bigger buffer
	// gets the same value without another read of the store; it holds
	// for the next call only (retry, while that call runs).
	pending, retry pendingGet
	// wagi holds responses of WAGI's wasi_experimental_http (wagi.go).
	wagi map[uint32]*http.Response
}

type pendingGet struct {
	kind   string // "kv", "config"
	handle uint32
	key    string
	value  []byte
}

// NewCall returns the host-call state of one invocation using svc.
func NewCall(svc Services) *Call {
	return &Call{svc: svc}
}

// Close releases what the invocation left open (outbound responses).
func (c *Call) Close() {
	for _, r := range c.responses {
		r.Body.Close()
	}
	for _, r := range c.wagi {
		r.Body.Close()
	}
	c.responses, c.wagi = nil, nil
}

// Modules returns every host module of the guest ABI, for
// engine.Config.HostModules. (A new module: a function here returning its
// engine.HostModule, built with fn so failures set the last error; tests
// run a fixture module against fake Services as hostabi_test.go does.)
func Modules() []engine.HostModule {
	return []engine.HostModule{
		errorModule(), kvStoreModule(), kvAtomicsModule(), configModule(), loggingModule(), httpModule(), wagiModule(),
	}
}
