package cgi

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func FuzzParseResponse(f *testing.F) {
	for _, seed := range []string{
		"",
		"Content-Type: text/plain\n\nhello",
		"Content-Type: text/html\r\n\r\n<p>",
		"Status: 404 Not Found\nContent-Type: text/plain\n\n",
		"Status: 101\n\n",
		"Status: 1000\n\n",
		"Status: abc\n\n",
		"Location: /next\n\n",
		"Location: /a\nLocation: /b\n\n",
		"X-A: a\rb\nContent-Type: x\n\n",
		"X A: 1\n\n",
		"Content-Type: x\x00\n\n",
		"Content-Type: x\n  folded\n\n",
		"Content-Type: x\nContent-Length: 5\nConnection: close\n\nbody",
		"hello world",
		"Content-Type: text/plain\n",
		"\n\n",
		"\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		resp, err := ParseResponse(out)
		if err != nil {
			n := 0
			for _, s := range []error{ErrNoHeader, ErrBadHeader, ErrBadStatus} {
				if errors.Is(err, s) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("error %q wraps %d of the sentinels; want exactly one", err, n)
			}
			return
		}
		if resp.Status < 200 || resp.Status > 999 {
			t.Fatalf("Status = %d; want 200 to 999", resp.Status)
		}
		if !bytes.HasSuffix(out, resp.Body) || len(out)-len(resp.Body) > MaxHeaderBytes {
			t.Fatalf("Body %q is not the output's tail after at most %d header bytes", resp.Body, MaxHeaderBytes)
		}
		_, hasType := resp.Header["Content-Type"]
		_, hasLocation := resp.Header["Location"]
		if !hasType && !hasLocation && !bytes.Contains(bytes.ToLower(out[:len(out)-len(resp.Body)]), []byte("status")) {
			t.Fatalf("accepted a header with none of Content-Type, Location, Status")
		}
		for k, vv := range resp.Header {
			if badNameByte(k) >= 0 || k != http.CanonicalHeaderKey(k) {
				t.Fatalf("header name %q is not a canonical token", k)
			}
			if k == "Content-Length" || k == "Status" || isHopByHop(k) {
				t.Fatalf("header %q should have been dropped", k)
			}
			for _, v := range vv {
				if strings.ContainsAny(v, "\r\n\x00") || badValueByte(v) >= 0 {
					t.Fatalf("header %s value %q contains a control character", k, v)
				}
			}
		}
	})
}

func FuzzEnv(f *testing.F) {
	f.Add("/api/x%20y", "a=1&b=%00", "X-Name", "value", "/api", "example.com:80")
	f.Add("/", "", "Cookie", "a=1", "/", "")
	f.Add("/caf%C3%A9/x", "q", "Proxy", "http://evil", "/café", "[::1]:8080")
	f.Fuzz(func(t *testing.T, path, query, hname, hvalue, script, host string) {
		u := &url.URL{Path: path, RawQuery: query}
		if p, err := url.PathUnescape(path); err == nil {
			u.Path, u.RawPath = p, path
		}
		r := &http.Request{Method: "GET", URL: u, Host: host, Header: http.Header{hname: {hvalue}}, RemoteAddr: host}
		env := Env(r, Match{Route: script + "/...", ScriptName: script}, Server{})
		for _, kv := range env {
			if key, _, ok := strings.Cut(kv, "="); !ok || key == "" || strings.IndexByte(kv, 0) >= 0 {
				t.Fatalf("%q is not a valid environment string", kv)
			}
			if strings.HasPrefix(kv, "HTTP_PROXY=") {
				t.Fatalf("passed %q", kv)
			}
		}
		for _, a := range Args(r) {
			if strings.IndexByte(a, 0) >= 0 {
				t.Fatalf("argument %q contains NUL", a)
			}
		}
	})
}
