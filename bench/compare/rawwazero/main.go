// Command rawwazero is the peer benchmark's engine floor (bench/compare):
// the straightforward way to serve a WASI command module per HTTP request
// with wazero, without any of Wisp's features (no routing table, limits,
// admission, logs, files or pre-initialization).
//
// It compiles the module once at start. For each request it builds a
// wazero ModuleConfig holding the request's CGI variables (from
// internal/cgi, so a guest sees what Wisp would give it) one WithEnv call
// at a time, instantiates the module, which runs _start, captures stdout,
// splits the CGI header block from the body with minimal checks and
// answers. Nothing of an instance outlives its request.
//
// This is the one package besides internal/engine that imports wazero: it
// measures wazero itself, so it must not go through the engine.
//
// Usage:
//
//	rawwazero -listen 127.0.0.1:8080 -module hello.wasm
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wisphq/wisp/internal/cgi"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to serve on")
	module := flag.String("module", "", "the WASI command module (.wasm) to run per request")
	interrupt := flag.Bool("close-on-context-done", false, "compile with wazero's WithCloseOnContextDone(true), so a request's context ending stops its guest")
	flag.Parse()
	if *module == "" {
		fmt.Fprintln(os.Stderr, "rawwazero: -module is required: the .wasm file to serve")
		os.Exit(2)
	}
	h, err := newHandler(context.Background(), *module, *interrupt)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rawwazero:", err)
		os.Exit(1)
	}
	if err := http.ListenAndServe(*listen, h); err != nil {
		fmt.Fprintln(os.Stderr, "rawwazero:", err)
		os.Exit(1)
	}
}

// handler runs the compiled module once per request. It is safe for
// concurrent use: every request gets its own instance.
type handler struct {
	runtime  wazero.Runtime
	compiled wazero.CompiledModule
	base     wazero.ModuleConfig // what every request shares: the name and stderr
}

// newHandler compiles the module at path and instantiates WASI. With
// interrupt, guests run with WithCloseOnContextDone.
func newHandler(ctx context.Context, path string, interrupt bool) (*handler, error) {
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCloseOnContextDone(interrupt))
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	compiled, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", path, err)
	}
	// The empty name lets any number of instances of the module exist at once.
	base := wazero.NewModuleConfig().WithName("").WithStderr(os.Stderr)
	return &handler{runtime: rt, compiled: compiled, base: base}, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var stdout bytes.Buffer
	cfg := h.base.WithStdin(r.Body).WithStdout(&stdout).WithArgs(r.URL.EscapedPath())
	for _, kv := range cgi.Env(r, cgi.Match{Route: r.URL.Path, ScriptName: r.URL.Path}, cgi.Server{}) {
		k, v, _ := strings.Cut(kv, "=")
		cfg = cfg.WithEnv(k, v)
	}
	mod, err := h.runtime.InstantiateModule(r.Context(), h.compiled, cfg)
	if mod != nil {
		mod.Close(r.Context())
	}
	if exit := (*sys.ExitError)(nil); err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 0) {
		log.Printf("rawwazero: %s: %v", r.URL.Path, err)
		http.Error(w, "the guest failed", http.StatusBadGateway)
		return
	}
	if err := writeCGI(w, stdout.Bytes()); err != nil {
		log.Printf("rawwazero: %s: %v", r.URL.Path, err)
		http.Error(w, "the guest's response is not CGI", http.StatusBadGateway)
	}
}

// writeCGI answers with a guest's CGI output: header lines, a blank line,
// the body. It checks only what it must to answer.
func writeCGI(w http.ResponseWriter, out []byte) error {
	head, body, ok := bytes.Cut(out, []byte("\n\n"))
	if !ok {
		if head, body, ok = bytes.Cut(out, []byte("\r\n\r\n")); !ok {
			return errors.New("no blank line after the header block")
		}
	}
	status := http.StatusOK
	for line := range strings.Lines(string(head)) {
		name, value, ok := strings.Cut(strings.TrimRight(line, "\r\n"), ":")
		if !ok {
			return fmt.Errorf("header line %q has no ':'", line)
		}
		value = strings.TrimSpace(value)
		if strings.EqualFold(name, "Status") {
			digits, _, _ := strings.Cut(value, " ")
			code, err := strconv.Atoi(digits)
			if err != nil || code < 200 || code > 999 {
				return fmt.Errorf("bad Status %q", value)
			}
			status = code
			continue
		}
		w.Header().Add(name, value)
	}
	w.WriteHeader(status)
	if len(body) == 0 {
		return nil // a 204 or 304 must not even write an empty body
	}
	_, err := w.Write(body)
	return err
}
