package engine

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// A reused instance (reuse.go) keeps its WASI state in wazero: the file
// descriptor table, each open file's position, a directory's read cursor,
// descriptor flags. Nothing in wazero's public API resets or even reads
// that state, so the engine watches the calls that can change it instead:
// every WASI function is served by wazero's own implementation, but the
// ones that can leave host-side state behind go through a wrapper that
// marks the calling instance dirty (a dirty instance is discarded after its
// request, never reused). The calls that cannot are left alone:
//
//   - args and environ (the engine's own, read from the call's context),
//     clocks, random_get, sched_yield, poll_oneoff;
//   - fd_read on stdin and fd_write on stdout and stderr, which the engine
//     points at each request's streams (a read or write on any other
//     descriptor moves a file position: dirty);
//   - the reads that change nothing: fd_fdstat_get, fd_filestat_get,
//     fd_prestat_get, fd_prestat_dir_name, fd_pread, fd_tell,
//     path_filestat_get and path_readlink;
//   - proc_exit, which ends the instance: a run that exits is never reused.
//
// Everything else (path_open, fd_close, fd_renumber, fd_seek, fd_readdir,
// fd_fdstat_set_flags, every write to a file system, every socket call)
// marks the instance dirty before wazero runs it. The wrappers cost one
// context lookup per such call; instances not run for reuse (commands,
// initialization) carry no mark and are unaffected.

// stateless are the WASI functions that leave no host-side state behind.
var stateless = map[string]bool{
	"args_get": true, "args_sizes_get": true, "environ_get": true, "environ_sizes_get": true,
	"clock_res_get": true, "clock_time_get": true, "random_get": true, "sched_yield": true,
	"poll_oneoff": true, "proc_exit": true, "proc_raise": true,
	"fd_fdstat_get": true, "fd_filestat_get": true, "fd_prestat_get": true, "fd_prestat_dir_name": true,
	"fd_pread": true, "fd_tell": true, "path_filestat_get": true, "path_readlink": true,
}

// stdioOnly are the WASI functions stateless on the standard descriptors
// only (their first parameter is the descriptor).
var stdioOnly = map[string]bool{"fd_read": true, "fd_write": true}

// A reused instance's arguments are its request's, not the ones its
// ModuleConfig fixed when it was instantiated: args_get and
// args_sizes_get (exportWASIWatched) read them from the call's context
// when it carries them (runValues.args, which runReused sets), and from
// the ModuleConfig, as wazero does, when it does not.

// dirtyMark is set when a reused instance's run calls a WASI function that
// can change its host-side state. A run is on one goroutine, so a plain
// bool does.
type dirtyMark struct{ dirty bool }

// markDirty sets the dirty mark of the run ctx is (runValues.mark, which
// runReused sets), if it has one.
func markDirty(ctx context.Context) {
	if mark := runValuesOf(ctx).mark; mark != nil {
		mark.dirty = true
	}
}

// exportWASIWatched exports into b, which already holds wazero's WASI
// functions, a wrapper for each function (environ_get and
// environ_sizes_get aside, instantiateWASI's own): it stops the call when
// its context has ended and charges the function's work by bytes
// (hostcharge.go), and for those that can change an instance's host-side
// state, records it (see above). The wrappers call wazero's own
// implementations, which it hands out through FunctionDefinition.GoFunction
// of a host module compiled (never instantiated) for the purpose.
func exportWASIWatched(ctx context.Context, rt wazero.Runtime, b wazero.HostModuleBuilder) error {
	ib := rt.NewHostModuleBuilder("wisp:wasi-implementation")
	wasi_snapshot_preview1.NewFunctionExporter().ExportFunctions(ib)
	impl, err := ib.Compile(ctx)
	if err != nil {
		return err
	}
	defer impl.Close(ctx)
	for name, def := range impl.ExportedFunctions() {
		fn, ok := def.GoFunction().(api.GoModuleFunction)
		if !ok {
			return fmt.Errorf("wazero's WASI function %s is not a Go module function", name)
		}
		var wrapper api.GoModuleFunc
		switch {
		case name == "args_sizes_get":
			wrapper = func(ctx context.Context, mod api.Module, stack []uint64) {
				hostEnter(ctx, mod)
				if args := runValuesOf(ctx).args; args != nil {
					sizesGet(args.layout(), mod, stack)
					return
				}
				fn.Call(ctx, mod, stack)
			}
		case name == "args_get":
			wrapper = func(ctx context.Context, mod api.Module, stack []uint64) {
				hostEnter(ctx, mod)
				if args := runValuesOf(ctx).args; args != nil {
					stringsGet(args.layout(), mod, stack)
					return
				}
				fn.Call(ctx, mod, stack)
			}
		case name == "environ_get" || name == "environ_sizes_get":
			continue // instantiateWASI's own
		case stateless[name]:
			wrapper = func(ctx context.Context, mod api.Module, stack []uint64) {
				enterWASI(ctx, name, mod, stack)
				fn.Call(ctx, mod, stack)
			}
		case stdioOnly[name]:
			wrapper = func(ctx context.Context, mod api.Module, stack []uint64) {
				enterWASI(ctx, name, mod, stack)
				if fd := uint32(stack[0]); fd > 2 {
					markDirty(ctx)
				}
				fn.Call(ctx, mod, stack)
			}
		default:
			wrapper = func(ctx context.Context, mod api.Module, stack []uint64) {
				enterWASI(ctx, name, mod, stack)
				markDirty(ctx)
				fn.Call(ctx, mod, stack)
			}
		}
		b.NewFunctionBuilder().
			WithGoModuleFunction(wrapper, def.ParamTypes(), def.ResultTypes()).
			WithParameterNames(def.ParamNames()...).
			WithResultNames(def.ResultNames()...).
			Export(name)
	}
	return nil
}

// enterWASI starts a WASI function's wrapper: hostEnter, and the charge
// for its operands' bytes (wasiBytes).
func enterWASI(ctx context.Context, name string, mod api.Module, stack []uint64) {
	hostEnter(ctx, mod)
	if n := wasiBytes(name, mod, stack); n > freeHostBytes {
		chargeHost(ctx, n)
	}
}
