// Package wasi implements the imports of the WASI 0.2 wasi:cli/command
// world as Go functions over the canonical ABI's Go values (package canon):
// wasi:cli (environment, exit, stdin, stdout, stderr, terminal-*), wasi:io
// (error, poll, streams), wasi:clocks (wall-clock, monotonic-clock),
// wasi:random (random, insecure, insecure-seed), wasi:filesystem (types,
// preopens: read-only, over the State's Mounts) and wasi:sockets (every
// interface, each call refused with its error-code: Wisp gives components
// no sockets; outbound HTTP goes through wasi:http/outgoing-handler).
//
// Interfaces returns every function by interface name without version
// ("wasi:io/streams") and function name as a component imports it
// ("[method]output-stream.blocking-write-and-flush",
// "[resource-drop]output-stream"). Each Func carries its canon.FuncType,
// transcribed from the WIT of WebAssembly/WASI v0.2.12 (whose stable
// functions and types are those of every 0.2.x), and a Call that takes the
// lifted arguments and returns the results to lower.
//
// Resources handed to the guest are host resources: their canon resource
// types are the exported values below (InputStream, OutputStream ...), and
// the value of an own or borrow handle that a Call takes or returns is the
// resource's representation, a key into the State's table of Go objects
// (canon moves handles in and out of the guest's handle table). A Call
// error is not a WASI error code (those are ordinary result values) but the
// end of the call: a trap, or an *ExitError for wasi:cli/exit.
//
// The package imports no WebAssembly runtime.
package wasi

import (
	"context"
	"fmt"

	"github.com/wisphq/wisp/internal/component/canon"
)

// Func is one function of a WASI interface.
type Func struct {
	// Type is the function's component type, as the WIT defines it.
	Type canon.FuncType
	// Call runs the function with the lifted arguments (canon's Go
	// values, one per parameter) and returns the results to lower (none
	// or one). An error ends the call: it is an *ExitError when the guest
	// exits, else the guest broke a rule (a trap) or ctx ended.
	Call func(ctx context.Context, s *State, args []any) ([]any, error)
}

// Interface is the functions of one WASI interface by the name a component
// imports them under: "get-environment", "[method]input-stream.read",
// "[resource-drop]input-stream".
type Interface map[string]Func

// Resource types of the host resources, one per WIT resource. Compare by
// pointer; they must not be modified. Their Dtor is nil: a guest drops a
// handle (canon resource.drop) through the interface's
// "[resource-drop]<name>" function, whose type is func(own<name>) and whose
// Call frees the Go object in the State.
var (
	// Error is wasi:io/error's error.
	Error = &canon.ResourceType{Name: "error"}
	// Pollable is wasi:io/poll's pollable.
	Pollable = &canon.ResourceType{Name: "pollable"}
	// InputStream is wasi:io/streams's input-stream.
	InputStream = &canon.ResourceType{Name: "input-stream"}
	// OutputStream is wasi:io/streams's output-stream.
	OutputStream = &canon.ResourceType{Name: "output-stream"}
	// TerminalInput is wasi:cli/terminal-input's terminal-input (never handed out).
	TerminalInput = &canon.ResourceType{Name: "terminal-input"}
	// TerminalOutput is wasi:cli/terminal-output's terminal-output (never handed out).
	TerminalOutput = &canon.ResourceType{Name: "terminal-output"}
	// Descriptor is wasi:filesystem/types's descriptor.
	Descriptor = &canon.ResourceType{Name: "descriptor"}
	// DirectoryEntryStream is wasi:filesystem/types's directory-entry-stream.
	DirectoryEntryStream = &canon.ResourceType{Name: "directory-entry-stream"}
)

// ExitError is what wasi:cli/exit's exit and exit-with-code return as
// their Call error: the guest asked to end with Code (0 for exit(ok), 1 for
// exit(err), the given code for exit-with-code). Code 0 is a successful end,
// as preview 1's proc_exit(0).
type ExitError struct{ Code uint32 }

// Error says the guest exited and with which code.
func (e *ExitError) Error() string { return fmt.Sprintf("component exited with code %d", e.Code) }

// Interfaces returns every interface this package implements by name
// without version. Each call builds new maps (the types are immutable and
// may be shared); build them once and keep them.
func Interfaces() map[string]Interface {
	t := newTypes()
	m := map[string]Interface{}
	addCLI(m, t)
	addIO(m, t)
	addClocks(m, t)
	addRandom(m, t)
	addFilesystem(m, t)
	addHTTP(m, t)
	addSockets(m)
	return m
}

// fn builds a Func from its parameter types, result type (nil: none) and
// call.
func fn(params []*canon.Type, result *canon.Type, call func(ctx context.Context, s *State, args []any) ([]any, error)) Func {
	f := Func{Type: canon.FuncType{Params: params}, Call: call}
	if result != nil {
		f.Type.Results = []*canon.Type{result}
	}
	return f
}

// ps lists parameter types.
func ps(ts ...*canon.Type) []*canon.Type { return ts }

// one wraps a single result.
func one(v any) ([]any, error) { return []any{v}, nil }

// dropFunc is the "[resource-drop]<name>" function of resource rt.
func dropFunc(rt *canon.ResourceType) Func {
	return fn(ps(canon.Own(rt)), nil, func(_ context.Context, s *State, args []any) ([]any, error) {
		return nil, s.drop(rt, args[0])
	})
}

// Option and result values.
func none() canon.VariantValue          { return canon.VariantValue{Case: 0} }
func some(v any) canon.VariantValue     { return canon.VariantValue{Case: 1, Value: v} }
func ok(v any) canon.VariantValue       { return canon.VariantValue{Case: 0, Value: v} }
func errValue(v any) canon.VariantValue { return canon.VariantValue{Case: 1, Value: v} }
