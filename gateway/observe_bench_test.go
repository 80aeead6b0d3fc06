package gateway_test

import (
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/memstore"
	"github.com/wisphq/wisp/telemetry"
)

// BenchmarkServeHTTPObserved is BenchmarkServeHTTP's hello-wat with no
// Observer, with metrics, and with metrics and every request traced (the
// spans recorded by the SDK, not exported): the in-process cost of
// observability per request, without a network's noise.
func BenchmarkServeHTTPObserved(b *testing.B) {
	for _, bc := range []struct {
		name  string
		obs   func() wisp.Observer
		trace bool
	}{
		{"off", func() wisp.Observer { return nil }, false},
		{"metrics", func() wisp.Observer {
			o, err := telemetry.New(telemetry.Config{Registry: prometheus.NewRegistry()})
			if err != nil {
				b.Fatal(err)
			}
			return o
		}, false},
		{"traces", func() wisp.Observer {
			tp := sdktrace.NewTracerProvider()
			b.Cleanup(func() { tp.Shutdown(b.Context()) })
			o, err := telemetry.New(telemetry.Config{Registry: prometheus.NewRegistry(), Tracer: tp})
			if err != nil {
				b.Fatal(err)
			}
			return o
		}, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			node, err := wisp.New(wisp.Config{Store: memstore.New(), Observer: bc.obs()})
			if err != nil {
				b.Fatal(err)
			}
			srv := serveApps(b, node, wisp.Limits{Memory: 128 << 20, MaxConcurrency: 256}, "hello=../examples/hello/hello.wasm:/hello")
			gw := srv.Config.Handler
			req := httptest.NewRequest("GET", "/hello", nil)
			req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
			b.ReportAllocs()
			b.Run("serial", func(b *testing.B) {
				for b.Loop() {
					w := httptest.NewRecorder()
					gw.ServeHTTP(w, req)
					if w.Code != 200 {
						b.Fatalf("status %d: %s", w.Code, w.Body)
					}
				}
			})
			// Every P at once: the metrics' shared counters are then
			// updated from several cores, as under load.
			b.Run("parallel", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						w := httptest.NewRecorder()
						gw.ServeHTTP(w, req)
						if w.Code != 200 {
							b.Errorf("status %d: %s", w.Code, w.Body)
							return
						}
					}
				})
			})
		})
	}
}
