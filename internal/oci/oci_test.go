package oci_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/oci"
	"github.com/wisphq/wisp/internal/oci/ocitest"
)

// writeModule writes a fake core module of size bytes (the header, then
// random bytes: the package does not look further) and returns its path
// and content.
func writeModule(t *testing.T, dir, name string, size int) (string, []byte) {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	copy(data, "\x00asm\x01\x00\x00\x00")
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, data
}

func sha(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func mustParse(t *testing.T, s string) oci.Reference {
	t.Helper()
	ref, err := oci.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// newClient returns a client that reads no docker config of the machine.
func newClient(t *testing.T, opts oci.Options) *oci.Client {
	if opts.DockerConfig == "" {
		opts.DockerConfig = filepath.Join(t.TempDir(), "no-docker-config.json")
	}
	return oci.New(opts)
}

func TestPushPullRoundTrip(t *testing.T) {
	reg := ocitest.Start(t, ocitest.Options{})
	dir := t.TempDir()
	path, data := writeModule(t, dir, "hello.wasm", 4096)
	c := newClient(t, oci.Options{})
	ref := mustParse(t, reg.Host+"/acme/hello:1.0")

	pushed, err := c.Push(t.Context(), ref, path)
	if err != nil {
		t.Fatal(err)
	}
	want := oci.Layer{MediaType: oci.LayerMediaType, Digest: sha(data), Size: int64(len(data))}
	if pushed.Module != want || pushed.ModuleExisted {
		t.Errorf("Push = %+v; want module %+v, uploaded", pushed, want)
	}
	if pushed.Ref.Tag != "1.0" || wisp.ValidateDigest(pushed.Ref.Digest) != nil {
		t.Errorf("pushed reference %s lacks the tag or the manifest digest", pushed.Ref)
	}

	for name, pullRef := range map[string]oci.Reference{"by tag": ref, "by digest": ref.Pinned(pushed.Ref.Digest)} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.wasm")
			a, err := c.Pull(t.Context(), pullRef, out)
			if err != nil {
				t.Fatal(err)
			}
			if a.Module != want || a.Ref.Digest != pushed.Ref.Digest {
				t.Errorf("Pull = %+v; want module %+v in manifest %s", a, want, pushed.Ref.Digest)
			}
			if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
				t.Errorf("pulled %d bytes differing from the %d pushed", len(got), len(data))
			}
		})
	}

	again, err := c.Push(t.Context(), mustParse(t, reg.Host+"/acme/hello:latest"), path)
	if err != nil || !again.ModuleExisted {
		t.Errorf("second Push = %+v, %v; want the module found in the registry, not sent again", again, err)
	}
}

// TestPushedLayout reads what Push wrote with plain HTTP requests and
// checks it against the Wasm OCI artifact layout.
func TestPushedLayout(t *testing.T) {
	reg := ocitest.Start(t, ocitest.Options{})
	path, data := writeModule(t, t.TempDir(), "app.wasm", 100)
	before := time.Now().Add(-time.Second).UTC()
	if _, err := newClient(t, oci.Options{}).Push(t.Context(), mustParse(t, reg.Host+"/app:1"), path); err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
		Config        struct{ MediaType, Digest string }
		Layers        []struct {
			MediaType, Digest string
			Size              int64
			Annotations       map[string]string
		}
	}
	getJSON(t, "http://"+reg.Host+"/v2/app/manifests/1", oci.ManifestMediaType, &manifest)
	if manifest.SchemaVersion != 2 || manifest.MediaType != oci.ManifestMediaType || manifest.Config.MediaType != oci.ConfigMediaType {
		t.Errorf("manifest %+v: want schema 2, %s, config %s", manifest, oci.ManifestMediaType, oci.ConfigMediaType)
	}
	if len(manifest.Layers) != 1 {
		t.Fatalf("manifest has %d layers, want 1", len(manifest.Layers))
	}
	l := manifest.Layers[0]
	if l.MediaType != oci.LayerMediaType || l.Digest != sha(data) || l.Size != 100 || l.Annotations["org.opencontainers.image.title"] != "app.wasm" {
		t.Errorf("layer %+v: want %s %s of 100 bytes titled app.wasm", l, oci.LayerMediaType, sha(data))
	}
	var config struct {
		Created      time.Time `json:"created"`
		Architecture string    `json:"architecture"`
		OS           string    `json:"os"`
		LayerDigests []string  `json:"layerDigests"`
	}
	getJSON(t, "http://"+reg.Host+"/v2/app/blobs/"+manifest.Config.Digest, "", &config)
	if config.Architecture != "wasm" || config.OS != "wasip1" || len(config.LayerDigests) != 1 || config.LayerDigests[0] != sha(data) || config.Created.Before(before) {
		t.Errorf("config %+v: want architecture wasm, os wasip1, layerDigests [%s], created now", config, sha(data))
	}
}

