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
	"net/http"

	"github.com/wisphq/wisp/internal/engine"
	"github.com/wisphq/wisp/internal/services"
)

// The status codes, the Services interface and the log levels live in
// package services, which the component layer's WASI implementation uses
// too; these aliases keep this package's names.
type (
	// Status is a guest ABI status code (docs/guest-abi.md).
	Status = services.Status
	// Services is what one invocation may do.
	Services = services.Services
	// Bucket is one open key-value store.
	Bucket = services.Bucket
	// Level is a log level, numbered as wasi:logging's.
	Level = services.Level
)

// The status codes.
const (
	OK             = services.OK
	NotFound       = services.NotFound
	BufferTooSmall = services.BufferTooSmall
	Denied         = services.Denied
	Invalid        = services.Invalid
	Limit          = services.Limit
	Unavailable    = services.Unavailable
	Timeout        = services.Timeout
	Fault          = services.Fault
	Conflict       = services.Conflict
)

// The log levels.
const (
	Trace    = services.Trace
	Debug    = services.Debug
	Info     = services.Info
	Warn     = services.Warn
	Error    = services.Error
	Critical = services.Critical
)

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
