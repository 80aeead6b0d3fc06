package plan

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRenameImportsMalformed(t *testing.T) {
	id := func(m, n string) (string, string, error) { return m, n, nil }
	hdr := "\x00asm\x01\x00\x00\x00"
	for _, tc := range []struct{ name, wasm, want string }{
		{"empty", "", "not a core WebAssembly module"},
		{"component", "\x00asm\x0d\x00\x01\x00", "not a core WebAssembly module"},
		{"truncated section", hdr + "\x02\x05\x01", "truncated section"},
		{"count beyond bytes", hdr + "\x02\x01\x7f", "claims 127 imports"},
		{"bad kind", hdr + "\x02\x06\x01\x01m\x01n\x09", "malformed import section"},
		{"trailing bytes", hdr + "\x02\x07\x01\x01m\x01n\x00\x00\x00"[:0] + "\x02\x08\x01\x01m\x01n\x00\x00\x00", "malformed import section"},
		{"two import sections", hdr + "\x02\x01\x00\x02\x01\x00", "two import sections"},
		{"overlong leb", hdr + "\x02\x80\x80\x80\x80\x80\x01", "truncated section"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RenameImports([]byte(tc.wasm), id)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestRenameImportsRoundTrip renames every import of a real module and back.
func TestRenameImportsRoundTrip(t *testing.T) {
	p, err := Build(fixture(t, "printenv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Steps {
		back, err := RenameImports(s.Wasm, func(m, n string) (string, string, error) { return "x" + m, n, nil })
		if err != nil {
			t.Fatal(err)
		}
		again, err := RenameImports(back, func(m, n string) (string, string, error) { return m[1:], n, nil })
		if err != nil || !bytes.Equal(again, s.Wasm) {
			t.Fatalf("round trip changed the module (err %v)", err)
		}
	}
}

// FuzzRenameImports: any input gives a module or an error, never a panic,
// and a renamed module lists the renamed imports.
func FuzzRenameImports(f *testing.F) {
	for _, name := range []string{"counter", "exit3"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "wasm", name+".wasm"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x02\x06\x01\x01m\x01n\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := RenameImports(b, func(m, n string) (string, string, error) { return "wisp:i0", n + "!", nil })
		if err != nil {
			return
		}
		imps, err := ModuleImports(out)
		if err != nil {
			t.Fatalf("a renamed module does not parse: %v", err)
		}
		for _, im := range imps {
			if im[0] != "wisp:i0" || !strings.HasSuffix(im[1], "!") {
				t.Fatalf("import %q %q not renamed", im[0], im[1])
			}
		}
	})
}
