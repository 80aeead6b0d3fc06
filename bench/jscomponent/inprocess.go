package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/boltstore"
	"github.com/wisphq/wisp/gateway"
	"github.com/wisphq/wisp/internal/secretbox"
)

// inProc is one app measured through the gateway handler in process.
type inProc struct {
	name     string
	p50, p99 time.Duration // one request at a time
	rps16    float64       // 16 goroutines
}

// apps are deployed in process: name, module file, the path it answers.
type app struct{ name, module string }

// measureInProcess deploys each app on a node of its own data directory and
// measures requests through the gateway's handler with an httptest
// recorder: the node's cost, without the network.
func measureInProcess(ctx context.Context, dir string, apps []app, d time.Duration) ([]inProc, error) {
	h, closeNode, err := serveInProcess(ctx, dir, apps)
	if err != nil {
		return nil, err
	}
	defer closeNode()
	var out []inProc
	for _, a := range apps {
		one := func() error {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/"+a.name, nil))
			if rec.Code != http.StatusOK {
				return fmt.Errorf("GET /%s answered %d %q", a.name, rec.Code, rec.Body.String())
			}
			return nil
		}
		for range 20 { // warm up
			if err := one(); err != nil {
				return nil, err
			}
		}
		var lat []time.Duration
		for end := time.Now().Add(d); time.Now().Before(end); {
			start := time.Now()
			if err := one(); err != nil {
				return nil, err
			}
			lat = append(lat, time.Since(start))
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		r := inProc{name: a.name, p50: lat[len(lat)/2], p99: lat[len(lat)*99/100]}
		var done atomic.Int64
		var firstErr error
		var once sync.Once
		var wg sync.WaitGroup
		end := time.Now().Add(d)
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(end) {
					if err := one(); err != nil {
						once.Do(func() { firstErr = err })
						return
					}
					done.Add(1)
				}
			}()
		}
		wg.Wait()
		if firstErr != nil {
			return nil, firstErr
		}
		r.rps16 = float64(done.Load()) / d.Seconds()
		out = append(out, r)
	}
	return out, nil
}

// serveInProcess deploys each app on a node of its own data directory
// under dir and returns the gateway's handler for them, and a function
// that closes the node and its store.
func serveInProcess(ctx context.Context, dir string, apps []app) (http.Handler, func(), error) {
	store, err := boltstore.Open(filepath.Join(dir, "inprocess-data"))
	if err != nil {
		return nil, nil, err
	}
	ok := false
	defer func() {
		if !ok {
			store.Close()
		}
	}()
	key, err := secretbox.GenerateKey()
	if err != nil {
		return nil, nil, err
	}
	sealer, err := secretbox.New(key)
	if err != nil {
		return nil, nil, err
	}
	node, err := wisp.New(wisp.Config{Store: store, KV: store.KV(), Sealer: sealer})
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if !ok {
			node.Close(ctx)
		}
	}()
	if err := node.Load(ctx); err != nil {
		return nil, nil, err
	}
	for _, a := range apps {
		wasm, err := os.ReadFile(a.module)
		if err != nil {
			return nil, nil, err
		}
		info, err := node.PutBlob(ctx, bytes.NewReader(wasm))
		if err != nil {
			return nil, nil, err
		}
		route, err := wisp.ParseRoute("/" + a.name)
		if err != nil {
			return nil, nil, err
		}
		if _, err := node.Deploy(ctx, wisp.AppSpec{Name: a.name, Module: info.Digest, Routes: []wisp.Route{route}}); err != nil {
			return nil, nil, fmt.Errorf("deploy %s: %w", a.name, err)
		}
	}
	ok = true
	return gateway.New(node, nil), func() { node.Close(ctx); store.Close() }, nil
}
