package gateway_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/memstore"
	"github.com/wisphq/wisp/telemetry"
)

// TestObservedBodyBytes checks that the request body's bytes reach the
// Observer whether the request is traced (the gateway counts them through
// a copy of the request) or not (it counts them where it limits them).
func TestObservedBodyBytes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		trace bool
	}{
		{"Untraced", false},
		{"Traced", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			cfg := telemetry.Config{Registry: reg}
			if tc.trace {
				tp := sdktrace.NewTracerProvider()
				t.Cleanup(func() { tp.Shutdown(t.Context()) })
				cfg.Tracer = tp
			}
			o, err := telemetry.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			node, err := wisp.New(wisp.Config{Store: memstore.New(), Observer: o})
			if err != nil {
				t.Fatal(err)
			}
			srv := serveApps(t, node, wisp.Limits{Memory: 64 << 20}, "echo=../examples/echo/echo.wasm:/echo/...")
			body := strings.Repeat("x", 1234)
			for range 2 {
				w := httptest.NewRecorder()
				srv.Config.Handler.ServeHTTP(w, httptest.NewRequest("POST", "/echo/a", strings.NewReader(body)))
				if w.Code != 200 || !strings.Contains(w.Body.String(), body) {
					t.Fatalf("POST /echo/a = %d %.80q", w.Code, w.Body)
				}
			}
			want := `
# HELP wisp_app_request_body_bytes_total Bytes of request bodies read for the app.
# TYPE wisp_app_request_body_bytes_total counter
wisp_app_request_body_bytes_total{app="echo",version="1"} 2468
`
			if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "wisp_app_request_body_bytes_total"); err != nil {
				t.Fatal(err)
			}
		})
	}
}
