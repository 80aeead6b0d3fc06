// Package wisp is the Go SDK for Wisp apps: it runs a net/http handler as
// a Wisp app and gives it the node's platform services (key-value
// stores, variables and secrets, logging, outbound HTTP; see
// docs/guest-abi.md).
//
// A complete app, a page counter that greets with a variable:
//
//	package main
//
//	import (
//		"fmt"
//		"net/http"
//
//		"example.com/counter/wisp"
//	)
//
//	func main() {
//		mux := http.NewServeMux()
//		mux.HandleFunc("GET /counter/{$}", func(w http.ResponseWriter, r *http.Request) {
//			log := wisp.Logger()
//			greeting, err := wisp.Var("greeting")
//			if err != nil {
//				http.Error(w, err.Error(), http.StatusInternalServerError)
//				return
//			}
//			kv, err := wisp.OpenKV("default")
//			if err != nil {
//				http.Error(w, err.Error(), http.StatusInternalServerError)
//				return
//			}
//			n, err := kv.Increment("counter:visits", 1)
//			if err != nil {
//				http.Error(w, err.Error(), http.StatusServiceUnavailable)
//				return
//			}
//			log.Info("visit", "n", n, "agent", r.UserAgent())
//			fmt.Fprintf(w, "%s! You are visitor %d.\n", greeting, n)
//		})
//		wisp.Serve(mux)
//	}
//
// with its wisp.toml:
//
//	name = "counter"
//	module = "counter.wasm"
//	routes = ["/counter", "/counter/..."]
//	key_value_stores = ["default"]
//	[variables]
//	greeting = { default = "Hello" }
//	[limits]
//	memory = "128MiB"
//
// # Building
//
// The module is a reactor, which Wisp initializes once at deploy and
// starts every request from a snapshot of (about 1 ms per request instead
// of the Go runtime's 6 ms start-up):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -tags wisp_reactor -o counter.wasm .
//
// or a command, which starts afresh for every request:
//
//	GOOS=wasip1 GOARCH=wasm go build -o counter.wasm .
//
// The build tag wisp_reactor makes this package export wisp_handle; a
// module exporting it must not also export a command's _start, so build
// reactors with both the tag and -buildmode=c-shared, and commands with
// neither. A deploy refusing a module "without a wisp_handle function"
// means the tag is missing; one that "exports both _start and
// wisp_handle", -buildmode=c-shared. Go 1.24 or later is required. The package uses the standard
// library only: `wisp new go NAME` copies it into a new project as
// NAME/wisp.
//
// # Requests and responses
//
// Serve builds the *http.Request from the request's CGI environment and
// body (ServeCGI documents the mapping; RequestEnv reads variables such
// as PATH_INFO) and writes the handler's response as CGI. The response is
// held in memory up to 64 KiB and written when the handler returns, so it
// can never be lost by a missing flush; a longer response, or one the
// handler flushes (http.Flusher, http.ResponseController), streams. A
// handler that panics before its response started gets a 500 and its
// panic logged.
//
// In a reactor the Go runtime copies the environment once, at deploy:
// os.Getenv sees the app's [env] but none of a request's variables. The
// SDK reads the environment through WASI's environ_get when Serve is
// called, and never during initialization.
//
// # Services
//
// OpenKV opens a key-value store, Var reads a variable or secret,
// NewLogHandler and Logger log through slog with levels and fields, and
// Transport is the http.RoundTripper for outbound requests. Each service
// must be declared in wisp.toml (key_value_stores, [variables],
// allowed_outbound_hosts) and used while a request is being handled.
// Every failure is an *Error carrying the node's explanation and matching
// one of ErrNotFound, ErrDenied, ErrInvalid, ErrLimit, ErrUnavailable,
// ErrTimeout, ErrFault or ErrConflict with errors.Is.
//
// Outside GOOS=wasip1 the package builds too, so code using it can be
// vetted and tested on the host: Serve runs the handler as a plain CGI
// program, log entries go to standard error, and the other services fail
// with ErrUnavailable.
package wisp
