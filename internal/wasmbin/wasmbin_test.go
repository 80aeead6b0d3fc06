package wasmbin_test

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/wasmbin"
)

func TestU32RoundTrip(t *testing.T) {
	for _, v := range []uint32{0, 1, 127, 128, 300, 1 << 21, math.MaxUint32} {
		r := &wasmbin.Reader{B: wasmbin.AppendU32(nil, v)}
		got, err := r.U32()
		if err != nil || got != v || !r.Done() {
			t.Errorf("U32 of AppendU32(%d) = %d, %v (done %v)", v, got, err, r.Done())
		}
	}
}

func TestReaderErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		read func(r *wasmbin.Reader) error
		want string
	}{
		{"U32Truncated", []byte{0x80}, func(r *wasmbin.Reader) error { _, err := r.U32(); return err }, wasmbin.ErrTruncated.Error()},
		{"U32TooLarge", []byte{0xFF, 0xFF, 0xFF, 0xFF, 0x1F}, func(r *wasmbin.Reader) error { _, err := r.U32(); return err }, "integer too large"},
		{"U32TooLong", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, func(r *wasmbin.Reader) error { _, err := r.U32(); return err }, "integer too long"},
		{"VecPastEnd", []byte{0x05, 1, 2}, func(r *wasmbin.Reader) error { _, err := r.Vec(); return err }, wasmbin.ErrTruncated.Error()},
		{"SignedTooLong", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, func(r *wasmbin.Reader) error { return r.Signed(32) }, "integer too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.read(&wasmbin.Reader{B: tc.in})
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSections(t *testing.T) {
	mod := append([]byte(wasmbin.Magic), 1, 2, 0x60, 0x00, 0, 3, 'a', 'b', 'c')
	secs, err := wasmbin.Sections(mod)
	if err != nil {
		t.Fatal(err)
	}
	if len(secs) != 2 || secs[0].ID != 1 || string(secs[1].Body) != "abc" || secs[1].End != len(mod) {
		t.Fatalf("sections %+v", secs)
	}
	if _, err := wasmbin.Sections(append([]byte(wasmbin.Magic), 1, 9)); !errors.Is(err, wasmbin.ErrTruncated) {
		t.Errorf("a section past the end: %v, want ErrTruncated", err)
	}
	if _, err := wasmbin.Sections([]byte("\x00asm\x02\x00\x00\x00")); err == nil {
		t.Error("a module of another version was read")
	}
}

func TestAppendS64(t *testing.T) {
	for _, tt := range []struct {
		name string
		v    int64
		want []byte
	}{
		{"zero", 0, []byte{0}},
		{"63", 63, []byte{0x3F}},
		{"64", 64, []byte{0xC0, 0x00}},
		{"minus one", -1, []byte{0x7F}},
		{"minus 65", -65, []byte{0xBF, 0x7F}},
		{"65536", 65536, []byte{0x80, 0x80, 0x04}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := wasmbin.AppendS64(nil, tt.v); !bytes.Equal(got, tt.want) {
				t.Fatalf("AppendS64(%d) = %x, want %x", tt.v, got, tt.want)
			}
		})
	}
}

func TestSingleConstExpr(t *testing.T) {
	for _, tt := range []struct {
		name    string
		in      []byte
		want    string // "" for the whole input; else a part of the error
		wantErr error  // matched with errors.Is, if set
	}{
		{"i32.const", []byte{0x41, 0x7F, 0x0B}, "", nil},
		{"i64.const of ten bytes", []byte{0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0B}, "", nil},
		{"f64.const", []byte{0x44, 1, 2, 3, 4, 5, 6, 7, 8, 0x0B}, "", nil},
		{"global.get", []byte{0x23, 0x85, 0x01, 0x0B}, "", nil},
		{"ref.null funcref", []byte{0xD0, 0x70, 0x0B}, "", nil},
		{"v128.const", append(append([]byte{0xFD, 0x0C}, make([]byte, 16)...), 0x0B), "", nil},
		{"extended arithmetic", []byte{0x41, 1, 0x41, 2, 0x6A, 0x0B}, "more than one instruction", nil},
		{"end first", []byte{0x0B}, "gives no value", nil},
		{"arithmetic first", []byte{0x6A, 0x0B}, "gives no value", nil},
		{"a non-constant instruction", []byte{0x20, 0x00, 0x0B}, "unsupported instruction 0x20", nil},
		{"another 0xFD instruction", []byte{0xFD, 0x0D, 0x0B}, "unsupported instruction 0xFD 13", nil},
		{"cut short", []byte{0x41}, "", wasmbin.ErrTruncated},
		{"no end", []byte{0x41, 0x01}, "", wasmbin.ErrTruncated},
		{"two values", []byte{0x41, 0x01, 0x41, 0x02, 0x0B}, "more than one instruction", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &wasmbin.Reader{B: tt.in}
			got, err := wasmbin.SingleConstExpr(r)
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
			case tt.want != "":
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error %v, want one saying %q", err, tt.want)
				}
			default:
				if err != nil || !bytes.Equal(got, tt.in) || !r.Done() {
					t.Fatalf("got %x, %v (done %v), want all of %x", got, err, r.Done(), tt.in)
				}
			}
		})
	}
}

