package storetest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/storetest"
)

// TestSuiteAgainstMemoryStore runs the suite against the simplest correct
// store, so a failure here is a bug in the suite rather than in a store.
func TestSuiteAgainstMemoryStore(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) wisp.Store { return &memStore{state: newMemState()} },
		Reopen: func(t *testing.T, s wisp.Store) wisp.Store {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return &memStore{state: s.(*memStore).state}
		},
	})
}

// memState is what a memStore "persists": it outlives the handles opened
// on it, as a directory outlives processes.
type memState struct {
	mu       sync.Mutex
	blobs    map[string][]byte
	apps     map[string][]byte // JSON, so records share no memory
	revision uint64
}

func newMemState() *memState {
	return &memState{blobs: map[string][]byte{}, apps: map[string][]byte{}}
}

// memStore is a minimal in-memory wisp.Store.
type memStore struct{ state *memState }

func (m *memStore) PutBlob(ctx context.Context, r io.Reader, limit int64) (wisp.BlobInfo, error) {
	read := limit
	if read < math.MaxInt64 {
		read++
	}
	b, err := io.ReadAll(io.LimitReader(r, read))
	if err != nil {
		return wisp.BlobInfo{}, fmt.Errorf("put blob: %w", err)
	}
	if int64(len(b)) > limit {
		return wisp.BlobInfo{}, fmt.Errorf("put blob: over %d bytes: %w", limit, wisp.ErrTooLarge)
	}
	sum := sha256.Sum256(b)
	d := "sha256:" + hex.EncodeToString(sum[:])
	m.state.mu.Lock()
	defer m.state.mu.Unlock()
	m.state.blobs[d] = b
	return wisp.BlobInfo{Digest: d, Size: int64(len(b))}, nil
}

func (m *memStore) blob(digest string) ([]byte, error) {
	if err := wisp.ValidateDigest(digest); err != nil {
		return nil, err
	}
	m.state.mu.Lock()
	defer m.state.mu.Unlock()
	b, ok := m.state.blobs[digest]
	if !ok {
		return nil, fmt.Errorf("blob %s: %w", digest, wisp.ErrNotFound)
	}
	return b, nil
}

func (m *memStore) OpenBlob(ctx context.Context, digest string) (io.ReadCloser, error) {
	b, err := m.blob(digest)
	return io.NopCloser(bytes.NewReader(b)), err
}

func (m *memStore) StatBlob(ctx context.Context, digest string) (wisp.BlobInfo, error) {
	b, err := m.blob(digest)
	if err != nil {
		return wisp.BlobInfo{}, err
	}
	return wisp.BlobInfo{Digest: digest, Size: int64(len(b))}, nil
}

func (m *memStore) GetApp(ctx context.Context, name string) (wisp.App, error) {
	m.state.mu.Lock()
	defer m.state.mu.Unlock()
	return m.get(name)
}

func (m *memStore) get(name string) (wisp.App, error) {
	var app wisp.App
	data, ok := m.state.apps[name]
	if !ok {
		return app, fmt.Errorf("app %q: %w", name, wisp.ErrNotFound)
	}
	err := json.Unmarshal(data, &app)
	return app, err
}

func (m *memStore) ListApps(ctx context.Context) ([]wisp.App, error) {
	m.state.mu.Lock()
	defer m.state.mu.Unlock()
	var apps []wisp.App
	for name := range m.state.apps {
		app, err := m.get(name)
		if err != nil {
			return nil, err
		}
		apps = append(apps, app)
	}
	slices.SortFunc(apps, func(a, b wisp.App) int { return strings.Compare(a.Name, b.Name) })
	return apps, nil
}

func (m *memStore) PutApp(ctx context.Context, app wisp.App) (wisp.App, error) {
	m.state.mu.Lock()
	defer m.state.mu.Unlock()
	current, _ := m.get(app.Name) // Revision 0 when absent
	if current.Revision != app.Revision {
		return wisp.App{}, fmt.Errorf("app %q is at revision %d, not %d: %w", app.Name, current.Revision, app.Revision, wisp.ErrConflict)
	}
	m.state.revision++
	app.Revision = m.state.revision
	data, err := json.Marshal(app)
	if err != nil {
		return wisp.App{}, err
	}
	m.state.apps[app.Name] = data
	return app, nil
}

func (m *memStore) DeleteApp(ctx context.Context, name string, revision uint64) error {
	m.state.mu.Lock()
	defer m.state.mu.Unlock()
	current, err := m.get(name)
	if err != nil {
		return err
	}
	if current.Revision != revision {
		return fmt.Errorf("app %q is at revision %d, not %d: %w", name, current.Revision, revision, wisp.ErrConflict)
	}
	delete(m.state.apps, name)
	return nil
}

func (m *memStore) Close() error { return nil }
