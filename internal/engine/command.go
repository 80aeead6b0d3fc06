package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental/sysfs"

	"github.com/wisphq/wisp/internal/engine/rootfs"
)

// DirMount mounts a host directory into a `wisp run` guest.
type DirMount struct {
	Host     string
	Guest    string
	ReadOnly bool
}

// CommandOptions configures RunCommand.
type CommandOptions struct {
	Args        []string // argv, including argv[0]
	Env         []string // KEY=VALUE
	Dirs        []DirMount
	Stdin       io.Reader
	Stdout      io.Writer
	Stderr      io.Writer
	MemoryLimit uint64        // bytes; 0 means 4 GiB (all of wasm32)
	Timeout     time.Duration // 0 means none
	CPU         time.Duration // CPU budget as fuel (see FuelFor); 0 means none
}

// Exit codes RunCommand reports for guests that did not exit by themselves,
// matching what shells and wasmtime users expect.
const (
	// ExitCodeTrap is wasmtime's status for a trap: 128+SIGABRT (134), as
	// if the process had called abort(3); on Windows 3, what abort exits
	// with there.
	ExitCodeTrap    = exitCodeTrap
	ExitCodeTimeout = 124 // like timeout(1)
	// ExitCodeCPULimit is reported for a guest stopped at its CPU budget:
	// 128+SIGXCPU, as a shell reports a process killed at its RLIMIT_CPU.
	ExitCodeCPULimit = 152
	ExitCodeSignal   = 130 // interrupted (SIGINT)
	// ExitCodeInvalid is reported for a guest that passes proc_exit a
	// status of MaxExitCode+1 or more, as wasmtime does (it refuses them
	// with an error, and its process exits with 1).
	ExitCodeInvalid = 1
)

// MaxExitCode is the largest status a guest's proc_exit is passed through
// with. Statuses from 126 up are the shell's and the runtime's (126 and 127
// for a command that could not run, 128+N for signal N, ExitCodeTrap for a
// trap): a guest passing one could pass for a trap or a kill, and on Unix
// only its low 8 bits would survive. wasmtime draws the line at the same
// place.
const MaxExitCode = 125

// RunCommand compiles and runs wasm once as a WASI command on this machine,
// as `wisp run` does, and returns the guest's exit code. Host directories
// in opts.Dirs are mounted with package rootfs: the guest cannot reach
// anything outside them, through "..", symbolic links or otherwise.
// Deployed apps never get host directories (they see only read-only
// bundles).
//
// The returned error is non-nil only when the module could not be run at
// all; a trap, timeout or interrupt is reported as its exit code with a
// message written to opts.Stderr, and so is a guest's exit status above
// MaxExitCode (as ExitCodeInvalid).
func RunCommand(ctx context.Context, wasm []byte, opts CommandOptions) (int, error) {
	limit := opts.MemoryLimit
	if limit == 0 {
		limit = 1 << 32
	}
	e, err := New(Config{})
	if err != nil {
		return 0, err
	}
	defer e.Close(context.WithoutCancel(ctx))
	m, err := e.Compile(ctx, wasm, limit)
	if err != nil {
		return 0, err
	}
	defer m.Close(context.WithoutCancel(ctx))

	fsc := wazero.NewFSConfig()
	for _, d := range opts.Dirs {
		open := rootfs.Open
		if d.ReadOnly {
			open = rootfs.OpenReadOnly
		}
		dir, err := open(d.Host)
		if err != nil {
			return 0, err
		}
		defer dir.Close() // after the module, which closes its files, is done
		fsc = fsc.(sysfs.FSConfig).WithSysFSMount(dir, d.Guest)
	}
	p, err := m.prepare(ctx, nil, nil, fsc)
	if err != nil {
		return 0, err
	}
	defer p.Close(context.WithoutCancel(ctx))

	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	err = p.Run(ctx, Call{Args: opts.Args, Env: opts.Env, Stdin: opts.Stdin, Stdout: opts.Stdout, Stderr: opts.Stderr, CPU: opts.CPU})
	stderr := orDiscard(opts.Stderr)
	var exit *ExitError
	var trap *TrapError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit) && exit.Code > MaxExitCode:
		fmt.Fprintf(stderr, "wisp run: module exited with status %d; statuses above %d are reserved for the runtime and the shell (%d is a trap), so wisp run exits with %d, as wasmtime does\n",
			exit.Code, MaxExitCode, ExitCodeTrap, ExitCodeInvalid)
		return ExitCodeInvalid, nil
	case errors.As(err, &exit):
		return int(exit.Code), nil
	case errors.Is(err, ErrCPULimit):
		fmt.Fprintf(stderr, "wisp run: module stopped at its %s CPU limit\n", opts.CPU)
		return ExitCodeCPULimit, nil
	case errors.Is(err, context.DeadlineExceeded):
		fmt.Fprintf(stderr, "wisp run: module killed after its %s timeout\n", opts.Timeout)
		return ExitCodeTimeout, nil
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "wisp run: interrupted")
		return ExitCodeSignal, nil
	case errors.As(err, &trap):
		fmt.Fprintf(stderr, "wisp run: %s\n", strings.ReplaceAll(trap.Error(), "\n", "\n\t"))
		return ExitCodeTrap, nil
	}
	return 0, err
}
