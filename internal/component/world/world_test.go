package world

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/component/binary"
	"github.com/wisphq/wisp/internal/component/plan"
)

// importing returns a component whose only content is an import of an
// empty instance type named name: (component (import "name" (instance))).
func importing(name string) []byte {
	b := []byte("\x00asm\x0d\x00\x01\x00")
	b = append(b, 0x07, 0x03, 0x01, 0x42, 0x00) // type 0: (instance)
	entry := append([]byte{0x00, byte(len(name))}, name...)
	entry = append(entry, 0x05, 0x00) // (instance (type 0))
	b = append(b, 0x0a, byte(len(entry)+1), 0x01)
	return append(b, entry...)
}

func TestImports(t *testing.T) {
	for _, tc := range []struct {
		name, imp string
		want      string // a substring of the error; "" for none
	}{
		{"wasi 0.2.0", "wasi:cli/environment@0.2.0", ""},
		{"wasi 0.2.12", "wasi:io/streams@0.2.12", ""},
		{"sockets", "wasi:sockets/tcp@0.2.0", ""}, // accepted; every call is refused at run time
		{"sockets 0.2.12", "wasi:sockets/ip-name-lookup@0.2.12", ""},
		{"http", "wasi:http/types@0.2.3", ""},
		{"http outgoing", "wasi:http/outgoing-handler@0.2.10", ""},
		{"wasi 0.3", "wasi:io/streams@0.3.0-rc-2026-03-15", "WASI 0.3 (async) components are not supported yet"},
		{"timezone", "wasi:clocks/timezone@0.2.10", "an unstable interface Wisp does not implement"},
		{"unknown package", "acme:cache/lookup", "component imports acme:cache/lookup: not an interface Wisp provides (it provides wasi:cli, wasi:clocks"},
		{"version 0.1", "wasi:cli/stdout@0.1.0", "versions 0.2.x only"},
		{"no version", "wasi:cli/stdout", "(no version)"},
		{"plain name", "log", "a plain name rather than an interface"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := binary.Decode(importing(tc.imp))
			if err != nil {
				t.Fatal(err)
			}
			err = Imports(c, WASI())
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

func fixturePlan(t *testing.T, name string) (*binary.Component, *plan.Plan) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "components", name+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := binary.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(c)
	if err != nil {
		t.Fatal(err)
	}
	return c, p
}

func TestFixtures(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"printenv", ""}, {"counter", ""}, {"stderr", ""}, {"exit3", ""},
		{"reactor", "component exports nothing, not wasi:cli/run@0.2.x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, p := fixturePlan(t, tc.name)
			if err := Imports(c, WASI()); err != nil {
				t.Fatal(err)
			}
			run, err := Command(p, WASI())
			if tc.want == "" {
				if err != nil || run == nil || run.Func != RunFunc {
					t.Fatalf("Command = %v, %v", run, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

func TestCommand(t *testing.T) {
	run := plan.Export{Interface: "wasi:cli/run@0.2.3", Func: "run"}
	for _, tc := range []struct {
		name string
		p    plan.Plan
		want []string
	}{
		{"a command", plan.Plan{Exports: []plan.Export{run}}, nil},
		{"an HTTP component", plan.Plan{Exports: []plan.Export{{Interface: "wasi:http/incoming-handler@0.2.10", Func: "handle"}}},
			[]string{"component exports wasi:http/incoming-handler@0.2.10 (a wasi:http/proxy component), not wasi:cli/run@0.2.x: it answers HTTP requests"}},
		{"another export", plan.Plan{Exports: []plan.Export{{Interface: "acme:app/main@1.0.0", Func: "go"}}},
			[]string{"component exports acme:app/main@1.0.0, not wasi:cli/run@0.2.x"}},
		{"an unimplemented function and no run", plan.Plan{Host: []plan.HostFunc{
			{Kind: plan.HostLower, Interface: "wasi:cli/exit@0.2.0", Func: "exit"},
			{Kind: plan.HostLower, Interface: "wasi:cli/exit@0.2.0", Func: "exit-with-status"},
		}}, []string{"component imports wasi:cli/exit@0.2.0 function exit-with-status, which Wisp does not implement", "component exports nothing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Command(&tc.p, WASI())
			if tc.want == nil {
				if err != nil || got == nil {
					t.Fatalf("Command = %v, %v", got, err)
				}
				return
			}
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want it to say %q", err, w)
				}
			}
		})
	}
}

func TestEntry(t *testing.T) {
	run := plan.Export{Interface: "wasi:cli/run@0.2.3", Func: "run"}
	handle := plan.Export{Interface: "wasi:http/incoming-handler@0.2.10", Func: "handle"}
	for _, tc := range []struct {
		name     string
		p        plan.Plan
		wantHTTP bool
		want     string // a substring of the error; "" for none
	}{
		{"a command", plan.Plan{Exports: []plan.Export{run}}, false, ""},
		{"an HTTP handler", plan.Plan{Exports: []plan.Export{handle}}, true, ""},
		{"both: a command", plan.Plan{Exports: []plan.Export{handle, run}}, false, ""},
		{"an HTTP handler at 0.3", plan.Plan{Exports: []plan.Export{{Interface: "wasi:http/handler@0.3.0", Func: "handle"}}}, false,
			"not wasi:cli/run@0.2.x nor wasi:http/incoming-handler@0.2.x"},
		{"nothing", plan.Plan{}, false, "component exports nothing, not wasi:cli/run@0.2.x nor"},
		{"an unimplemented function", plan.Plan{Exports: []plan.Export{handle}, Host: []plan.HostFunc{
			{Kind: plan.HostLower, Interface: "wasi:http/types@0.2.10", Func: "[method]fields.frobnicate"},
		}}, false, "component imports wasi:http/types@0.2.10 function [method]fields.frobnicate, which Wisp does not implement"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, isHTTP, err := Entry(&tc.p, WASI())
			if tc.want == "" {
				if err != nil || got == nil || isHTTP != tc.wantHTTP {
					t.Fatalf("Entry = %v, %v, %v; want http %v", got, isHTTP, err, tc.wantHTTP)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// Describe names the world of each fixture and lists its interfaces with
// their versions.
func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		path, world string
		exports     []string
		imports     []string // some of them
		notes       int
	}{
		{"testdata/components/printenv.wasm", "wasi:cli/command", []string{"wasi:cli/run@0.2.12"},
			[]string{"wasi:cli/environment@0.2.12", "wasi:filesystem/preopens@0.2.12"}, 0},
		{"testdata/components/extra/sockets.wasm", "wasi:cli/command", []string{"wasi:cli/run@0.2.12"},
			[]string{"wasi:sockets/tcp-create-socket@0.2.12", "wasi:sockets/network@0.2.12"}, 1},
		{"examples/hello-js/hello.wasm", "wasi:http/proxy", []string{"wasi:http/incoming-handler@0.2.10"},
			[]string{"wasi:http/types@0.2.10", "wasi:keyvalue/store@0.2.0-draft"}, 0},
		{"testdata/components/reactor.wasm", "", nil, []string{"wasi:cli/stdout@0.2.12"}, 0},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "..", "..", filepath.FromSlash(tc.path)))
			if err != nil {
				t.Fatal(err)
			}
			c, err := binary.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			d := Describe(c)
			if d.World != tc.world || !slices.Equal(d.Exports, tc.exports) || len(d.Notes) != tc.notes {
				t.Errorf("Describe = world %q exports %v notes %v; want %q, %v, %d notes", d.World, d.Exports, d.Notes, tc.world, tc.exports, tc.notes)
			}
			for _, im := range tc.imports {
				if !slices.Contains(d.Imports, im) {
					t.Errorf("imports %v lack %s", d.Imports, im)
				}
			}
			if !slices.IsSorted(d.Imports) {
				t.Errorf("imports %v are not sorted", d.Imports)
			}
		})
	}
}
