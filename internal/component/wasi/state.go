package wasi

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/wisphq/wisp/internal/component/canon"
	"github.com/wisphq/wisp/internal/services"
)

// MaxResources is the most host resources (streams, pollables, errors) one
// State holds at once; a guest creating more without dropping them traps.
const MaxResources = 1 << 16

// State is what the functions of one component instance (one request, one
// run) act on: its environment, its standard streams and the Go objects
// behind the resource representations handed to it. Set the exported
// fields before the first call and do not change them after. A State is
// used by one goroutine at a time; the zero value is a State with no
// environment, no arguments, an empty stdin and discarded output.
type State struct {
	// Env is the environment, as "NAME=value" strings
	// (wasi:cli/environment.get-environment).
	Env []string
	// EnvFunc, if set, is called for Env instead, once, at the run's
	// first get-environment; never for a guest that does not ask.
	EnvFunc func() []string
	// Args are the arguments, program name first
	// (wasi:cli/environment.get-arguments).
	Args []string
	// Stdin is read by wasi:cli/stdin's stream; nil is an empty stream.
	Stdin io.Reader
	// Stdout and Stderr receive wasi:cli/stdout's and stderr's streams;
	// nil discards.
	Stdout, Stderr io.Writer
	// Now returns the current time for wall-clock and monotonic-clock
	// (monotonic time is measured from the State's first use with Go's
	// monotonic reading); nil is time.Now.
	Now func() time.Time
	// Random supplies wasi:random's bytes, secure and insecure alike; nil
	// is crypto/rand.
	Random io.Reader
	// Outbound sends the guest's wasi:http/outgoing-handler requests (the
	// node sets its egress-checked client); nil refuses every request
	// with error-code.HTTP-request-denied.
	Outbound func(*http.Request) (*http.Response, error)
	// Services backs wasi:keyvalue, wasi:config and wasi:logging (the
	// node sets the invocation's session, the same Go code as preview 1's
	// wisp:* modules); nil refuses key-value and config calls with an
	// error value and writes log entries to Stderr.
	Services services.Services
	// Variables are the names wasi:config/store.get-all lists (the node
	// sets the app's declared variables but its secrets, which only get
	// returns).
	Variables []string
	// Mounts are the preopened directories
	// (wasi:filesystem/preopens.get-directories), read-only; nil: none.
	Mounts []Mount
	// ResponseError is set when the guest answers the response-outparam
	// with an error-code instead of a response (the host then answered
	// 500): it describes the error-code.
	ResponseError string

	objs []any // representation r is objs[r-1]; nil is free
	// first is objs' storage for a run's first resources (a wrapped
	// command's stdio streams), with no allocation.
	first [8]any
	free  []uint32 // free representations
	live  int
	// openFiles counts the regular files open-at opened and not yet
	// dropped (MaxOpenFiles).
	openFiles int
	start     time.Time // the monotonic clock's zero
	// env and args are get-environment's and get-arguments' results,
	// made at the first call (the preview 1 adapter calls each twice:
	// for the sizes, then for the values); canon only reads them.
	env, args []any
	// okUnit and okPermit are result::ok() and check-write's
	// result::ok(WritePermit), made once per run for the stream
	// functions, which answer them on every call; canon only reads them.
	okUnit, okPermit []any
	// result is newRep's results (canon lowers a host function's results
	// before the next call), and okUnitStore okUnit's storage.
	result, okUnitStore [1]any
	// stdin, stdout and stderr are the objects of the run's first
	// get-stdin, get-stdout and get-stderr; a later call gets its own.
	stdin                          inputStream
	stdout, stderr                 outputStream
	gotStdin, gotStdout, gotStderr bool
}

// okUnitResult returns result::ok() as a function's results.
func (s *State) okUnitResult() ([]any, error) {
	if s.okUnit == nil {
		s.okUnitStore[0] = ok(nil)
		s.okUnit = s.okUnitStore[:]
	}
	return s.okUnit, nil
}

// Resources returns how many host resources the State holds (handed to
// the guest and not yet dropped).
func (s *State) Resources() int { return s.live }

// add stores obj and returns its representation.
func (s *State) add(obj any) (uint32, error) {
	if s.live >= MaxResources {
		return 0, &canon.Trap{Msg: fmt.Sprintf("the component holds %d WASI resources, the most allowed: drop streams, pollables and errors it no longer uses", MaxResources)}
	}
	s.live++
	if n := len(s.free); n > 0 {
		r := s.free[n-1]
		s.free = s.free[:n-1]
		s.objs[r-1] = obj
		return r, nil
	}
	if s.objs == nil {
		s.objs = s.first[:0]
	}
	s.objs = append(s.objs, obj)
	return uint32(len(s.objs)), nil
}

// lookup returns the object behind representation v, a uint32 lifted from
// a handle of type rt.
func (s *State) lookup(rt *canon.ResourceType, v any) (any, error) {
	r, isRep := v.(uint32)
	if !isRep || r == 0 || uint64(r) > uint64(len(s.objs)) || s.objs[r-1] == nil {
		return nil, &canon.Trap{Msg: fmt.Sprintf("%v is not a live %s representation", v, rt.Name)}
	}
	obj := s.objs[r-1]
	if resourceOf(obj) != rt {
		return nil, &canon.Trap{Msg: fmt.Sprintf("representation %d is not a %s", r, rt.Name)}
	}
	return obj, nil
}

// drop frees the object behind representation v of type rt.
func (s *State) drop(rt *canon.ResourceType, v any) error {
	if _, err := s.lookup(rt, v); err != nil {
		return err
	}
	r := v.(uint32)
	if rel, ok := s.objs[r-1].(interface{ release(*State) }); ok {
		rel.release(s)
	}
	s.objs[r-1] = nil
	s.free = append(s.free, r)
	s.live--
	return nil
}

// now returns the current time.
func (s *State) now() time.Time {
	var t time.Time
	if s.Now != nil {
		t = s.Now()
	} else {
		t = time.Now()
	}
	if s.start.IsZero() {
		s.start = t
	}
	return t
}

// monotonic returns the monotonic clock's reading in nanoseconds.
func (s *State) monotonic() uint64 {
	t := s.now()
	d := t.Sub(s.start)
	if d < 0 {
		return 0
	}
	return uint64(d)
}

// resourceOf returns the resource type of a Go object held in a State.
func resourceOf(obj any) *canon.ResourceType {
	switch o := obj.(type) {
	case *ioError:
		return Error
	case *pollable:
		return Pollable
	case *inputStream:
		return InputStream
	case *outputStream:
		return OutputStream
	case httpResource:
		return o.resourceType()
	}
	return nil
}
