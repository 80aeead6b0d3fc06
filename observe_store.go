package wisp

import (
	"context"
	"io"
	"time"
)

// observedStore is a Store whose calls are reported to an Observer
// (Observer.StoreCall): the node wraps Config.Store in one when it has an
// Observer, so every store latency is measured without the stores
// knowing.
type observedStore struct {
	Store
	obs Observer
}

func (s observedStore) PutBlob(ctx context.Context, r io.Reader, limit int64) (BlobInfo, error) {
	start := time.Now()
	b, err := s.Store.PutBlob(ctx, r, limit)
	s.obs.StoreCall("PutBlob", time.Since(start), err)
	return b, err
}

func (s observedStore) OpenBlob(ctx context.Context, digest string) (io.ReadCloser, error) {
	start := time.Now()
	rc, err := s.Store.OpenBlob(ctx, digest)
	s.obs.StoreCall("OpenBlob", time.Since(start), err)
	return rc, err
}

func (s observedStore) StatBlob(ctx context.Context, digest string) (BlobInfo, error) {
	start := time.Now()
	b, err := s.Store.StatBlob(ctx, digest)
	s.obs.StoreCall("StatBlob", time.Since(start), err)
	return b, err
}

func (s observedStore) GetApp(ctx context.Context, name string) (App, error) {
	start := time.Now()
	a, err := s.Store.GetApp(ctx, name)
	s.obs.StoreCall("GetApp", time.Since(start), err)
	return a, err
}

func (s observedStore) ListApps(ctx context.Context) ([]App, error) {
	start := time.Now()
	apps, err := s.Store.ListApps(ctx)
	s.obs.StoreCall("ListApps", time.Since(start), err)
	return apps, err
}

func (s observedStore) PutApp(ctx context.Context, app App) (App, error) {
	start := time.Now()
	a, err := s.Store.PutApp(ctx, app)
	s.obs.StoreCall("PutApp", time.Since(start), err)
	return a, err
}

func (s observedStore) DeleteApp(ctx context.Context, name string, revision uint64) error {
	start := time.Now()
	err := s.Store.DeleteApp(ctx, name, revision)
	s.obs.StoreCall("DeleteApp", time.Since(start), err)
	return err
}
