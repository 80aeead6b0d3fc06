package binary

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/golden"
)

var update = flag.Bool("update", false, "rewrite testdata/*.dump with the dumps Decode gives now")

// fixtures are the committed components of testdata/components.
func fixtures(t testing.TB) []string {
	paths, err := filepath.Glob("../../../testdata/components/*.wasm")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures under testdata/components (%v)", err)
	}
	return paths
}

// TestDecodeFixtures decodes each committed component and compares its
// dump with testdata/NAME.dump.
func TestDecodeFixtures(t *testing.T) {
	for _, path := range fixtures(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".wasm")
		t.Run(name, func(t *testing.T) {
			wasm, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !IsComponent(wasm) {
				t.Fatalf("IsComponent(%s) = false", path)
			}
			c, err := Decode(wasm)
			if err != nil {
				t.Fatal(err)
			}
			checkModules(t, wasm, c)
			golden.Check(t, filepath.Join("testdata", name+".dump"), c.Dump(), *update)
		})
	}
}

// checkModules checks that every core module is a sub-slice of wasm at
// its offset, starting with a core preamble, and that every index space
// entry points at a section of the right kind.
func checkModules(t *testing.T, wasm []byte, c *Component) {
	t.Helper()
	for _, s := range c.Sections {
		switch {
		case s.Module != nil:
			m := s.Module
			if m.Offset+len(m.Bytes) > len(wasm) || string(wasm[m.Offset:m.Offset+len(m.Bytes)]) != string(m.Bytes) {
				t.Errorf("core module at %d is not the input's bytes", m.Offset)
			}
			if string(m.Bytes[:8]) != string(coreModule) {
				t.Errorf("core module at %d does not start with a core preamble", m.Offset)
			}
		case s.Component != nil:
			checkModules(t, wasm, s.Component)
		}
	}
	for sort, defs := range c.Spaces {
		for i, d := range defs {
			if d.Section < 0 || d.Section >= len(c.Sections) {
				t.Errorf("%s %d points at section %d of %d", Sort(sort), i, d.Section, len(c.Sections))
			}
		}
	}
}

// TestTruncated decodes every prefix of a fixture: each must fail with an
// *Error inside the prefix, unless it ends exactly at a section boundary
// (then it is a valid component with fewer sections). With -short, it
// tries every 13th prefix.
func TestTruncated(t *testing.T) {
	wasm, err := os.ReadFile("../../../testdata/components/counter.wasm")
	if err != nil {
		t.Fatal(err)
	}
	full, err := Decode(wasm)
	if err != nil {
		t.Fatal(err)
	}
	boundary := map[int]bool{8: true}
	for _, s := range full.Sections {
		boundary[s.Offset] = true
	}
	step := 1
	if testing.Short() {
		step = 13
	}
	for n := 0; n < len(wasm); n += step {
		_, err := Decode(wasm[:n])
		if boundary[n] {
			if err != nil {
				t.Errorf("prefix of %d bytes ends at a section boundary but fails: %v", n, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("prefix of %d bytes: got %v, want an *Error", n, err)
		}
		if e.Offset < 0 || e.Offset > n {
			t.Errorf("prefix of %d bytes: error offset %d is outside the input: %v", n, e.Offset, err)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	_, err := Decode(comp(sec(7, vecOf(b(0x70, 0x05)))))
	want := "component binary: type section at byte 12 (0xc): value type refers to type index 5, but only 0 type definitions precede it (index out of bounds)"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

func TestInterfaceName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want InterfaceName
		ok   bool
	}{
		{"wasi:http/incoming-handler@0.2.10", InterfaceName{"wasi", "http", "incoming-handler", "0.2.10"}, true},
		{"wasi:cli/environment@0.2.0-rc-2023-11-10", InterfaceName{"wasi", "cli", "environment", "0.2.0-rc-2023-11-10"}, true},
		{"wasi:io/streams", InterfaceName{"wasi", "io", "streams", ""}, true},
		{"a:b:c/d/e@1.0.0+build.1", InterfaceName{"a", "b:c", "d/e", "1.0.0+build.1"}, true},
		{"run", InterfaceName{}, false},
		{"wasi:http/incoming-handler@0.02.1", InterfaceName{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ExternName{Name: tc.name}.Interface()
			if ok != tc.ok || (ok && got != tc.want) {
				t.Errorf("Interface() = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// readFixture reads testdata/components/NAME.wasm.
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	wasm, err := os.ReadFile("../../../testdata/components/" + name + ".wasm")
	if err != nil {
		t.Fatal(err)
	}
	return wasm
}
