package preinit

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/wasmbin"
)

// TestReserve: the golden pair testdata/reserve/in.wat and want.wat shows
// the rewrite; the table, what is left alone and what is refused.
func TestReserve(t *testing.T) {
	in, err := os.ReadFile("testdata/reserve/in.wasm")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/reserve/want.wasm")
	if err != nil {
		t.Fatal(err)
	}
	const (
		magic    = wasmbin.Magic
		noMemory = magic + "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x04\x01\x02\x00\x0b" // (func)
		// (memory 1) (func (result i32) memory.size), no other function:
		// the added functions are 1 and 2.
		sizeOnly = magic + "\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x05\x03\x01\x00\x01\x0a\x06\x01\x04\x00\x3f\x00\x0b"
	)
	for _, tc := range []struct {
		name    string
		in      []byte
		want    []byte // nil: check below
		wantErr string
	}{
		{"golden", in, want, ""},
		{"a module without a memory is unchanged", []byte(noMemory), []byte(noMemory), ""},
		{"an imported memory's maximum is raised", []byte(magic + "\x02\x09\x01\x01a\x01m\x02\x01\x01\x02"),
			[]byte(magic + "\x02\x09\x01\x01a\x01m\x02\x01\x01\x03"), ""},
		{"memory.size becomes a call", []byte(sizeOnly), nil, ""},
		{"two memories", []byte(magic + "\x05\x05\x02\x00\x01\x00\x01"), nil, "more than one memory"},
		{"a shared memory", []byte(magic + "\x05\x04\x01\x03\x01\x02"), nil, "shared or 64-bit"},
		{"a maximum with no room for the control page", []byte(magic + "\x05\x06\x01\x01\x01\x80\x80\x04"), nil, "no room for the control page"},
		{"memory.grow of memory 1", []byte(magic + "\x01\x06\x01\x60\x01\x7f\x01\x7f\x03\x02\x01\x00\x05\x03\x01\x00\x01\x0a\x08\x01\x06\x00\x20\x00\x40\x01\x0b"),
			nil, "names memory 1"},
		{"an instruction it cannot read", []byte(magic + "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x05\x03\x01\x00\x01\x0a\x05\x01\x03\x00\xff\x0b"),
			nil, "unsupported opcode 0xff"},
		{"not a module", []byte("\x00asm\x0d\x00\x01\x00"), nil, "not a WebAssembly 1.0 module"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Reserve(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tc.wantErr)
				}
				if unsupported := !strings.Contains(tc.wantErr, "opcode") && !strings.Contains(tc.wantErr, "1.0"); unsupported != errors.Is(err, ErrUnsupported) {
					t.Fatalf("err = %v: ErrUnsupported for a valid module it cannot reserve in, not for one it cannot read", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != nil {
				if !bytes.Equal(got, tc.want) {
					t.Fatalf("got  %x\nwant %x", got, tc.want)
				}
				return
			}
			// memory.size (3f 00) is now call 1 (10 01), the two types
			// and functions are appended.
			secs, err := wasmbin.Sections(got)
			if err != nil {
				t.Fatal(err)
			}
			code := find(secs, secCode)
			if code == nil || !bytes.HasPrefix(code.Body, []byte{0x03, 0x04, 0x00, 0x10, 0x01, 0x0b}) {
				t.Fatalf("code section %x", code)
			}
			if fs := find(secs, secFunction); fs == nil || !bytes.Equal(fs.Body, []byte{0x03, 0x00, 0x01, 0x02}) {
				t.Fatalf("function section %x", fs)
			}
		})
	}
}

// FuzzReserve: any bytes give a module that parses or an error, never a
// panic.
func FuzzReserve(f *testing.F) {
	for _, name := range []string{"reactor.wasm", "counter.wasm", "printenv.wasm"} {
		f.Add(fixture(f, name))
	}
	if b, err := os.ReadFile("testdata/reserve/in.wasm"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, wasm []byte) {
		if out, err := Reserve(wasm); err == nil {
			if _, err := wasmbin.Sections(out); err != nil {
				t.Fatalf("Reserve returned a module that does not parse: %v", err)
			}
		}
	})
}
