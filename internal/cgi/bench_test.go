package cgi

import (
	"net/http"
	"strings"
	"testing"
)

// benchRequest looks like a typical browser request.
func benchRequest() *http.Request {
	return newRequest("GET", "http://example.com/api/v1/users?id=7&sort=name", http.Header{
		"Accept":          {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
		"Accept-Encoding": {"gzip, deflate, br"},
		"Accept-Language": {"en-US,en;q=0.5"},
		"Cookie":          {"session=0123456789abcdef", "theme=dark"},
		"User-Agent":      {"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"},
		"Referer":         {"http://example.com/"},
		"X-Request-Id":    {"7f0c1d2e-3b4a-5c6d-7e8f-9a0b1c2d3e4f"},
	})
}

func BenchmarkEnv(b *testing.B) {
	r := benchRequest()
	m := Match{Route: "/api/...", ScriptName: "/api"}
	b.ReportAllocs()
	for b.Loop() {
		Env(r, m, Server{})
	}
}

func BenchmarkAppendEnv(b *testing.B) {
	r := benchRequest()
	m := Match{Route: "/api/...", ScriptName: "/api"}
	dst := make([]string, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendEnv(dst[:0], r, m, Server{})
	}
}

func BenchmarkArgs(b *testing.B) {
	r := benchRequest()
	b.ReportAllocs()
	for b.Loop() {
		Args(r)
	}
}

func BenchmarkParseResponse(b *testing.B) {
	out := []byte("Status: 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n" +
		"Set-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; Path=/\r\nx-powered-by: wasm\r\n\r\n" + strings.Repeat("<p>hello</p>\n", 100))
	b.ReportAllocs()
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		if _, err := ParseResponse(out); err != nil {
			b.Fatal(err)
		}
	}
}
