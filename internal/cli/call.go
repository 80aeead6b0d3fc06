package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/plugin"
)

func callCommand() *command {
	return &command{
		name:    "call",
		summary: "call a function of a plugin (an Extism plugin) on this machine, like extism call",
		usage:   []string{"wisp call [flags] FILE.wasm FUNCTION"},
		description: `
Load FILE.wasm as a plugin (package plugin, docs/plugins.md) and call its
exported FUNCTION once, in a fresh instance, with the input of --input or
--input-file (default none), and print what the function set as its output
(followed by a newline when it does not end in one). Plugins written for
Extism's host ABI run unchanged (docs/plugins.md lists what is supported):
the function reads its input, configuration (--config) and variables
through that ABI, and may send HTTP
requests to the hosts --allow-host names (deny by default; loopback and
private addresses only when named by address, such as 127.0.0.1).

The plugin's log messages (log_info, ...) at --log-level or above, and what
it writes to stderr with --wasi, go to wisp's stderr. A function that
reports an error (Extism's error_set, a non-zero return) makes wisp exit
with 1 and print the error; one killed by --timeout exits with 124, as
timeout(1) does; one stopped by --cpu (CPU time counted as fuel, the same
on every run: docs/cpu.md) exits with 152, 128 + SIGXCPU, as wisp run
does. Host functions of extism:host/user are the embedder's: wisp call
provides none, and a call that reaches one fails naming it.`,
		examples: []string{
			`wisp call count_vowels.wasm count_vowels --input "Hello, World!"`,
			"wisp call --wasi --config greeting=Howdy plugin.wasm greet --input Ada",
			"wisp call --wasi --allow-host 127.0.0.1 plugin.wasm fetch --input http://127.0.0.1:8080/",
		},
		new: func(e *env) verb { return &callVerb{e: e} },
	}
}

// callVerb is `wisp call`.
type callVerb struct {
	e         *env
	input     string
	inputFile string
	config    stringList
	hosts     stringList
	wasi      bool
	timeout   wisp.Duration
	cpu       wisp.Duration
	memory    wisp.ByteSize
	logLevel  string
}

func (v *callVerb) flags(fs *flagSet) {
	fs.StringVar(&v.input, "input", "", "the function's input, as `TEXT`")
	fs.StringVar(&v.inputFile, "input-file", "", "read the function's input from `FILE` (- for stdin)")
	fs.Var(&v.config, "config", "a configuration value the plugin reads with config_get, as `KEY=VALUE` (repeatable)")
	fs.Var(&v.hosts, "allow-host", "let the plugin send HTTP requests to `HOST` (127.0.0.1, *.example.com, or a pattern such as https://api.example.com:443; repeatable)")
	fs.BoolVar(&v.wasi, "wasi", false, "give the plugin WASI preview 1 (needed by plugins built with wasi-libc, Go or Rust's wasi target)")
	fs.Var(durationFlag{&v.timeout}, "timeout", "kill the call after a `DURATION` such as 5s (default 10s)")
	fs.Var(durationFlag{&v.cpu}, "cpu", "stop the call past a CPU time budget, a `DURATION` such as 50ms, counted as fuel (docs/cpu.md; default none)")
	fs.Var(byteSizeFlag{&v.memory}, "memory", "the call's memory limit, a `SIZE` such as 16MiB (default 64MiB)")
	fs.StringVar(&v.logLevel, "log-level", "info", "print the plugin's log messages at `LEVEL` or above: trace, debug, info, warn, error or off")
}

func (v *callVerb) run(ctx context.Context, args []string) error {
	if len(args) != 2 {
		return usagef("want FILE.wasm and the FUNCTION to call, got %d argument(s)", len(args))
	}
	if v.input != "" && v.inputFile != "" {
		return usagef("give --input or --input-file, not both")
	}
	config := map[string]string{}
	for _, kv := range v.config {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usagef("--config %q: write KEY=VALUE", kv)
		}
		config[k] = val
	}
	level, logOn, err := parseLogLevel(v.logLevel)
	if err != nil {
		return usageError{msg: err.Error()}
	}
	if v.memory != 0 && (v.memory < 64<<10 || v.memory > 4<<30) {
		return usagef("--memory %s is out of range: use 64KiB to 4GiB", v.memory)
	}
	input := []byte(v.input)
	switch v.inputFile {
	case "":
	case "-":
		if input, err = io.ReadAll(v.e.stdin); err != nil {
			return fmt.Errorf("read the input from stdin: %w", err)
		}
	default:
		if input, err = os.ReadFile(v.inputFile); err != nil {
			return fmt.Errorf("read the input: %w", err)
		}
	}
	wasm, err := os.ReadFile(args[0])
	if err != nil {
		return fmt.Errorf("read the plugin: %w", err)
	}
	var mu sync.Mutex // the plugin's stderr and its logs share wisp's
	stderr := lockedWriter{mu: &mu, w: v.e.stderr}
	cfg := plugin.Config{
		Limits:       plugin.Limits{Memory: uint64(v.memory), Timeout: time.Duration(v.timeout)},
		WASI:         v.wasi,
		Stderr:       stderr,
		Config:       config,
		AllowedHosts: v.hosts,
		// Functions that do not call the embedder's host functions work.
		StubHostFunctions: true,
	}
	if logOn {
		cfg.LogLevel = level
		cfg.Log = func(_ context.Context, l plugin.LogLevel, msg string) {
			fmt.Fprintf(stderr, "%s: %s\n", l, msg)
		}
	}
	p, err := plugin.Load(ctx, wasm, cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	defer p.Close(context.WithoutCancel(ctx))
	out, err := p.CallWith(ctx, args[1], input, plugin.Limits{CPU: time.Duration(v.cpu)})
	if err != nil {
		fmt.Fprintf(v.e.stderr, "wisp call: %v\n", err)
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return exitCodeError(124)
		}
		if errors.Is(err, plugin.ErrCPULimit) {
			return exitCodeError(152) // as wisp run (engine.ExitCodeCPULimit)
		}
		return exitCodeError(1)
	}
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	_, err = v.e.stdout.Write(out)
	return err
}

func parseLogLevel(s string) (plugin.LogLevel, bool, error) {
	for _, l := range []plugin.LogLevel{plugin.LogTrace, plugin.LogDebug, plugin.LogInfo, plugin.LogWarn, plugin.LogError} {
		if strings.EqualFold(s, l.String()) {
			return l, true, nil
		}
	}
	if strings.EqualFold(s, "off") {
		return 0, false, nil
	}
	return 0, false, fmt.Errorf("--log-level %q: use trace, debug, info, warn, error or off", s)
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
