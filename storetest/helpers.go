package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/wisphq/wisp"
)

// digestOf computes the digest a store must report for content, without
// going through the store.
func digestOf(content []byte) string {
	sum := sha256.Sum256(content)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// randomBytes returns n deterministic pseudo-random bytes; seed picks the
// sequence, so different seeds give different blobs.
func randomBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	rng := rand.NewChaCha8([32]byte{seed})
	_, _ = rng.Read(b) // never fails
	return b
}

// putBytes stores content with no effective limit and checks the returned
// info against an independently computed digest.
func putBytes(t *testing.T, s wisp.Store, content []byte) wisp.BlobInfo {
	t.Helper()
	info, err := s.PutBlob(t.Context(), bytes.NewReader(content), math.MaxInt64)
	if err != nil {
		t.Fatalf("PutBlob(%d bytes): %v", len(content), err)
	}
	want := wisp.BlobInfo{Digest: digestOf(content), Size: int64(len(content))}
	if info != want {
		t.Fatalf("PutBlob(%d bytes) = %+v, want %+v", len(content), info, want)
	}
	return info
}

// readBlob returns the whole content of the blob.
func readBlob(t *testing.T, s wisp.Store, digest string) []byte {
	t.Helper()
	rc, err := s.OpenBlob(t.Context(), digest)
	if err != nil {
		t.Fatalf("OpenBlob(%s): %v", digest, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading blob %s: %v", digest, err)
	}
	return b
}

// checkBlob asserts that the store holds exactly content, through both
// StatBlob and OpenBlob.
func checkBlob(t *testing.T, s wisp.Store, content []byte) {
	t.Helper()
	d := digestOf(content)
	info, err := s.StatBlob(t.Context(), d)
	if err != nil {
		t.Fatalf("StatBlob(%s): %v", d, err)
	}
	if want := (wisp.BlobInfo{Digest: d, Size: int64(len(content))}); info != want {
		t.Fatalf("StatBlob(%s) = %+v, want %+v", d, info, want)
	}
	if got := readBlob(t, s, d); !bytes.Equal(got, content) {
		t.Fatalf("OpenBlob(%s) read %d bytes that differ from the %d stored", d, len(got), len(content))
	}
}

// checkNoBlob asserts that neither StatBlob nor OpenBlob finds digest.
func checkNoBlob(t *testing.T, s wisp.Store, digest string) {
	t.Helper()
	if info, err := s.StatBlob(t.Context(), digest); !errors.Is(err, wisp.ErrNotFound) {
		t.Errorf("StatBlob(%s) = %+v, %v; want an error wrapping ErrNotFound", digest, info, err)
	}
	rc, err := s.OpenBlob(t.Context(), digest)
	if err == nil {
		rc.Close()
	}
	if !errors.Is(err, wisp.ErrNotFound) {
		t.Errorf("OpenBlob(%s) error = %v; want an error wrapping ErrNotFound", digest, err)
	}
}

// wantErr fails t unless err wraps target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error = %v; want an error wrapping %q", what, err, target)
	}
}

// failingReader yields content and then fails with err.
type failingReader struct {
	content []byte
	err     error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.content) == 0 {
		return 0, r.err
	}
	n := copy(p, r.content)
	r.content = r.content[n:]
	return n, nil
}

// testTime is a fixed instant with nanoseconds, to check that times keep
// their full precision.
var testTime = time.Date(2025, time.March, 14, 15, 9, 26, 535897932, time.UTC)

// newApp returns a fully populated record with two versions: the first
// sets every optional field, the second leaves them nil. seed varies the
// content so records made with different seeds differ.
func newApp(name string, seed int) wisp.App {
	module := digestOf([]byte{byte(seed), 'm'})
	return wisp.App{
		Name:    name,
		Current: 2,
		Versions: []wisp.Version{
			{
				Number: 1,
				Spec: wisp.AppSpec{
					Name:   name,
					Module: module,
					Routes: []wisp.Route{
						{Path: "/" + name},
						{Host: "shop.example.com", Path: "/api", Prefix: true},
					},
					Env:    map[string]string{"GREETING": "hello", "EMPTY": "", "UNICODE": "héllo ✓"},
					Files:  []wisp.FileMount{{Mount: "/static", Bundle: digestOf([]byte{byte(seed), 'b'})}},
					Limits: wisp.Limits{Memory: 64 << 20, Timeout: wisp.Duration(1500 * time.Millisecond), MaxBody: 1 << 20, MaxResponse: 2 << 20, MaxConcurrency: 3 + seed},
				},
				CreatedAt: testTime,
			},
			{
				Number: 2,
				Spec: wisp.AppSpec{
					Name:   name,
					Module: module,
					Routes: []wisp.Route{{Path: "/", Prefix: true}},
					Limits: wisp.DefaultLimits,
				},
				CreatedAt: testTime.Add(time.Hour + time.Nanosecond),
			},
		},
	}
}
