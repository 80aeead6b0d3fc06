package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"testing"
)

// BenchmarkInProcess is one request through the gateway's handler in
// process (the bench's in-process measurement, without the JavaScript
// component, which needs jco to build): the WAT and C hellos as core
// modules and as components wrapped by jco's preview 1 adapter, one
// request at a time and from 16 goroutines ("/16").
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
		get := func() error {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/"+a.name, nil))
			if rec.Code != http.StatusOK {
				return fmt.Errorf("GET /%s answered %d %q", a.name, rec.Code, rec.Body.String())
			}
			return nil
		}
		b.Run(a.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := get(); err != nil {
					b.Fatal(err)
				}
			}
		})
		// 16 goroutines, as the bench's req/s: ns/op is the inverse.
		b.Run(a.name+"/16", func(b *testing.B) {
			b.SetParallelism((16 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := get(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
