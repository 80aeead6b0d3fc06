package oci_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/oci"
)

// fakeRegistry serves one manifest, of a single Wasm layer that declares
// layerSize bytes, under the tag "1", and answers every blob request with
// blobSize zero bytes sent chunked (no Content-Length, so only the
// client's own limit stops the read). It counts blob requests.
type fakeRegistry struct {
	host      string
	blobGets  atomic.Int64
	layerSize int64
}

func startFakeRegistry(t *testing.T, layerSize, blobSize int64) *fakeRegistry {
	t.Helper()
	reg := &fakeRegistry{layerSize: layerSize}
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     oci.ManifestMediaType,
		"config":        map[string]any{"mediaType": oci.ConfigMediaType, "digest": sha([]byte("{}")), "size": 2},
		"layers": []map[string]any{{
			"mediaType": oci.LayerMediaType, "digest": "sha256:" + strings.Repeat("ab", 32), "size": layerSize,
		}},
	})
	mux := http.NewServeMux()
	mux.HandleFunc("/v2/", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/manifests/1"):
			w.Header().Set("Content-Type", oci.ManifestMediaType)
			w.Header().Set("Docker-Content-Digest", sha(manifest))
			w.Header().Set("Content-Length", strconv.Itoa(len(manifest)))
			w.Write(manifest)
		case strings.Contains(r.URL.Path, "/blobs/"):
			reg.blobGets.Add(1)
			chunk := make([]byte, 32<<10)
			for left := blobSize; left > 0; left -= int64(len(chunk)) {
				if _, err := w.Write(chunk[:min(left, int64(len(chunk)))]); err != nil {
					return // the client stopped reading
				}
			}
		default:
			w.WriteHeader(http.StatusOK) // the /v2/ ping
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	reg.host = strings.TrimPrefix(srv.URL, "http://")
	return reg
}

// A module over MaxModuleSize is refused from its manifest, before a byte
// of it is downloaded; Download refuses it too when handed such an
// artifact directly.
func TestPullRefusesAModuleOverTheLimitUnread(t *testing.T) {
	const limit = 1 << 20
	reg := startFakeRegistry(t, 4*limit, 4*limit)
	c := newClient(t, oci.Options{MaxModuleSize: limit})
	ref := mustParse(t, reg.host+"/big:1")
	const want = "/big:1 is 4.0MiB, over the module size limit of 1MiB (a node's default --max-module-size); nothing was downloaded"

	_, err := c.Resolve(t.Context(), ref)
	if !errors.Is(err, wisp.ErrTooLarge) || err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("Resolve = %v; want wisp.ErrTooLarge ending %q", err, want)
	}
	out := filepath.Join(t.TempDir(), "out.wasm")
	a := oci.Artifact{Ref: ref, Module: oci.Layer{MediaType: oci.LayerMediaType, Digest: "sha256:" + strings.Repeat("ab", 32), Size: 4 * limit}}
	err = c.Download(t.Context(), a, out)
	if !errors.Is(err, wisp.ErrTooLarge) || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("Download = %v; want wisp.ErrTooLarge ending %q", err, want)
	}
	if n := reg.blobGets.Load(); n != 0 {
		t.Errorf("the module was requested %d times; want none", n)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Download left %s behind: %v", out, err)
	}
}

// A registry that sends more than the layer declares is cut off one byte
// past the declared size: the pull fails as tampered content and keeps
// nothing, however much the registry would send.
func TestPullStopsAtTheDeclaredSize(t *testing.T) {
	reg := startFakeRegistry(t, 1024, 64<<20)
	c := newClient(t, oci.Options{MaxModuleSize: 1 << 20})
	dir := t.TempDir()
	_, err := c.Pull(t.Context(), mustParse(t, reg.host+"/big:1"), filepath.Join(dir, "out.wasm"))
	if !errors.Is(err, oci.ErrDigestMismatch) {
		t.Fatalf("Pull = %v; want oci.ErrDigestMismatch", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the pull left files behind: %v", entries)
	}
}
