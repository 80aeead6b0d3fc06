// Package memstore is a wisp.Store that keeps everything in memory. It suits
// embedding Wisp where apps are deployed by the host program at start-up
// (plugins, rules engines) and tests; nothing survives the process.
package memstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"

	"github.com/wisphq/wisp"
)

// Store is an in-memory wisp.Store. The zero value is not usable; call New.
// Safe for concurrent use.
type Store struct {
	mu    sync.Mutex
	blobs map[string][]byte
	apps  map[string][]byte // JSON, so callers never share slices or maps with the store
	revs  map[string]uint64
	rev   uint64
}

var _ wisp.Store = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{blobs: map[string][]byte{}, apps: map[string][]byte{}, revs: map[string]uint64{}}
}

// PutBlob implements wisp.Store.
func (s *Store) PutBlob(ctx context.Context, r io.Reader, limit int64) (wisp.BlobInfo, error) {
	if limit < 0 {
		return wisp.BlobInfo{}, fmt.Errorf("blob limit %d is negative: %w", limit, wisp.ErrInvalid)
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, min(limit, math.MaxInt64-1)+1))
	if err != nil {
		return wisp.BlobInfo{}, fmt.Errorf("read blob: %w", err)
	}
	if n > limit {
		return wisp.BlobInfo{}, fmt.Errorf("blob is larger than %d bytes: %w", limit, wisp.ErrTooLarge)
	}
	sum := sha256.Sum256(buf.Bytes())
	info := wisp.BlobInfo{Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: n}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.blobs[info.Digest]; !ok {
		s.blobs[info.Digest] = buf.Bytes()
	}
	return info, nil
}

// OpenBlob implements wisp.Store.
func (s *Store) OpenBlob(ctx context.Context, digest string) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.blobs[digest]
	if !ok {
		return nil, fmt.Errorf("blob %s: %w", digest, wisp.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// StatBlob implements wisp.Store.
func (s *Store) StatBlob(ctx context.Context, digest string) (wisp.BlobInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.blobs[digest]
	if !ok {
		return wisp.BlobInfo{}, fmt.Errorf("blob %s: %w", digest, wisp.ErrNotFound)
	}
	return wisp.BlobInfo{Digest: digest, Size: int64(len(b))}, nil
}

// GetApp implements wisp.Store.
func (s *Store) GetApp(ctx context.Context, name string) (wisp.App, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.get(name)
}

func (s *Store) get(name string) (wisp.App, error) {
	data, ok := s.apps[name]
	if !ok {
		return wisp.App{}, fmt.Errorf("app %q: %w", name, wisp.ErrNotFound)
	}
	var a wisp.App
	if err := json.Unmarshal(data, &a); err != nil {
		return wisp.App{}, fmt.Errorf("app %q: %w", name, err)
	}
	a.Revision = s.revs[name]
	return a, nil
}

// ListApps implements wisp.Store.
func (s *Store) ListApps(ctx context.Context) ([]wisp.App, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.apps))
	for n := range s.apps {
		names = append(names, n)
	}
	sort.Strings(names)
	apps := make([]wisp.App, 0, len(names))
	for _, n := range names {
		a, err := s.get(n)
		if err != nil {
			return nil, err
		}
		apps = append(apps, a)
	}
	return apps, nil
}

// PutApp implements wisp.Store.
func (s *Store) PutApp(ctx context.Context, app wisp.App) (wisp.App, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.revs[app.Name]; cur != app.Revision {
		return wisp.App{}, fmt.Errorf("app %q: stored revision is %d, not %d: %w", app.Name, cur, app.Revision, wisp.ErrConflict)
	}
	data, err := json.Marshal(app)
	if err != nil {
		return wisp.App{}, fmt.Errorf("app %q: %w", app.Name, err)
	}
	s.rev++
	s.apps[app.Name], s.revs[app.Name] = data, s.rev
	app.Revision = s.rev
	return app, nil
}

// DeleteApp implements wisp.Store.
func (s *Store) DeleteApp(ctx context.Context, name string, revision uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.revs[name]
	if !ok {
		return fmt.Errorf("app %q: %w", name, wisp.ErrNotFound)
	}
	if cur != revision {
		return fmt.Errorf("app %q: stored revision is %d, not %d: %w", name, cur, revision, wisp.ErrConflict)
	}
	delete(s.apps, name)
	delete(s.revs, name)
	return nil
}

// Close implements wisp.Store. The contents are kept until the Store is
// garbage collected.
func (s *Store) Close() error { return nil }
