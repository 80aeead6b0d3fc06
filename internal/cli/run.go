package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/component/binary"
	"github.com/wisphq/wisp/internal/engine"
)

func runCommand() *command {
	return &command{
		name:    "run",
		summary: "run a WASI command module on this machine, like wasmtime run",
		usage:   []string{"wisp run [flags] FILE.wasm [ARGS...]"},
		description: `
Run FILE.wasm once as a WASI command (a preview 1 module, or a WASI 0.2
component exporting wasi:cli/run, whose --dir mounts must be :ro), here,
without a node:
ARGS are its arguments (argv[0] is FILE.wasm), and stdin, stdout and stderr
are wisp's own. The flags of wisp run go before FILE.wasm: everything after
FILE.wasm is passed to the module as its arguments, even words starting
with '-' ('wisp run app.wasm --timeout 5s' hands --timeout to the module).

The exit code is the module's, from 0 to 125 (a component's: WASI 0.2's
wasi:cli/exit.exit says only success or failure, 1, unless the component
calls exit-with-code). A module stopped by a trap
exits with 134, 128 + SIGABRT, as wasmtime does (3 on Windows, also as
wasmtime does); one killed by --timeout with 124 (as timeout(1) does); one
stopped by --cpu with 152, 128 + SIGXCPU (as a shell reports a process over
its CPU rlimit); and one interrupted with Ctrl-C with 130. A module that asks to exit with 126
or more, which would pass for a trap or a signal, exits with 1 and a
message, as in wasmtime. A module that cannot run at all (not WebAssembly,
imports this runtime does not provide) exits with 1.

The module sees no host files unless --dir mounts a directory. A mount is
confined to its directory (resolved beneath it with os.Root): ".." and
symlinks cannot reach outside, and :ro mounts refuse every write. A
component's wasi:filesystem is read-only: it takes :ro mounts only.`,
		examples: []string{
			"wisp run hello.wasm",
			"echo hi | wisp run --env NAME=you cat.wasm -n",
			"wisp run --dir .:/work --dir /etc/ssl:/ssl:ro --timeout 30s tool.wasm /work/input.txt",
		},
		flagsFirst: true,
		new: func(e *env) verb {
			return &runVerb{e: e, env: envFlag{getenv: e.getenv}}
		},
	}
}

// runVerb is `wisp run`.
type runVerb struct {
	e       *env
	dirs    stringList
	env     envFlag
	memory  wisp.ByteSize
	timeout wisp.Duration
	cpu     wisp.Duration
}

func (v *runVerb) flags(fs *flagSet) {
	fs.Var(&v.dirs, "dir", "mount a host directory in the module, as `HOST[:GUEST][:ro]`: HOST at GUEST (default: the same path), read-only with :ro (repeatable)")
	fs.Var(&v.env, "env", "set the module's environment variable, as `KEY=VALUE`; a bare KEY takes the value wisp has (repeatable)")
	fs.Var(byteSizeFlag{&v.memory}, "memory", "linear memory limit, a `SIZE` such as 64MiB (default 4GiB, all of wasm32)")
	fs.Var(durationFlag{&v.timeout}, "timeout", "kill the module after a `DURATION` such as 30s (default none)")
	fs.Var(durationFlag{&v.cpu}, "cpu", "stop the module after a `DURATION` of CPU time, counted as fuel (docs/cpu.md), such as 2s; it exits with 152 (default none)")
}

func (v *runVerb) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("want the FILE.wasm to run")
	}
	mounts := make([]engine.DirMount, 0, len(v.dirs))
	for _, d := range v.dirs {
		m, err := parseDirMount(d)
		if err != nil {
			return usageError{msg: err.Error()}
		}
		if err := checkDir(m.Host); err != nil {
			return fmt.Errorf("--dir %s: %w", d, err)
		}
		mounts = append(mounts, m)
	}
	if v.memory < 0 || v.memory > wisp.MaxMemoryLimit || v.memory != 0 && v.memory < 64<<10 {
		return usagef("--memory %s is out of range: use 64KiB to %s", v.memory, wisp.MaxMemoryLimit)
	}
	wasm, err := os.ReadFile(args[0])
	if err != nil {
		return fmt.Errorf("read the module: %w", err)
	}
	run := v.e.runCommand
	if binary.IsComponent(wasm) {
		// A wasi:cli/command component (WASI 0.2), run as a command too.
		run = wisp.RunComponentCommand
	}
	code, err := run(ctx, wasm, engine.CommandOptions{
		Args:        args,
		Env:         v.env.vars,
		Dirs:        mounts,
		Stdin:       v.e.stdin,
		Stdout:      v.e.stdout,
		Stderr:      v.e.stderr,
		MemoryLimit: uint64(v.memory),
		Timeout:     time.Duration(v.timeout),
		CPU:         time.Duration(v.cpu),
	})
	if err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	if code != 0 {
		return exitCodeError(code)
	}
	return nil
}

// parseDirMount parses --dir HOST[:GUEST][:ro].
func parseDirMount(s string) (engine.DirMount, error) {
	parts := strings.Split(s, ":")
	var m engine.DirMount
	if n := len(parts); n > 1 && (parts[n-1] == "ro" || parts[n-1] == "rw") {
		m.ReadOnly = parts[n-1] == "ro"
		parts = parts[:n-1]
	}
	switch len(parts) {
	case 1:
		m.Host, m.Guest = parts[0], parts[0]
	case 2:
		m.Host, m.Guest = parts[0], parts[1]
	default:
		return m, fmt.Errorf("--dir %q: write HOST, HOST:GUEST or HOST:GUEST:ro", s)
	}
	if m.Host == "" || m.Guest == "" {
		return m, fmt.Errorf("--dir %q has an empty path: write HOST, HOST:GUEST or HOST:GUEST:ro", s)
	}
	return m, nil
}

// checkDir reports whether path is a directory one can mount.
func checkDir(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a directory", path)
	}
	return nil
}
