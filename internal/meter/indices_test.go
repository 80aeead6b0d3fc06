package meter_test

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wisphq/wisp/internal/meter"
)

// sec is a section: id and body.
func sec(id byte, body ...byte) []byte {
	return append([]byte{id, byte(len(body))}, body...)
}

// mod is a module of the sections given, in order.
func mod(secs ...[]byte) []byte {
	b := []byte{0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00}
	for _, s := range secs {
		b = append(b, s...)
	}
	return b
}

// body is a code section with one function body of no locals.
func body(code ...byte) []byte {
	fn := append([]byte{0x00}, code...)
	return sec(10, append([]byte{0x01, byte(len(fn))}, fn...)...)
}

var (
	oneType   = sec(1, 0x01, 0x60, 0x00, 0x00) // type 0: [] -> []
	oneFunc   = sec(3, 0x01, 0x00)             // func 0: type 0
	oneTable  = sec(4, 0x01, 0x70, 0x00, 0x01) // funcref table, 1 element
	oneGlobal = sec(6, 0x01, 0x7F, 0x01, 0x41, 0x00, 0x0B)
)

// TestInstrumentRefusesIndicesItAdds instruments invalid modules naming
// an index Instrument adds (global N of N globals, the counter; type N of
// N types, the refuel type) or a function past the module's: each must be
// refused, since the rewritten module names something real there and
// would be valid (a guest setting its own fuel never runs out).
func TestInstrumentRefusesIndicesItAdds(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(api.CoreFeaturesV2))
	defer rt.Close(ctx)
	for _, tc := range []struct {
		name string
		wasm []byte
	}{
		{"global.set of the counter", mod(oneType, oneFunc, body(0x42, 0x01, 0x24, 0x00, 0x0B))},
		{"global.get of the counter", mod(oneType, oneFunc, body(0x23, 0x00, 0x1A, 0x0B))},
		{"global.get past a defined global", mod(oneType, oneFunc, oneGlobal, body(0x23, 0x01, 0x1A, 0x0B))},
		{"export of the counter", mod(oneType, oneFunc, sec(7, 0x01, 0x01, 'g', 0x03, 0x00), body(0x0B))},
		{"global initializer reading the counter", mod(sec(6, 0x01, 0x7E, 0x00, 0x23, 0x00, 0x0B))},
		{"element offset reading the counter", mod(oneType, oneFunc, oneTable,
			sec(9, 0x01, 0x00, 0x23, 0x00, 0x0B, 0x01, 0x00), body(0x0B))},
		{"call_indirect of the refuel type", mod(oneType, oneFunc, oneTable, body(0x41, 0x00, 0x11, 0x01, 0x00, 0x0B))},
		{"block of the refuel type", mod(oneType, oneFunc, body(0x02, 0x01, 0x0B, 0x0B))},
		{"loop of the refuel type", mod(oneType, oneFunc, body(0x03, 0x01, 0x0B, 0x0B))},
		{"import of the refuel type", mod(oneType, sec(2, 0x01, 0x01, 'm', 0x01, 'f', 0x00, 0x01))},
		{"call past the functions", mod(oneType, oneFunc, body(0x10, 0x01, 0x0B))},
		{"ref.func past the functions", mod(oneType, oneFunc, body(0xD2, 0x01, 0x1A, 0x0B))},
		{"export past the functions", mod(oneType, oneFunc, sec(7, 0x01, 0x01, 'f', 0x00, 0x01), body(0x0B))},
		{"start past the functions", mod(oneType, oneFunc, sec(8, 0x01), body(0x0B))},
		{"element past the functions", mod(oneType, oneFunc, oneTable,
			sec(9, 0x01, 0x00, 0x41, 0x00, 0x0B, 0x01, 0x01), body(0x0B))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if accepts(ctx, rt, tc.wasm) {
				t.Fatal("wazero accepts the test's module: it should be invalid")
			}
			out, err := meter.Instrument(tc.wasm)
			if err == nil {
				t.Fatalf("instrumented; want an error (wazero accepts the result: %v)", accepts(ctx, rt, out))
			}
		})
	}
}
