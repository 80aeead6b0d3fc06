package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// escapeModule is a WASI command whose _start is body, with one memory
// page and no globals or imports: a module invalid wherever body names a
// global (it has none) or a function past _start.
func escapeModule(body ...byte) []byte {
	b := []byte{0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00}
	b = append(b, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00) // type 0: [] -> []
	b = append(b, 0x03, 0x02, 0x01, 0x00)             // func 0: type 0
	b = append(b, 0x05, 0x03, 0x01, 0x00, 0x01)       // memory 1 page
	b = append(b, 0x07, 0x13, 0x02,                   // exports: memory, _start
		0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
		0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x00)
	fn := append([]byte{0x00}, body...) // no locals
	code := append([]byte{0x01, byte(len(fn))}, fn...)
	b = append(b, 0x0A, byte(len(code)))
	return append(b, code...)
}

// TestCompileRefusesMeterEscapes compiles invalid modules that name the
// global or function index metering adds (the fuel counter, the refuel
// import): instrumented unchecked, they became valid modules that set
// their own fuel and ran past both the CPU limit and the deadline. They
// must be refused at compile time, as the invalid modules they are (the
// rewriter refuses them and the engine has wazero judge the original).
func TestCompileRefusesMeterEscapes(t *testing.T) {
	e := newEngine(t, "")
	for _, tc := range []struct {
		name string
		wasm []byte
		want string
	}{
		// loop { fuel = 1<<40; br loop }: global 0 is the counter once added.
		{"global.set of the counter", escapeModule(
			0x03, 0x40, 0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x24, 0x00, 0x0C, 0x00, 0x0B, 0x0B),
			"invalid global index"},
		{"global.get of the counter", escapeModule(0x23, 0x00, 0x1A, 0x0B), "invalid index for global.get"},
		// call 1: past _start (shifted, still past the functions).
		{"call past the functions", escapeModule(0x10, 0x01, 0x0B), "invalid function index"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			m, err := e.Compile(ctx, tc.wasm, 1<<20)
			if err == nil {
				m.Close(ctx)
				t.Fatal("compiled; want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

// randomLoop is a WASI command whose _start calls random_get for 4 MiB of
// its memory in a loop, forever: almost all its time is in the host.
func randomLoop() []byte {
	b := []byte{0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00}
	b = append(b, 0x01, 0x0A, 0x02, 0x60, 0x02, 0x7F, 0x7F, 0x01, 0x7F, 0x60, 0x00, 0x00) // types
	imp := []byte{0x01, 22}
	imp = append(imp, "wasi_snapshot_preview1"...)
	imp = append(imp, 10)
	imp = append(imp, "random_get"...)
	imp = append(imp, 0x00, 0x00) // func of type 0
	b = append(b, 0x02, byte(len(imp)))
	b = append(b, imp...)
	b = append(b, 0x03, 0x02, 0x01, 0x01)       // func 1: type 1
	b = append(b, 0x05, 0x03, 0x01, 0x00, 0x40) // memory: 64 pages
	b = append(b, 0x07, 0x13, 0x02,
		0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
		0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x01)
	fn := []byte{0x00, // no locals
		0x03, 0x40, // loop
		0x41, 0x00, 0x41, 0x80, 0x80, 0x80, 0x02, // i32.const 0; i32.const 4 MiB
		0x10, 0x00, 0x1A, // call random_get; drop
		0x0C, 0x00, 0x0B, 0x0B} // br 0; end; end
	code := append([]byte{0x01, byte(len(fn))}, fn...)
	b = append(b, 0x0A, byte(len(code)))
	return append(b, code...)
}

// TestHostWorkIsLimited runs a guest that spends its time in a host
// function (random_get of 4 MiB, over and over): the flat charge of a
// host call let it run past both its CPU limit and its deadline. The host
// function's bytes are charged now, and every host function checks the
// deadline.
func TestHostWorkIsLimited(t *testing.T) {
	e := newEngine(t, "")
	m := compileBytes(t, e, randomLoop())
	for _, tc := range []struct {
		name     string
		cpu      time.Duration
		deadline time.Duration
		want     error
	}{
		{"cpu limit", 5 * time.Millisecond, time.Minute, ErrCPULimit},
		{"deadline", 0, 100 * time.Millisecond, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			var u Usage
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), tc.deadline)
				defer cancel()
				done <- mustPrepare(t, m, nil, nil).Run(ctx, Call{Args: []string{"x"}, CPU: tc.cpu, Usage: &u})
			}()
			select {
			case err := <-done:
				if !errors.Is(err, tc.want) {
					t.Fatalf("Run: %v, want %v", err, tc.want)
				}
				// 4 MiB is a million fuel: a few calls use more than a few.
				if u.Fuel < 1_000_000 {
					t.Fatalf("used %d fuel; the host calls' bytes are not charged", u.Fuel)
				}
			case <-time.After(2 * time.Minute): // a hang guard, not a timing
				t.Fatal("the guest was not stopped")
			}
		})
	}
}