func getJSON(t *testing.T, url, accept string, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func TestPullRefusesTamperedBlob(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func([]byte) []byte
	}{
		{"same size, bytes changed", func(b []byte) []byte { b = bytes.Clone(b); b[len(b)-1] ^= 0xff; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }},
		{"longer", func(b []byte) []byte { return append(bytes.Clone(b), "more"...) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := ocitest.Start(t, ocitest.Options{})
			path, data := writeModule(t, t.TempDir(), "hello.wasm", 2048)
			c := newClient(t, oci.Options{})
			ref := mustParse(t, reg.Host+"/hello:1")
			if _, err := c.Push(t.Context(), ref, path); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(reg.BlobPath(sha(data)), tc.tamper(data), 0o644); err != nil {
				t.Fatal(err)
			}

			dir := t.TempDir()
			out := filepath.Join(dir, "out.wasm")
			os.WriteFile(out, []byte("what was there"), 0o644)
			_, err := c.Pull(t.Context(), ref, out)
			want := "blob " + sha(data) + " from " + reg.Host + "/hello does not match its digest: the registry returned tampered or corrupt content"
			if err == nil || err.Error() != want || !errors.Is(err, oci.ErrDigestMismatch) {
				t.Fatalf("Pull of a tampered blob = %v; want %q matching ErrDigestMismatch", err, want)
			}
			if got, _ := os.ReadFile(out); string(got) != "what was there" {
				t.Errorf("the destination was changed to %d bytes", len(got))
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("the pull left files behind: %v", entries)
			}
		})
	}
}

func TestResolveNotFound(t *testing.T) {
	reg := ocitest.Start(t, ocitest.Options{})
	ref := mustParse(t, reg.Host+"/nothing:here")
	_, err := newClient(t, oci.Options{}).Resolve(t.Context(), ref)
	if !errors.Is(err, wisp.ErrNotFound) || !strings.Contains(err.Error(), ref.String()+" not found in the registry") {
		t.Errorf("Resolve of a missing tag = %v; want wisp.ErrNotFound saying so", err)
	}
}

func TestPushRefusesWhatIsNotACoreModule(t *testing.T) {
	dir := t.TempDir()
	c := newClient(t, oci.Options{MaxModuleSize: 64})
	ref := mustParse(t, "localhost:1/x:1") // never reached
	for _, tc := range []struct {
		name, content, want string
		is                  error
	}{
		{"text", "(module)", "is not a WebAssembly module", wisp.ErrInvalid},
		{"component", "\x00asm\x0d\x00\x01\x00", "is a WebAssembly component", wisp.ErrInvalid},
		{"too large", "\x00asm\x01\x00\x00\x00" + strings.Repeat("x", 64), "larger than the module size limit of 64B", wisp.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".wasm")
			os.WriteFile(path, []byte(tc.content), 0o644)
			_, err := c.Push(t.Context(), ref, path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.is) {
				t.Errorf("Push = %v; want an error containing %q matching %v", err, tc.want, tc.is)
			}
		})
	}
	for _, s := range []string{"localhost:1/x@" + hexDigest} {
		if _, err := c.Push(t.Context(), mustParse(t, s), filepath.Join(dir, "text.wasm")); err == nil || !strings.Contains(err.Error(), "push to a tag, not a digest") {
			t.Errorf("Push to %s = %v; want it refused", s, err)
		}
	}
}

func TestPullOfAMissingBlob(t *testing.T) {
	reg := ocitest.Start(t, ocitest.Options{})
	path, data := writeModule(t, t.TempDir(), "hello.wasm", 100)
	c := newClient(t, oci.Options{})
	ref := mustParse(t, reg.Host+"/hello:1")
	if _, err := c.Push(t.Context(), ref, path); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Dir(reg.BlobPath(sha(data)))); err != nil {
		t.Fatal(err)
	}
	_, err := c.Pull(t.Context(), ref, filepath.Join(t.TempDir(), "out.wasm"))
	want := "blob " + sha(data) + ", the module of " + reg.Host + "/hello:1@"
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "is missing from the registry, though its manifest names it: push the module again") || !errors.Is(err, wisp.ErrNotFound) {
		t.Errorf("Pull = %v; want %q... matching wisp.ErrNotFound", err, want)
	}
}
