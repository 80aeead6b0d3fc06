package engine

import (
	"context"
	"strings"
	"testing"
)

// reuseProbeCommand is reuseprobe's command: _start runs its
// initialization, then the same handler as the reactor, so it reports as
// the reactor does; it traps when _start runs twice on one instance
// without its globals reset.
const reuseProbeCommand = "isolation/reuseprobe.wasm"

func commandReusePrepared(t *testing.T) *Prepared {
	t.Helper()
	p := mustPrepare(t, compile(t, newEngine(t, ""), reuseProbeCommand, 2<<20), nil, nil)
	if p.pool == nil {
		t.Fatal("the reuse probe command's Prepared has no instance pool: it was found not reusable")
	}
	if p.Reactor() {
		t.Fatal("the reuse probe command's Prepared reports a reactor")
	}
	return p
}

// TestCommandReuseRefused checks the commands whose instances are never
// reused: one whose code changes its table.
func TestCommandReuseRefused(t *testing.T) {
	p := mustPrepare(t, compile(t, newEngine(t, ""), "isolation/stateprobe.wasm", 2<<20), nil, nil)
	if p.pool != nil {
		t.Error("stateprobe's command instances are reused, though its code sets and grows its table")
	}
}

// TestCommandThatAlwaysExitsRunsFresh runs a command that ends every run
// through proc_exit: after exitsBeforeFresh runs on instances made for
// reuse, none of them reusable, its runs go to fresh instances.
func TestCommandThatAlwaysExitsRunsFresh(t *testing.T) {
	for _, tc := range []struct {
		name, code string
		wantErr    string
	}{
		{"exit 0", "0", ""},
		{"exit 3", "3", "exited with code 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPrepare(t, compile(t, newEngine(t, ""), "exitcode.wasm", 2<<20), nil, nil)
			if p.pool == nil {
				t.Fatal("exitcode's Prepared has no instance pool")
			}
			for i := range exitsBeforeFresh + 4 {
				err := p.Run(context.Background(), Call{Args: []string{"exitcode", tc.code}})
				if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
					t.Fatalf("run %d: error %v; want %q", i, err, tc.wantErr)
				}
				if off := p.reuseOff.Load(); off != (i+1 >= exitsBeforeFresh) {
					t.Fatalf("after run %d, reuse off = %v", i, off)
				}
			}
			if fresh, reused := p.pool.fresh.Load(), p.pool.reused.Load(); fresh != exitsBeforeFresh || reused != 0 {
				t.Errorf("fresh, reused instances made for reuse = %d, %d; want %d, 0", fresh, reused, exitsBeforeFresh)
			}
		})
	}
}
