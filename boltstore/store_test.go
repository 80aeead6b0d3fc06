package boltstore_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/boltstore"
	"github.com/wisphq/wisp/storetest"
)

func TestConformance(t *testing.T) {
	dirs := map[wisp.Store]string{}
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) wisp.Store {
			dir := t.TempDir()
			s := mustOpen(t, dir)
			dirs[s] = dir
			return s
		},
		Reopen: func(t *testing.T, s wisp.Store) wisp.Store {
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			dir := dirs[s]
			delete(dirs, s)
			reopened := mustOpen(t, dir)
			dirs[reopened] = dir
			return reopened
		},
	})
}

// mustOpen opens a store in dir, failing t if it cannot. The caller
// closes it.
func mustOpen(t *testing.T, dir string, opts ...boltstore.Option) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(dir, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return s
}

// openT opens a store in dir that is closed when the test ends.
func openT(t *testing.T, dir string) *boltstore.Store {
	t.Helper()
	s := mustOpen(t, dir)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenLockedDirFails(t *testing.T) {
	dir := t.TempDir()
	first := mustOpen(t, dir)
	for _, tc := range []struct {
		name string
		opts []boltstore.Option
	}{
		{"ShortTimeout", []boltstore.Option{boltstore.WithLockTimeout(50 * time.Millisecond)}},
		{"NoWait", []boltstore.Option{boltstore.WithLockTimeout(0)}},
		// Waits DefaultLockTimeout; hangs (and the test times out) if the
		// default ever becomes "wait forever".
		{"DefaultTimeout", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			second, err := boltstore.Open(dir, tc.opts...)
			if err == nil {
				second.Close()
				t.Fatal("a second Open of a directory in use succeeded")
			}
			if !errors.Is(err, boltstore.ErrLocked) {
				t.Errorf("error %q does not wrap ErrLocked", err)
			}
			if want := "data directory " + dir + " is in use by another wisp process"; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		})
	}
	// The lock goes with the store.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, dir, boltstore.WithLockTimeout(0)).Close()
}

func TestOpenRemovesLeftoverUploads(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	kept := []byte("a blob that was stored")
	info := putBlob(t, s, kept)
	s.Close()

	// What a crash in the middle of uploads leaves behind.
	tmp := filepath.Join(dir, "blobs", "tmp")
	for _, name := range []string{"put-123", "put-456"} {
		if err := os.WriteFile(filepath.Join(tmp, name), []byte("half an upload"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(tmp, "stray-dir", "sub"), 0o700); err != nil {
		t.Fatal(err)
	}

	s = openT(t, dir)
	if left := listDir(t, tmp); len(left) != 0 {
		t.Errorf("blobs/tmp still holds %q after Open", left)
	}
	if got := readBlob(t, s, info.Digest); string(got) != string(kept) {
		t.Errorf("stored blob reads %q after Open, want %q", got, kept)
	}
}

func TestOpenRejectsBadDirectory(t *testing.T) {
	notADB := t.TempDir()
	if err := os.WriteFile(filepath.Join(notADB, "wisp.db"), []byte(strings.Repeat("not a bbolt file ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	aFile := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(aFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir, want string
	}{
		{"Empty", "", "data directory is empty"},
		{"NotADatabase", notADB, filepath.Join(notADB, "wisp.db")},
		{"FileNotDirectory", aFile, aFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := boltstore.Open(tc.dir, boltstore.WithLockTimeout(0))
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tc.dir)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open(%q) error %q does not mention %q", tc.dir, err, tc.want)
			}
		})
	}
}

func TestBlobLayout(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	content := []byte("hello")
	info := putBlob(t, s, content)
	const sum = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	if info.Digest != "sha256:"+sum {
		t.Fatalf("digest %s, want sha256:%s", info.Digest, sum)
	}
	got, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", "2c", sum))
	if err != nil || string(got) != "hello" {
		t.Fatalf("blob file: %q, %v; want %q", got, err, content)
	}
	if _, err := os.Stat(filepath.Join(dir, "wisp.db")); err != nil {
		t.Fatalf("database file: %v", err)
	}
	// OpenBlob hands out the file itself, so callers can stat or seek it.
	rc, err := s.OpenBlob(t.Context(), info.Digest)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, ok := rc.(*os.File); !ok {
		t.Errorf("OpenBlob returned a %T, want an *os.File", rc)
	}
}

func TestPutBlobLeavesNoTempFiles(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		r       string
		limit   int64
		wantErr error // nil: success
	}{
		{"Stored", t.Context(), "new content", 100, nil},
		{"AlreadyStored", t.Context(), "new content", 100, nil},
		{"TooLarge", t.Context(), "content over the limit", 5, wisp.ErrTooLarge},
		{"NegativeLimit", t.Context(), "x", -1, wisp.ErrInvalid},
		{"Cancelled", cancelled, "cancelled upload", 100, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.PutBlob(tc.ctx, strings.NewReader(tc.r), tc.limit)
			if tc.wantErr == nil && err != nil {
				t.Fatalf("PutBlob: %v", err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("PutBlob error = %v, want one wrapping %v", err, tc.wantErr)
			}
			if left := listDir(t, filepath.Join(dir, "blobs", "tmp")); len(left) != 0 {
				t.Fatalf("blobs/tmp holds %q after PutBlob", left)
			}
		})
	}
}

func TestClosedStoreFails(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	info := putBlob(t, s, []byte("x"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := t.Context()
	app := wisp.App{Name: "hello"}
	for name, call := range map[string]func() error{
		"PutBlob":   func() error { _, err := s.PutBlob(ctx, strings.NewReader("y"), 10); return err },
		"OpenBlob":  func() error { _, err := s.OpenBlob(ctx, info.Digest); return err },
		"StatBlob":  func() error { _, err := s.StatBlob(ctx, info.Digest); return err },
		"GetApp":    func() error { _, err := s.GetApp(ctx, "hello"); return err },
		"ListApps":  func() error { _, err := s.ListApps(ctx); return err },
		"PutApp":    func() error { _, err := s.PutApp(ctx, app); return err },
		"DeleteApp": func() error { return s.DeleteApp(ctx, "hello", 1) },
	} {
		if err := call(); err == nil || !strings.Contains(err.Error(), "store is closed") {
			t.Errorf("%s after Close: error = %v, want one saying the store is closed", name, err)
		}
	}
}

func TestPutAppRejectsInvalidName(t *testing.T) {
	s := openT(t, t.TempDir())
	for _, name := range []string{"", "Upper", "-dash", strings.Repeat("a", 64), "a/b"} {
		_, err := s.PutApp(t.Context(), wisp.App{Name: name})
		if !errors.Is(err, wisp.ErrInvalid) {
			t.Errorf("PutApp(name %q) error = %v, want one wrapping ErrInvalid", name, err)
		}
	}
}

// putBlob stores content with a generous limit.
func putBlob(t *testing.T, s *boltstore.Store, content []byte) wisp.BlobInfo {
	t.Helper()
	info, err := s.PutBlob(t.Context(), strings.NewReader(string(content)), 1<<30)
	if err != nil {
		t.Fatalf("PutBlob: %v", err)
	}
	return info
}

func readBlob(t *testing.T, s *boltstore.Store, digest string) []byte {
	t.Helper()
	rc, err := s.OpenBlob(t.Context(), digest)
	if err != nil {
		t.Fatalf("OpenBlob: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
