package wisp_test

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/memstore"
)

// slowModuleStore is a Store whose module reads take a while, as a long
// compile does: a deploy reads and compiles its module before storing
// the version. It writes down when the last read ended.
type slowModuleStore struct {
	wisp.Store
	mu       sync.Mutex
	slow     bool
	lastRead time.Time
}

func (s *slowModuleStore) OpenBlob(ctx context.Context, digest string) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.slow {
		time.Sleep(50 * time.Millisecond)
	}
	rc, err := s.Store.OpenBlob(ctx, digest)
	s.lastRead = time.Now()
	return rc, err
}

// TestDeployTimeIsCommitTime checks that a version's CreatedAt (what `wisp
// apps` and `wisp app` show as deployed) is when the deploy stored it,
// after the module was read and compiled, not when the deploy began: a
// JavaScript component compiles for seconds. A rollback keeps the time.
func TestDeployTimeIsCommitTime(t *testing.T) {
	store := &slowModuleStore{Store: memstore.New()}
	n, err := wisp.New(wisp.Config{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := n.Load(ctx); err != nil {
		t.Fatal(err)
	}
	defer n.Close(ctx)
	deploy := func(file string) wisp.Version {
		t.Helper()
		mod := uploadFile(t, n, file)
		store.mu.Lock()
		store.slow = true
		store.mu.Unlock()
		defer func() { store.mu.Lock(); store.slow = false; store.mu.Unlock() }()
		res, err := n.Deploy(ctx, wisp.AppSpec{Name: "timed", Module: mod, Routes: routes(t, "/timed")})
		if err != nil {
			t.Fatal(err)
		}
		v, _ := res.App.Version(res.Version)
		store.mu.Lock()
		read := store.lastRead.Truncate(time.Millisecond)
		store.mu.Unlock()
		if v.CreatedAt.Before(read) {
			t.Errorf("version %d created at %s, before its module was read at %s (and compiled after)", v.Number, v.CreatedAt.Format(time.RFC3339Nano), read.Format(time.RFC3339Nano))
		}
		got, err := n.App(ctx, "timed")
		if err != nil {
			t.Fatal(err)
		}
		if stored, _ := got.Version(v.Number); !stored.CreatedAt.Equal(v.CreatedAt) {
			t.Errorf("version %d stored as created at %s, returned as %s", v.Number, stored.CreatedAt, v.CreatedAt)
		}
		return v
	}
	v1 := deploy("testdata/wasm/version1.wasm")
	deploy("testdata/wasm/version2.wasm")
	app, err := n.Rollback(ctx, "timed", 1)
	if err != nil {
		t.Fatal(err)
	}
	if back, _ := app.Version(1); !back.CreatedAt.Equal(v1.CreatedAt) {
		t.Errorf("rolled back to version 1: created at %s, was %s", back.CreatedAt, v1.CreatedAt)
	}
}
