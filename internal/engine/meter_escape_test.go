package engine

import (
	"context"
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