// TestConstInstrReadsExtendedExpressions reads a constant expression with
// the extended-constant proposal's arithmetic instruction by instruction.
func TestConstInstrReadsExtendedExpressions(t *testing.T) {
	r := &wasmbin.Reader{B: []byte{0x23, 0x03, 0x41, 0x10, 0x6A, 0xD2, 0x07, 0x0B}}
	var ops []byte
	var indexes []uint32
	for {
		op, index, err := wasmbin.ConstInstr(r)
		if err != nil {
			t.Fatal(err)
		}
		ops, indexes = append(ops, op), append(indexes, index)
		if op == 0x0B {
			break
		}
	}
	if !bytes.Equal(ops, []byte{0x23, 0x41, 0x6A, 0xD2, 0x0B}) || indexes[0] != 3 || indexes[3] != 7 || !r.Done() {
		t.Fatalf("ops %x, indexes %v, done %v", ops, indexes, r.Done())
	}
}

func TestSkipLimits(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"minimum only", []byte{0x00, 0x81, 0x01}, true},
		{"minimum and maximum", []byte{0x01, 0x01, 0x80, 0x02}, true},
		{"shared", []byte{0x03, 0x01, 0x10}, true},
		{"memory64 flags", []byte{0x04, 0x01}, false},
		{"cut short", []byte{0x01, 0x01}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &wasmbin.Reader{B: tt.in}
			err := wasmbin.SkipLimits(r)
			if (err == nil) != tt.ok || (tt.ok && !r.Done()) {
				t.Fatalf("SkipLimits(%x) = %v (done %v), want ok %v", tt.in, err, r.Done(), tt.ok)
			}
		})
	}
}

func TestImportedGlobals(t *testing.T) {
	// imports: a function, a table with a maximum, a memory, two globals
	imports := []byte{5,
		1, 'a', 1, 'f', 0x00, 0x00,
		1, 'a', 1, 't', 0x01, 0x70, 0x01, 0x01, 0x02,
		1, 'a', 1, 'm', 0x02, 0x00, 0x01,
		1, 'a', 1, 'g', 0x03, 0x7F, 0x00,
		1, 'a', 1, 'h', 0x03, 0x7E, 0x01,
	}
	for _, tt := range []struct {
		name string
		body []byte // nil: no import section
		want uint32
		ok   bool
	}{
		{"no import section", nil, 0, true},
		{"two of five", imports, 2, true},
		{"an unknown kind", []byte{1, 1, 'a', 1, 'x', 0x09}, 0, false},
		{"cut short", imports[:len(imports)-2], 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wasm := []byte(wasmbin.Magic)
			if tt.body != nil {
				wasm = wasmbin.AppendVec(append(wasm, 2), tt.body)
			}
			secs, err := wasmbin.Sections(wasm)
			if err != nil {
				t.Fatal(err)
			}
			got, err := wasmbin.ImportedGlobals(secs)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("ImportedGlobals = %d, %v; want %d, ok %v", got, err, tt.want, tt.ok)
			}
		})
	}
}
