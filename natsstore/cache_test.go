package natsstore_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/natstest"
	"github.com/wisphq/wisp/natsstore"
)

func openCached(t *testing.T, nc *nats.Conn, fleet, cache string) *natsstore.Store {
	t.Helper()
	s, err := natsstore.Open(t.Context(), nc, natsstore.Config{Fleet: fleet, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBlobCache(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv.URL())
	content := []byte(strings.Repeat("wasm module bytes ", 1000))

	t.Run("CorruptCopyIsFetchedAgain", func(t *testing.T) {
		cache := t.TempDir()
		s := openCached(t, nc, "cache1", cache)
		info, err := s.PutBlob(t.Context(), bytes.NewReader(content), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(cache, strings.TrimPrefix(info.Digest, "sha256:"))
		if err := os.WriteFile(path, make([]byte, len(content)), 0o600); err != nil { // a torn write: zeros
			t.Fatalf("the upload was not cached at %s: %v", path, err)
		}
		rc, err := s.OpenBlob(t.Context(), info.Digest)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, content) {
			t.Fatalf("OpenBlob after the cached copy was corrupted read %d bytes (%v); want the original %d", len(got), err, len(content))
		}
	})

	t.Run("StatAsksTheFleetNotTheCache", func(t *testing.T) {
		cache := t.TempDir()
		a := openCached(t, nc, "cache2", cache)
		info, err := a.PutBlob(t.Context(), bytes.NewReader(content), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		// The same node directory, joined to another fleet that lacks it:
		// a deploy must upload it there rather than skip the upload.
		b := openCached(t, nc, "cache3", cache)
		if _, err := b.StatBlob(t.Context(), info.Digest); !errors.Is(err, wisp.ErrNotFound) {
			t.Fatalf("StatBlob in a fleet without the blob = %v; want ErrNotFound although this node has it cached", err)
		}
	})
}
