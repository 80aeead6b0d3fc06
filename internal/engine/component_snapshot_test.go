package engine

import (
	"bytes"
	"context"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/component/wasi"
)

// TestComponentSnapshot: every fixture is snapshotted at compile, runs
// from the snapshot as before (TestComponentDifferential checks the bytes),
// and no run sees another's writes to the main memory.
func TestComponentSnapshot(t *testing.T) {
	e := newEngine(t, "")
	ctx := context.Background()
	for _, name := range []string{"printenv", "counter", "stderr", "exit3"} {
		t.Run(name, func(t *testing.T) {
			tc := compileComponent(t, e, name)
			if !tc.c.snapshotted {
				t.Fatal("not snapshotted")
			}
		})
	}
	t.Run("a run's writes are not seen by the next or a concurrent run", func(t *testing.T) {
		tc := compileComponent(t, e, "printenv")
		const at = 1024
		g1, err := tc.c.Instantiate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m1, _ := g1.Memory(tc.c.memStep, "memory")
		orig, ok := m1.Read(at, 16)
		if !ok {
			t.Fatal("memory unreadable")
		}
		orig = bytes.Clone(orig)
		m1.Write(at, bytes.Repeat([]byte{0xAB}, 16))
		g2, err := tc.c.Instantiate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m2, _ := g2.Memory(tc.c.memStep, "memory")
		if got, _ := m2.Read(at, 16); !bytes.Equal(got, orig) {
			t.Errorf("a concurrent run sees %x, want %x", got, orig)
		}
		g2.Close(ctx)
		g1.Close(ctx)
		g3, err := tc.c.Instantiate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer g3.Close(ctx)
		m3, _ := g3.Memory(tc.c.memStep, "memory")
		if got, _ := m3.Read(at, 16); !bytes.Equal(got, orig) {
			t.Errorf("the next run sees %x, want %x", got, orig)
		}
	})
	t.Run("runs after a run give the same output", func(t *testing.T) {
		tc := compileComponent(t, e, "counter")
		var first string
		for i := range 3 {
			var out bytes.Buffer
			if err := tc.runCommand(ctx, &wasi.State{Args: []string{"counter"}, Stdout: &out}); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = out.String()
			} else if out.String() != first {
				t.Fatalf("run %d printed %q, the first %q", i, out.String(), first)
			}
		}
	})
	t.Run("a start function calling a host function is run per run", func(t *testing.T) {
		// (module (import "wisp:host" "h0" (func)) (memory 1)
		//   (export "memory" (memory 0)) (start 0))
		wasm := []byte("\x00asm\x01\x00\x00\x00" +
			"\x01\x04\x01\x60\x00\x00" +
			"\x02\x10\x01\x09wisp:host\x02h0\x00\x00" +
			"\x05\x03\x01\x00\x01" +
			"\x07\x0a\x01\x06memory\x02\x00" +
			"\x08\x01\x00")
		var calls atomic.Int32
		c, err := e.CompileComponent(ctx, ComponentSpec{Steps: [][]byte{wasm}, Host: []ComponentHostFunc{{
			Fn: func(context.Context, []uint64) error { calls.Add(1); return nil },
		}}}, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		if c.snapshotted {
			t.Fatal("snapshotted a graph whose start function calls the host")
		}
		for range 2 {
			g, err := c.Instantiate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			g.Close(ctx)
		}
		if n := calls.Load(); n != 2 {
			t.Fatalf("host function called %d times, want 2 (one per run)", n)
		}
	})
}

// FuzzRewriteStepForSnapshot: any bytes give a module or an error, never a
// panic.
func FuzzRewriteStepForSnapshot(f *testing.F) {
	for _, name := range []string{"counter", "printenv"} {
		if b, err := os.ReadFile("../../testdata/components/" + name + ".wasm"); err == nil {
			f.Add(b)
		}
	}
	// (module (import "a" "g" (global i32)) (global (mut i32) (i32.const 7)) (start 0) (func))
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x02\x08\x01\x01a\x01g\x03\x7f\x00" +
		"\x03\x02\x01\x00\x06\x06\x01\x7f\x01\x41\x07\x0b\x08\x01\x00\x0a\x04\x01\x02\x00\x0b"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := importedGlobalCount(b)
		if err != nil {
			return
		}
		_, _ = hasDataSegments(b)
		_, _ = rewriteStepForSnapshot(b, n, map[uint32]uint64{n: 1<<63 | 5, n + 1: 0xFFFFFFFF})
	})
}

// TestComponentSnapshotStartLoops compiles a component whose core start
// function never returns: the snapshot taken at compile ran it with the
// deploy's context, which has no deadline, and the compile never
// finished. It is bounded by preinitTimeout now, and the component is
// compiled without a snapshot (each run then runs the start function
// under its own deadline).
func TestComponentSnapshotStartLoops(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a start function for preinitTimeout (10s)")
	}
	// (memory (export "memory") 1) (func $s (loop (br 0))) (start $s)
	step := []byte{0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
		0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type 0: [] -> []
		0x03, 0x02, 0x01, 0x00, // func 0: type 0
		0x05, 0x03, 0x01, 0x00, 0x01, // memory: 1 page
		0x07, 0x0A, 0x01, 0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00, // export memory
		0x08, 0x01, 0x00, // start: func 0
		0x0A, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0C, 0x00, 0x0B, 0x0B} // loop br 0
	e := newEngine(t, "")
	done := make(chan error, 1)
	var c *Component
	go func() {
		var err error
		c, err = e.CompileComponent(context.Background(), ComponentSpec{Steps: [][]byte{step}}, 1<<20)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		if c.snapshotted {
			t.Fatal("snapshotted a graph whose start function never returned")
		}
	case <-time.After(2 * time.Minute): // a hang guard, not a timing
		t.Fatal("CompileComponent did not return: the start function ran unbounded")
	}
}
