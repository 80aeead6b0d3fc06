package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
)

// BenchmarkInProcess is one request through the gateway's handler in
// process (the bench's in-process measurement, without the JavaScript
// component, which needs jco to build): the WAT and C hellos as core
// modules and as components wrapped by jco's preview 1 adapter.
func BenchmarkInProcess(b *testing.B) {
	ctx := context.Background()
	root := filepath.Join("..", "..")
	apps := []app{
		{"wat-module", filepath.Join(root, "testdata/wasm/counter.wasm")},
		{"wat-component", filepath.Join(root, "testdata/components/counter.wasm")},
		{"c-module", filepath.Join(root, "testdata/wasm/printenv.wasm")},
		{"c-component", filepath.Join(root, "testdata/components/printenv.wasm")},
	}
	h, closeNode, err := serveInProcess(ctx, b.TempDir(), apps)
	if err != nil {
		b.Fatal(err)
	}
	defer closeNode()
	for _, a := range apps {
		b.Run(a.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", "/"+a.name, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("GET /%s answered %d %q", a.name, rec.Code, rec.Body.String())
				}
			}
		})
	}
}
