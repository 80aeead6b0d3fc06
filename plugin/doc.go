// Package plugin runs user-supplied WebAssembly as plugins of a Go
// program: load a module once, then call any function it exports by name
// with bytes in and bytes out, each call in a fresh instance with its own
// limits (memory, time, output size), with host functions the program
// supplies.
//
// The bytes-in, bytes-out convention is Extism's host ABI (the
// "extism:host/env" import module: input, output, Extism memory, config,
// variables, logging, errors, HTTP), implemented natively in Go, so a
// plugin built with any of Extism's PDKs (C, Go, Rust, JavaScript, ...)
// runs unchanged, and the embedder's host functions are imported from
// "extism:host/user" as Extism plugins expect. docs/plugins.md lists what
// is and is not supported.
//
// A typical use:
//
//	p, err := plugin.Load(ctx, wasm, plugin.Config{
//		Limits: plugin.Limits{Memory: 16 << 20, Timeout: 100 * time.Millisecond},
//		Config: map[string]string{"greeting": "Hello"},
//	})
//	if err != nil { ... }
//	defer p.Close(ctx)
//	out, err := p.Call(ctx, "greet", []byte("world"))
//
// A Plugin is safe for concurrent use: calls share nothing (an Instance,
// from NewInstance, keeps one instance and its state across calls, for
// callers that want that). Every error a call returns says what went
// wrong; errors.Is matches context.DeadlineExceeded and context.Canceled
// when a deadline or a cancellation stopped the call, and the package's
// sentinel errors for its limits.
package plugin
