package cgi

import (
	"crypto/tls"
	"flag"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	goldenfile "github.com/wisphq/wisp/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files from the current output")

// newRequest builds a request as net/http's server would hand it over.
func newRequest(method, target string, header http.Header) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	for k, vv := range header {
		for _, v := range vv {
			r.Header.Add(k, v)
		}
	}
	return r
}

func TestEnv(t *testing.T) {
	tests := []struct {
		name   string
		req    func() *http.Request
		match  Match
		server Server
	}{{
		name:  "exact_route",
		req:   func() *http.Request { return newRequest("GET", "/hello", nil) },
		match: Match{Route: "/hello", ScriptName: "/hello"},
	}, {
		name: "prefix_route_query_and_headers",
		req: func() *http.Request {
			return newRequest("GET", "http://example.com:8080/api/v1/users?id=7&name=a%20b", http.Header{
				"Accept":     {"text/html", "application/json;q=0.9"},
				"User-Agent": {"curl/8.5.0"},
				"Cookie":     {"a=1", "b=2"},
				"X-Request":  {"abc"},
			})
		},
		match:  Match{Route: "/api/...", ScriptName: "/api"},
		server: Server{Software: "Wisp/test"},
	}, {
		name:  "catch_all_root",
		req:   func() *http.Request { return newRequest("GET", "/", nil) },
		match: Match{Route: "/...", ScriptName: "/"},
	}, {
		name:  "prefix_route_at_its_root",
		req:   func() *http.Request { return newRequest("GET", "/api", nil) },
		match: Match{Route: "shop.example.com/api/...", ScriptName: "/api"},
	}, {
		name: "post_with_body",
		req: func() *http.Request {
			r := httptest.NewRequest("POST", "/form", strings.NewReader("name=wisp"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Content-Length", "9")
			return r
		},
		match: Match{Route: "/form", ScriptName: "/form"},
	}, {
		name: "unsafe_headers_dropped",
		req: func() *http.Request {
			r := newRequest("GET", "/x", http.Header{
				"Proxy":               {"http://evil.example:3128"},
				"Proxy-Authorization": {"Basic cHJveHk6c2VjcmV0"},
				"Proxy-Connection":    {"keep-alive"},
				"Connection":          {"keep-alive, X-Hop"},
				"X-Hop":               {"hop"},
				"Keep-Alive":          {"timeout=5"},
				"Te":                  {"trailers"},
				"Trailer":             {"X-Checksum"},
				"Upgrade":             {"websocket"},
				"X_User":              {"admin"},
				"X-User":              {"alice"},
				"Authorization":       {"Bearer token123"},
				"Content-Length":      {"0"},
			})
			r.Header["Host"] = []string{"evil.example"}
			r.Header["Transfer-Encoding"] = []string{"chunked"}
			r.Header["Bad Name"] = []string{"x"}
			r.Header["X-Empty"] = nil
			return r
		},
		match: Match{Route: "/x", ScriptName: "/x"},
	}, {
		name: "ipv6_and_tls",
		req: func() *http.Request {
			r := newRequest("GET", "https://[::1]:8443/secure/area", nil)
			r.RemoteAddr = "[2001:db8::1]:51000"
			r.TLS = &tls.ConnectionState{}
			return r
		},
		match: Match{Route: "/secure/...", ScriptName: "/secure"},
	}, {
		name:   "tls_terminated_in_front",
		req:    func() *http.Request { return newRequest("GET", "http://example.com/s", nil) },
		match:  Match{Route: "/s", ScriptName: "/s"},
		server: Server{TLS: true},
	}, {
		name:  "escaped_path",
		req:   func() *http.Request { return newRequest("GET", "/files/a%20b/c%2Fd?q=%26", nil) },
		match: Match{Route: "/files/...", ScriptName: "/files"},
	}, {
		name:  "nul_in_path",
		req:   func() *http.Request { return newRequest("GET", "/files/x%00y", nil) },
		match: Match{Route: "/files/...", ScriptName: "/files"},
	}, {
		name:  "non_ascii_route",
		req:   func() *http.Request { return newRequest("GET", "/caf%C3%A9/men%C3%BC", nil) },
		match: Match{Route: "/café/...", ScriptName: "/café"},
	}, {
		name: "http10_without_host_unknown_length",
		req: func() *http.Request {
			r := newRequest("PUT", "/upload", nil)
			r.Host = ""
			r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.0", 1, 0
			r.ContentLength = -1
			r.RemoteAddr = "unix-socket"
			return r
		},
		match:  Match{Route: "/upload", ScriptName: "/upload"},
		server: Server{Name: "10.0.0.5", Port: "8080"},
	}, {
		name:  "match_not_a_prefix",
		req:   func() *http.Request { return newRequest("GET", "/other/path", nil) },
		match: Match{Route: "/api/...", ScriptName: "/api"},
	}, {
		name: "hand_built_header_spellings",
		req: func() *http.Request {
			r := newRequest("GET", "/h", nil)
			r.Header["x-trace"] = []string{"one"}
			r.Header["X-Trace"] = []string{"two"}
			r.Header["X-Nul"] = []string{"a\x00b"}
			return r
		},
		match: Match{Route: "/h", ScriptName: "/h"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := Env(tt.req(), tt.match, tt.server)
			checkEnv(t, env)
			// Map iteration order must not leak into the output.
			for range 5 {
				if again := Env(tt.req(), tt.match, tt.server); !slices.Equal(env, again) {
					t.Fatalf("Env is not stable:\n%s\nthen\n%s", strings.Join(env, "\n"), strings.Join(again, "\n"))
				}
			}
			golden(t, filepath.Join("testdata", "env", tt.name+".golden"), strings.Join(env, "\n")+"\n")
		})
	}
}

// TestEnvSecurity states the security rules directly, independent of the
// golden files.
func TestEnvSecurity(t *testing.T) {
	r := newRequest("GET", "/x", http.Header{
		"Proxy":          {"http://evil.example:3128"},
		"Connection":     {"X-Hop"},
		"X-Hop":          {"hop"},
		"X_Forwarded":    {"spoof"},
		"Content-Type":   {"text/plain"},
		"Content-Length": {"999"},
		"Authorization":  {"Bearer t"},
	})
	env := envMap(t, Env(r, Match{Route: "/x", ScriptName: "/x"}, Server{}))
	for _, key := range []string{"HTTP_PROXY", "HTTP_CONNECTION", "HTTP_X_HOP", "HTTP_X_FORWARDED", "HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"} {
		if v, ok := env[key]; ok {
			t.Errorf("%s=%q is set; want it dropped", key, v)
		}
	}
	want := map[string]string{
		"CONTENT_TYPE":       "text/plain",
		"CONTENT_LENGTH":     "0", // from r.ContentLength, not the header
		"HTTP_AUTHORIZATION": "Bearer t",
		"AUTH_TYPE":          "",
		"REMOTE_USER":        "",
	}
	for k, v := range want {
		if got, ok := env[k]; !ok || got != v {
			t.Errorf("%s = %q (set: %v); want %q", k, got, ok, v)
		}
	}
}

func TestAppendEnvKeepsDst(t *testing.T) {
	dst := []string{"APP=1"}
	env := AppendEnv(dst, newRequest("GET", "/a", nil), Match{Route: "/a", ScriptName: "/a"}, Server{})
	if env[0] != "APP=1" || env[1] != "GATEWAY_INTERFACE=CGI/1.1" {
		t.Fatalf("AppendEnv = %q...; want the app's variable, then the CGI ones", env[:2])
	}
}

func TestSplitHost(t *testing.T) {
	tests := []struct{ in, name, port string }{
		{"", "", ""},
		{"example.com", "example.com", ""},
		{"example.com:8080", "example.com", "8080"},
		{"example.com:", "example.com", ""},
		{"example.com:http", "example.com", ""},
		{"10.0.0.1:80", "10.0.0.1", "80"},
		{"[::1]", "[::1]", ""},
		{"[::1]:8443", "[::1]", "8443"},
		{"[fe80::1%25eth0]:80", "[fe80::1%25eth0]", "80"},
		{"::1", "::1", ""},
		{"2001:db8::1", "2001:db8::1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			name, port := SplitHost(tt.in)
			if name != tt.name || port != tt.port {
				t.Errorf("SplitHost(%q) = %q, %q; want %q, %q", tt.in, name, port, tt.name, tt.port)
			}
		})
	}
}

// checkEnv checks what must hold of every environment: "KEY=VALUE" with
// a non-empty key, no NUL anywhere (WASI passes NUL-terminated strings),
// no key twice.
func checkEnv(t *testing.T, env []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, kv := range env {
		key, _, ok := strings.Cut(kv, "=")
		switch {
		case !ok || key == "":
			t.Errorf("%q is not KEY=VALUE", kv)
		case strings.IndexByte(kv, 0) >= 0:
			t.Errorf("%q contains NUL", kv)
		case seen[key]:
			t.Errorf("%s is set twice", key)
		}
		seen[key] = true
	}
}

func envMap(t *testing.T, env []string) map[string]string {
	t.Helper()
	checkEnv(t, env)
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// golden compares got with the file at path (see internal/golden).
func golden(t *testing.T, path, got string) {
	t.Helper()
	goldenfile.Check(t, path, got, *update)
}
