package cli

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestEnvFlag(t *testing.T) {
	e := envFlag{getenv: func(k string) string { return map[string]string{"HOME": "/home/me"}[k] }}
	for _, v := range []string{"A=1", "B=x=y", "HOME", "EMPTY=", "A=2"} {
		if err := e.Set(v); err != nil {
			t.Fatalf("Set(%q): %v", v, err)
		}
	}
	if want := []string{"A=1", "B=x=y", "HOME=/home/me", "EMPTY=", "A=2"}; !slices.Equal(e.vars, want) {
		t.Errorf("vars = %q, want %q", e.vars, want)
	}
	if want := map[string]string{"A": "2", "B": "x=y", "HOME": "/home/me", "EMPTY": ""}; !maps.Equal(e.Map(), want) {
		t.Errorf("Map() = %v, want %v (a later KEY wins)", e.Map(), want)
	}
	if err := e.Set("=value"); err == nil {
		t.Error(`Set("=value") succeeded, want an error naming the missing name`)
	}
}

func FuzzParseDirMount(f *testing.F) {
	for _, s := range []string{"data", "data:/d", "data:/d:ro", "a:b:c", ":", "::ro", "ro", "data:rw", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseDirMount(s)
		if err != nil {
			return
		}
		if m.Host == "" || m.Guest == "" || strings.Contains(m.Host, ":") || strings.Contains(m.Guest, ":") {
			t.Fatalf("parseDirMount(%q) = %+v: empty path or a ':' left in one", s, m)
		}
		if m.ReadOnly != strings.HasSuffix(s, ":ro") {
			t.Fatalf("parseDirMount(%q) = %+v: read-only only with a :ro suffix", s, m)
		}
	})
}

// FuzzFlagSetParse checks that interspersed parsing loses no argument:
// every argument is a positional one, a flag or a flag's value.
func FuzzFlagSetParse(f *testing.F) {
	f.Add("app.wasm --name hi -v")
	f.Add("a -- --name b")
	f.Add("--name=x a b -v=false")
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		fs := newFlagSet("fuzz")
		fs.String("name", "", "")
		fs.Bool("v", false, "")
		positional, err := fs.parse(args, true)
		if err != nil {
			return
		}
		// Every positional argument appears in args, in order.
		i := 0
		for _, a := range args {
			if i < len(positional) && a == positional[i] {
				i++
			}
		}
		if i != len(positional) {
			t.Fatalf("parse(%q) = %q: not a subsequence of the arguments", args, positional)
		}
		if len(positional) > len(args) {
			t.Fatalf("parse(%q) = %q: more positional arguments than arguments", args, positional)
		}
	})
}

func TestSuggestFlag(t *testing.T) {
	fs := newFlagSet("test")
	fs.String("listen", "", "")
	fs.String("admin-listen", "", "")
	fs.String("data", "", "")
	fs.Int("max-instances", 0, "")
	fs.String("max-module-size", "", "")
	fs.String("memory-budget", "", "")
	fs.Bool("follow", false, "")
	fs.alias("f", "follow")
	fs.Bool("v", false, "")
	tests := []struct{ name, typed, want string }{
		{"typo", "listn", "--listen"},
		{"missing letter", "folow", "--follow"},
		{"swapped letters", "lsiten", "--listen"},
		{"case", "Listen", "--listen"},
		{"underscore", "max_instances", "--max-instances"},
		{"only flag with that start", "mem", "--memory-budget"},
		{"several flags with that start", "max", ""},
		{"flag and more", "data-dir", "--data"},
		{"one-letter flag", "V", "-v"},
		{"one letter off", "x", ""},
		{"far", "zzzzzz", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fs.suggest(tt.typed); got != tt.want {
				t.Errorf("suggest(%q) = %q, want %q", tt.typed, got, tt.want)
			}
		})
	}
}

func TestCheckRouteStart(t *testing.T) {
	tests := []struct{ name, route, wantErr string }{
		{"path", "/hello", ""},
		{"host and path", "shop.example.com/...", ""},
		{"empty, for ParseRoute", "", ""},
		{"no slash", "hello", `routes start with "/"; did you mean "/hello"?`},
		{"blanks", " hello ", `routes start with "/"; did you mean "/hello"?`},
		{"prefix without slashes", "api...", `routes start with "/"; did you mean "/api/..."?`},
		{"every path without a slash", "...", `routes start with "/"; did you mean "/..."?`},
		{"host without a path", "example.com", `routes start with "/", or with a host and a path; did you mean "example.com/..." (every path on host example.com) or "/example.com"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkRouteStart(tt.route)
			if got := fmt.Sprint(err); err == nil && tt.wantErr != "" || err != nil && got != tt.wantErr {
				t.Errorf("checkRouteStart(%q) = %v, want %q", tt.route, err, tt.wantErr)
			}
		})
	}
}

func TestIsTransposition(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"dri", "dir", true}, {"ab", "ba", true}, {"lsiten", "listen", true},
		{"dir", "dir", false}, {"abc", "cba", false}, {"abcd", "badc", false}, {"a", "ab", false}, {"", "", false},
	}
	for _, tt := range tests {
		if got := isTransposition(tt.a, tt.b); got != tt.want {
			t.Errorf("isTransposition(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
