package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
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

func TestCommandReuseRunsRequestsOnOneInstance(t *testing.T) {
	p := commandReusePrepared(t)
	for i := range 5 {
		secret := fmt.Sprintf("secret-%d", i)
		out, err := runProbe(context.Background(), p, "ok", secret)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		checkPristine(t, out, "ok", secret)
	}
	if fresh, reused := p.pool.fresh.Load(), p.pool.reused.Load(); fresh != 1 || reused != 4 {
		t.Errorf("fresh, reused instances = %d, %d; want 1, 4", fresh, reused)
	}
}

// TestCommandReuseDiscardsInstances ends a command's request in every way
// that must keep its instance from being reused and checks that the next
// request runs on a fresh instance, as instantiation leaves it.
func TestCommandReuseDiscardsInstances(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		timeout time.Duration // 0: none
		wantErr string        // "" for success
	}{
		{mode: "exit0"},
		{mode: "exit7", wantErr: "exited with code 7"},
		{mode: "trap", wantErr: "unreachable"},
		{mode: "oob", wantErr: "out of bounds"},
		{mode: "grow"},  // memory grew: cannot be reset
		{mode: "close"}, // fd_close(1): host-side state changed
		{mode: "loop", timeout: 100 * time.Millisecond, wantErr: "deadline exceeded"},
		{mode: "sleep", timeout: 100 * time.Millisecond, wantErr: "deadline exceeded"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			p := commandReusePrepared(t)
			if _, err := runProbe(context.Background(), p, "ok", "warm"); err != nil { // an idle instance to take
				t.Fatal(err)
			}
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			_, err := runProbe(ctx, p, tc.mode, "dirty")
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("mode %s: error %v; want %q", tc.mode, err, tc.wantErr)
			}
			out, err := runProbe(context.Background(), p, "ok", "next")
			if err != nil {
				t.Fatal(err)
			}
			checkPristine(t, out, "ok", "next")
			if fresh, reused := p.pool.fresh.Load(), p.pool.reused.Load(); fresh != 2 || reused != 1 {
				t.Errorf("fresh, reused instances = %d, %d; want 2, 1 (the instance of mode %s discarded)", fresh, reused, tc.mode)
			}
		})
	}
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
