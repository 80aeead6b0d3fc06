package wisp

import (
	"strings"
	"testing"
)

func TestParseRoute(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Route
		err  string
	}{
		{in: "/hello", want: Route{Path: "/hello"}},
		{in: "/api/...", want: Route{Path: "/api", Prefix: true}},
		{in: "/...", want: Route{Path: "/", Prefix: true}},
		{in: "/", want: Route{Path: "/"}},
		{in: "Shop.Example.com/...", want: Route{Host: "shop.example.com", Path: "/", Prefix: true}},
		{in: "api.example.com/v1/...", want: Route{Host: "api.example.com", Path: "/v1", Prefix: true}},
		{in: "", err: "route is empty"},
		{in: "hello", err: `route "hello": routes start with "/"; did you mean "/hello"?`},
		{in: " api ", err: `route " api ": routes start with "/"; did you mean "/api"?`},
		{in: "example.com", err: `route "example.com": routes start with "/", or with a host then "/"; did you mean "/example.com", or "example.com/..." for every path on that host?`},
		{in: "/a//b", err: `empty path segment ("//" or a trailing "/"); write it as "/a/b"`},
		{in: "/a/", err: `write it as "/a"`},
		{in: "/a/../b", err: `contains ".."`},
		{in: "/a/.../b", err: `"..." may only end a route`},
		{in: "/a b", err: `contains ' '`},
		{in: "/a?x=1", err: `contains '?'`},
		{in: "host:8080/x", err: "must not include a port"},
		{in: "ho_st/x", err: "may only contain letters"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseRoute(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseRoute(%q) error = %v, want it to contain %q", tc.in, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseRoute(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
			if again, _ := ParseRoute(got.String()); again != got {
				t.Fatalf("String() %q does not parse back to the same route", got.String())
			}
		})
	}
}

func FuzzParseRoute(f *testing.F) {
	for _, s := range []string{"/hello", "/api/...", "/...", "h.example/x/...", "/a//b", "x", "/%", "/a/../b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRoute(s)
		if err != nil {
			return
		}
		again, err := ParseRoute(r.String())
		if err != nil || again != r {
			t.Fatalf("%q parsed to %+v whose String %q parses to %+v, %v", s, r, r.String(), again, err)
		}
		if !r.Matches(r.Host, r.Path) {
			t.Fatalf("route %q does not match its own path", r)
		}
	})
}

func TestByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ByteSize
		text string
	}{
		{"65536", 64 << 10, "64KiB"},
		{"64MiB", 64 << 20, "64MiB"},
		{"1GiB", 1 << 30, "1GiB"},
		{"100kB", 100000, "100000B"},
		{" 5 MB ", 5000000, "5000000B"},
		{"0", 0, "0B"},
	} {
		got, err := ParseByteSize(tc.in)
		if err != nil || got != tc.want || got.String() != tc.text {
			t.Errorf("ParseByteSize(%q) = %d (%s), %v; want %d (%s)", tc.in, got, got, err, tc.want, tc.text)
		}
	}
	for _, bad := range []string{"", "lots", "-1", "1.5MiB", "64 mib", "99999999999TiB"} {
		if _, err := ParseByteSize(bad); err == nil {
			t.Errorf("ParseByteSize(%q) succeeded", bad)
		}
	}
}
