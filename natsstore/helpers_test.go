package natsstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wisphq/wisp/natsstore"
)

// open opens fleet's store on nc, with a blob cache unless uncached.
func open(t *testing.T, nc *nats.Conn, fleet string, uncached ...bool) *natsstore.Store {
	t.Helper()
	cfg := natsstore.Config{Fleet: fleet, CacheDir: t.TempDir()}
	if len(uncached) > 0 && uncached[0] {
		cfg.CacheDir = ""
	}
	s, err := natsstore.Open(t.Context(), nc, cfg)
	if err != nil {
		t.Fatalf("natsstore.Open: %v", err)
	}
	return s
}

// storeCall is one call on a store, named for messages.
type storeCall struct {
	name string
	call func(context.Context) error
}

// outcome is what a storeCall returned and how long it took.
type outcome struct {
	err  error
	took time.Duration
}

// callAll runs every call at once and returns their outcomes, in order.
func callAll(ctx context.Context, calls []storeCall) []outcome {
	outcomes := make([]outcome, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Go(func() {
			start := time.Now()
			err := c.call(ctx)
			outcomes[i] = outcome{err, time.Since(start)}
		})
	}
	wg.Wait()
	return outcomes
}
