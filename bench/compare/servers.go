package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// harness is what a run needs: the repository, a temporary directory and
// the programs it starts.
type harness struct {
	cfg       config
	root      string // the repository
	tmp       string // removed when the run ends
	wrk       string
	wisp      string // the wisp binary
	native    string // the native server, built from ./native
	rawwazero string // the raw wazero server, built from ./rawwazero
	node      string // node, or "" when it is not installed
	nodeMajor int    // its major version
	workerd   string // workerd, or "" when it is not installed
	progress  io.Writer
}

// server is one kind of server the benchmark compares.
type server struct {
	name        string // as in -servers
	label       string // in the tables
	about       string // what it is, one line of the report
	native      bool   // serves its own handler, not a module: run once, not per target
	commandOnly bool   // runs only modules exporting _start
	// missing returns why the server cannot run on this machine, or "".
	missing func(h *harness) string
	// command returns the command serving t (nil for native) on addr.
	command func(h *harness, t *target, addr string) (*exec.Cmd, error)
}

// servers returns every server, in report order.
func servers() []server {
	always := func(*harness) string { return "" }
	return []server{
		{
			name: "native", label: "native Go", native: true, missing: always,
			about: "a plain Go `net/http` handler answering \"Hello, world!\\n\" (bench/compare/native), the upper bound",
			command: func(h *harness, _ *target, addr string) (*exec.Cmd, error) {
				return exec.Command(h.native, "-listen", addr), nil
			},
		},
		{
			name: "wisp", label: "Wisp", missing: always,
			about:   "`wisp serve --deploy DIR` with the module's wisp.toml, a fresh data directory and default limits; request logs go to a file",
			command: wispCommand,
		},
		{
			name: "rawwazero", label: "raw wazero", commandOnly: true, missing: always,
			about: "wazero alone (bench/compare/rawwazero): compile once, per request a ModuleConfig with the CGI variables (one WithEnv each), instantiate (runs `_start`), capture stdout",
			command: func(h *harness, t *target, addr string) (*exec.Cmd, error) {
				return exec.Command(h.rawwazero, "-listen", addr, "-module", t.module), nil
			},
		},
		{
			name: "rawwazero-interrupt", label: "raw wazero, interruptible", commandOnly: true, missing: always,
			about: "raw wazero with `WithCloseOnContextDone(true)`, the interruption wazero offers (what Wisp used before its metering, docs/cpu.md)",
			command: func(h *harness, t *target, addr string) (*exec.Cmd, error) {
				return exec.Command(h.rawwazero, "-listen", addr, "-module", t.module, "-close-on-context-done"), nil
			},
		},
		{
			name: "node", label: "Node.js", commandOnly: true,
			about: "Node.js with `node:wasi` (bench/compare/node/server.mjs): `WebAssembly.compile` once, per request a new `WASI` and instance, stdout captured from `fd_write`; one process, one event loop",
			missing: func(h *harness) string {
				if h.node == "" {
					return "node is not installed (scripts/install-bench-tools.sh installs it)"
				}
				return ""
			},
			command: func(h *harness, t *target, addr string) (*exec.Cmd, error) {
				args := []string{"--no-warnings"}
				if h.nodeMajor < 20 { // node:wasi needs the flag before Node.js 20
					args = append(args, "--experimental-wasi-unstable-preview1")
				}
				args = append(args, filepath.Join(h.root, "bench/compare/node/server.mjs"), addr, t.module)
				return exec.Command(h.node, args...), nil
			},
		},
		{
			name: "workerd", label: "workerd", commandOnly: true,
			about: "Cloudflare workerd from its npm package (bench/compare/workerd): the module bound to a JS worker, a fresh `WebAssembly.Instance` per request with a minimal WASI shim in JS; one isolate",
			missing: func(h *harness) string {
				if h.workerd == "" {
					return "workerd is not installed under " + h.cfg.tools + " (scripts/install-bench-tools.sh installs it)"
				}
				return ""
			},
			command: workerdCommand,
		},
	}
}

// wispCommand serves t from a Wisp node with its own data directory.
func wispCommand(h *harness, t *target, addr string) (*exec.Cmd, error) {
	admin, err := freeAddr()
	if err != nil {
		return nil, err
	}
	data, err := os.MkdirTemp(h.tmp, "wisp-data-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(h.wisp, "serve", "--data", data, "--listen", addr, "--admin-listen", admin, "--deploy", t.dir)
	cmd.Dir = h.root
	cmd.Env = append(os.Environ(), "WISP_TOKEN=")
	return cmd, nil
}

// workerdCommand serves t from workerd: the configuration and the worker
// are copied, with the module as guest.wasm, into a directory of their own.
func workerdCommand(h *harness, t *target, addr string) (*exec.Cmd, error) {
	dir, err := os.MkdirTemp(h.tmp, "workerd-")
	if err != nil {
		return nil, err
	}
	for dst, src := range map[string]string{
		"config.capnp": filepath.Join(h.root, "bench/compare/workerd/config.capnp"),
		"worker.js":    filepath.Join(h.root, "bench/compare/workerd/worker.js"),
		"guest.wasm":   t.module,
	} {
		b, err := os.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("prepare workerd: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o644); err != nil {
			return nil, fmt.Errorf("prepare workerd: %w", err)
		}
	}
	return exec.Command(h.workerd, "serve", filepath.Join(dir, "config.capnp"), "--socket-addr", "http="+addr), nil
}
