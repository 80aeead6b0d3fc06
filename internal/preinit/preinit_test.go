package preinit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/wasmbin"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "wasm", name)
	if name == "hello.wasm" {
		path = filepath.Join("..", "..", "examples", "hello", name)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// exportNames lists a module's export names.
func exportNames(t *testing.T, wasm []byte) []string {
	t.Helper()
	secs, err := wasmbin.Sections(wasm)
	if err != nil {
		t.Fatal(err)
	}
	s := find(secs, secExport)
	if s == nil {
		return nil
	}
	r := &reader{B: s.Body}
	n, _ := r.U32()
	var names []string
	for range n {
		name, err := r.Vec()
		if err != nil {
			t.Fatal(err)
		}
		r.Byte()
		r.U32()
		names = append(names, string(name))
	}
	return names
}

func TestInstrument(t *testing.T) {
	for _, tc := range []struct {
		name        string
		fixture     string
		wantGlobals []Global
		wantExports []string
		wantErr     string
	}{
		{
			name:        "mutable globals are exported",
			fixture:     "reactor.wasm",
			wantGlobals: []Global{{0, typeI32, "wisp.preinit.global.0"}, {1, typeI64, "wisp.preinit.global.1"}},
			wantExports: []string{"memory", "_initialize", "wisp_handle", "wisp.preinit.global.0", "wisp.preinit.global.1"},
		},
		{
			name:        "no globals: the module is unchanged",
			fixture:     "hello.wasm",
			wantExports: []string{"memory", "_start"},
		},
		{
			name:    "a mutable funcref global is refused",
			fixture: "reactor-refglobal.wasm",
			wantErr: "global 0 is a mutable funcref",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wasm := fixture(t, tc.fixture)
			out, globals, err := Instrument(wasm)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrUnsupported) {
					t.Fatalf("err = %v, want ErrUnsupported containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(globals) != len(tc.wantGlobals) {
				t.Fatalf("globals = %+v, want %+v", globals, tc.wantGlobals)
			}
			for i := range globals {
				if globals[i] != tc.wantGlobals[i] {
					t.Errorf("global %d = %+v, want %+v", i, globals[i], tc.wantGlobals[i])
				}
			}
			if got := exportNames(t, out); strings.Join(got, ",") != strings.Join(tc.wantExports, ",") {
				t.Errorf("exports = %q, want %q", got, tc.wantExports)
			}
		})
	}
}

func TestApply(t *testing.T) {
	wasm := fixture(t, "reactor.wasm")
	out, err := Apply(wasm, Snapshot{Globals: map[uint32]uint64{0: 5, 1: 42}, MemoryPages: 2})
	if err != nil {
		t.Fatal(err)
	}
	secs, err := wasmbin.Sections(out)
	if err != nil {
		t.Fatal(err)
	}
	if find(secs, secData) != nil {
		t.Error("the data section is still there: its contents are in the snapshot")
	}
	if find(secs, secStart) != nil {
		t.Error("the start section is still there")
	}
	defs, err := parseGlobals(find(secs, secGlobal).Body)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{{0x41, 5, 0x0B}, {0x42, 42, 0x0B}}
	for i, d := range defs {
		if !d.mutable || !bytes.Equal(d.init, want[i]) {
			t.Errorf("global %d: mutable %v, init % x; want mutable, init % x", i, d.mutable, d.init, want[i])
		}
	}
	r := &reader{B: find(secs, secMemory).Body}
	n, _ := r.U32()
	flags, _ := r.Byte()
	pages, _ := r.U32()
	if n != 1 || flags != 0 || pages != 2 {
		t.Errorf("memory section: %d memories, flags %d, min %d pages; want 1, 0, 2", n, flags, pages)
	}
	if got := exportNames(t, out); strings.Join(got, ",") != "memory,_initialize,wisp_handle" {
		t.Errorf("exports = %q: Apply must start from the original module", got)
	}
}

func TestAppendConst(t *testing.T) {
	for _, tc := range []struct {
		name string
		typ  byte
		bits uint64
		want []byte
	}{
		{"i32 zero", typeI32, 0, []byte{0x41, 0x00, 0x0B}},
		{"i32 negative", typeI32, 0xFFFFFFFF, []byte{0x41, 0x7F, 0x0B}},
		{"i32 large", typeI32, 1 << 20, []byte{0x41, 0x80, 0x80, 0xC0, 0x00, 0x0B}},
		{"i64 minus two", typeI64, 0xFFFFFFFFFFFFFFFE, []byte{0x42, 0x7E, 0x0B}},
		{"i64 64", typeI64, 64, []byte{0x42, 0xC0, 0x00, 0x0B}},
		{"f32 one", typeF32, 0x3F800000, []byte{0x43, 0x00, 0x00, 0x80, 0x3F, 0x0B}},
		{"f64 one", typeF64, 0x3FF0000000000000, []byte{0x44, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x0B}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := appendConst(nil, tc.typ, tc.bits)
			if !bytes.Equal(got, tc.want) {
				t.Errorf("got % x, want % x", got, tc.want)
			}
			r := &reader{B: got}
			if expr, err := wasmbin.SingleConstExpr(r); err != nil || !bytes.Equal(expr, got) {
				t.Errorf("reading it back: % x, %v", expr, err)
			}
		})
	}
}

func TestEmptyActiveSegmentsKeepsPassiveOnes(t *testing.T) {
	// Two segments: active "ab" at offset 0, passive "cd".
	body := []byte{2, 0, 0x41, 0, 0x0B, 2, 'a', 'b', 1, 2, 'c', 'd'}
	got, err := emptyActiveSegments(body, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{2, 1, 0, 1, 2, 'c', 'd'}
	if !bytes.Equal(*got, want) {
		t.Errorf("got % x, want % x", *got, want)
	}
	if got, err := emptyActiveSegments(body, false); err != nil || got != nil {
		t.Errorf("without a data count section: %v, %v; want the section dropped", got, err)
	}
}

// FuzzRewrite feeds arbitrary bytes to both rewrites: they must return an
// error or a module that parses, never panic.
func FuzzRewrite(f *testing.F) {
	for _, name := range []string{"reactor.wasm", "reactor-refglobal.wasm", "counter.wasm", "hello.wasm"} {
		f.Add(fixture(f, name))
	}
	f.Fuzz(func(t *testing.T, wasm []byte) {
		if out, _, err := Instrument(wasm); err == nil {
			if _, err := wasmbin.Sections(out); err != nil {
				t.Fatalf("Instrument returned a module that does not parse: %v", err)
			}
		}
		if out, err := Apply(wasm, Snapshot{Globals: map[uint32]uint64{0: 1, 1: 2}, MemoryPages: 3}); err == nil {
			if _, err := wasmbin.Sections(out); err != nil {
				t.Fatalf("Apply returned a module that does not parse: %v", err)
			}
		}
	})
}

func TestExportsFunction(t *testing.T) {
	for _, tc := range []struct {
		name, fixture, export string
		want                  bool
	}{
		{"reactor handler", "reactor.wasm", "wisp_handle", true},
		{"command has no handler", "hello.wasm", "wisp_handle", false},
		{"command start", "hello.wasm", "_start", true},
		{"memory is not a function", "hello.wasm", "memory", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ExportsFunction(fixture(t, tc.fixture), tc.export)
			if err != nil || got != tc.want {
				t.Errorf("ExportsFunction(%s, %q) = %v, %v; want %v", tc.fixture, tc.export, got, err, tc.want)
			}
		})
	}
}
