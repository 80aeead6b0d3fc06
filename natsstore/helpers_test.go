package natsstore_test

import (
	"testing"

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
