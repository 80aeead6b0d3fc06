// Package wisp is the embeddable core of the Wisp WebAssembly platform.
//
// A [Node] holds deployed apps. Each app is a WASI command module
// (content-addressed by sha256) plus routes, environment variables,
// read-only file bundles and resource limits. Every deploy creates a new
// immutable [Version]; the switch from one version to the next is atomic.
// Modules are compiled ahead of time when they are deployed (and cached
// natively on disk), so invoking an app never compiles.
//
// Every invocation runs in a fresh instance: no guest state survives from one
// call to the next, and many calls to one app run concurrently, each in its
// own instance, bounded by the app's [Limits].
//
// The core speaks no HTTP: the gateway package maps HTTP requests to
// invocations (CGI/WAGI style) and the adminapi package exposes deploys over
// a REST API. Persistence is behind the small [Store] interface; boltstore is
// the embedded default.
//
// Typical embedding (Example runs it as a test): an app invoked by name
// needs no routes.
//
//	node, err := wisp.New(wisp.Config{Store: memstore.New()}) // or boltstore.Open(dir), CacheDir
//	if err != nil { ... }
//	defer node.Close(ctx)
//	blob, err := node.PutBlob(ctx, bytes.NewReader(wasm))
//	_, err = node.Deploy(ctx, wisp.AppSpec{Name: "hello", Module: blob.Digest})
//	var out bytes.Buffer
//	err = node.InvokeApp(ctx, "hello", wisp.Input{Args: []string{"hello"}, Stdout: &out})
//
// To call functions of user-supplied modules with bytes in and bytes out
// (plugins, rules, Extism plugins) rather than run apps, see package
// plugin.
package wisp
