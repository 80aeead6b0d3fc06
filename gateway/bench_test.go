package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wisphq/wisp"
)

// nativeHello is the upper bound: a plain Go handler answering what the
// hello example answers.
var nativeHello = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "Hello from Wisp!\n")
})

// BenchmarkServeHTTP is the in-process cost of one request through the
// gateway (routing, CGI mapping, a fresh instance, response parsing), with
// no network.
func BenchmarkServeHTTP(b *testing.B) {
	srv, _ := newGatewayFromExamples(b)
	gw := srv.Config.Handler
	for _, bc := range []struct {
		name string
		h    http.Handler
		path string
	}{
		{"native", nativeHello, "/hello"},
		{"hello-wat", gw, "/hello"},
		{"hello-c", gw, "/hello-c"},
		{"echo-c", gw, "/echo/x?a=1"},
		{"json-go", gw, "/json/x?a=1"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", bc.path, nil)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				w := httptest.NewRecorder()
				bc.h.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}

// BenchmarkHTTP measures requests per second over loopback HTTP with as
// many concurrent clients as GOMAXPROCS*4 (b.RunParallel), for the native
// handler and the hello example in the same run.
func BenchmarkHTTP(b *testing.B) {
	gwSrv, _ := newGatewayFromExamples(b)
	native := httptest.NewServer(nativeHello)
	defer native.Close()
	for _, bc := range []struct{ name, url string }{
		{"native", native.URL + "/hello"},
		{"hello-wat", gwSrv.URL + "/hello"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			b.SetParallelism(4)
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Get(bc.url)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}

// newGatewayFromExamples serves the three examples with their manifests'
// routes, and the C hello of bench/compare at /hello-c.
func newGatewayFromExamples(b *testing.B) (*httptest.Server, *wisp.Node) {
	return newGatewayWithModules(b, wisp.Limits{Memory: 128 << 20, MaxConcurrency: 256},
		"hello=../examples/hello/hello.wasm:/hello",
		"hello-c=../bench/guests/hello-c/hello.wasm:/hello-c",
		"echo=../examples/echo/echo.wasm:/echo/...",
		"json=../examples/json/json.wasm:/json/...")
}
