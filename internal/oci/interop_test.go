package oci_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/wisphq/wisp/internal/oci"
	"github.com/wisphq/wisp/internal/oci/ocitest"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"
)

// otherTool pushes artifacts the way other OCI tools do, with oras-go's
// own packing (what the oras CLI runs) rather than this package's.
type otherTool struct {
	t    *testing.T
	repo *remote.Repository
}

func newOtherTool(t *testing.T, reg *ocitest.Registry, repository string) otherTool {
	repo, err := remote.NewRepository(reg.Host + "/" + repository)
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	return otherTool{t, repo}
}

// blob pushes data and returns its descriptor, titled as oras push does.
func (o otherTool) blob(mediaType string, data []byte, title string) ocispec.Descriptor {
	o.t.Helper()
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
	if err := o.repo.Push(context.Background(), desc, bytes.NewReader(data)); err != nil {
		o.t.Fatal(err)
	}
	if title != "" {
		desc.Annotations = map[string]string{ocispec.AnnotationTitle: title}
	}
	return desc
}

// pack packs and tags a manifest with oras.PackManifest.
func (o otherTool) pack(tag string, version oras.PackManifestVersion, artifactType string, config *ocispec.Descriptor, layers ...ocispec.Descriptor) {
	o.t.Helper()
	ctx := context.Background()
	desc, err := oras.PackManifest(ctx, o.repo, version, artifactType, oras.PackManifestOptions{Layers: layers, ConfigDescriptor: config})
	if err != nil {
		o.t.Fatal(err)
	}
	if err := o.repo.Tag(ctx, desc, tag); err != nil {
		o.t.Fatal(err)
	}
}

// manifest pushes a manifest written out in full, and tags it.
func (o otherTool) manifest(tag, mediaType string, v any) {
	o.t.Helper()
	data, _ := json.Marshal(v)
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
	if err := o.repo.PushReference(context.Background(), desc, bytes.NewReader(data), tag); err != nil {
		o.t.Fatal(err)
	}
}

func TestPullAcceptsOtherToolsLayouts(t *testing.T) {
	reg := ocitest.Start(t, ocitest.Options{})
	tool := newOtherTool(t, reg, "interop")
	_, module := writeModule(t, t.TempDir(), "m.wasm", 1000)
	layer := tool.blob(oci.LayerMediaType, module, "app.wasm")
	emptyConfig := tool.blob(oci.ConfigMediaType, []byte("{}"), "")
	specConfig := tool.blob(oci.ConfigMediaType, []byte(`{"created":"2025-01-01T00:00:00Z","architecture":"wasm","os":"wasip1","layerDigests":["`+layer.Digest.String()+`"]}`), "")
	wkgLayer := tool.blob(oci.LayerMediaTypeWasm, module, "")

	// oras push reg/interop:TAG app.wasm:application/vnd.wasm.content.layer.v1+wasm --config config.json:application/vnd.wasm.config.v0+json
	tool.pack("oras-config", oras.PackManifestVersion1_1, "", &emptyConfig, layer)
	// ... --artifact-type application/vnd.wasm.config.v0+json, without --config: the OCI empty config
	tool.pack("oras-artifact-type", oras.PackManifestVersion1_1, oci.ConfigMediaType, nil, layer)
	// ... neither: oras's unknown artifact type
	tool.pack("oras-bare", oras.PackManifestVersion1_1, "application/vnd.unknown.artifact.v1", nil, layer)
	// The CNCF guide's layout as wkg writes it: the spec's config, layer application/wasm.
	tool.pack("wkg", oras.PackManifestVersion1_0, "", &specConfig, wkgLayer)

	c := newClient(t, oci.Options{})
	for _, tag := range []string{"oras-config", "oras-artifact-type", "oras-bare", "wkg"} {
		t.Run(tag, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.wasm")
			a, err := c.Pull(t.Context(), mustParse(t, reg.Host+"/interop:"+tag), out)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(out); !bytes.Equal(got, module) || a.Module.Digest != sha(module) {
				t.Errorf("pulled %d bytes, digest %s; want the module (%s)", len(got), a.Module.Digest, sha(module))
			}
		})
	}
}

func TestPullRefusesOtherArtifacts(t *testing.T) {
	reg := ocitest.Start(t, ocitest.Options{})
	tool := newOtherTool(t, reg, "other")
	_, module := writeModule(t, t.TempDir(), "m.wasm", 100)
	layer := tool.blob(oci.LayerMediaType, module, "")
	config := tool.blob(oci.ConfigMediaType, []byte("{}"), "")
	imageConfig := tool.blob(ocispec.MediaTypeImageConfig, []byte(`{"architecture":"amd64","os":"linux"}`), "")
	tarLayer := tool.blob(ocispec.MediaTypeImageLayerGzip, []byte("not really a tarball"), "")
	text := tool.blob("text/plain", []byte("hello"), "readme.txt")

	tool.pack("container", oras.PackManifestVersion1_0, "", &imageConfig, tarLayer)
	tool.pack("two-layers", oras.PackManifestVersion1_1, "", &config, layer, layer)
	tool.pack("text", oras.PackManifestVersion1_1, "", &config, text)
	tool.manifest("index", ocispec.MediaTypeImageIndex, ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{},
	})

	c := newClient(t, oci.Options{})
	for _, tc := range []struct{ tag, want string }{
		{"container", "/other:container is a container image (layers application/vnd.oci.image.layer.v1.tar+gzip), not a Wasm module: push the .wasm with: wisp push FILE.wasm "},
		{"two-layers", "/other:two-layers has 2 layers (" + oci.LayerMediaType + ", " + oci.LayerMediaType + "): Wisp deploys artifacts of exactly one layer, the module"},
		{"text", `/other:text holds a layer of type "text/plain", not a Wasm module (` + oci.LayerMediaType + " or application/wasm)"},
		{"index", "/other:index is an image index (a list of manifests, such as a multi-platform container image), not a Wasm module artifact"},
	} {
		t.Run(tc.tag, func(t *testing.T) {
			dir := t.TempDir()
			_, err := c.Pull(t.Context(), mustParse(t, reg.Host+"/other:"+tc.tag), filepath.Join(dir, "out.wasm"))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, oci.ErrNotWasm) {
				t.Errorf("Pull = %v\nwant an error containing %q, matching ErrNotWasm", err, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("a refused pull wrote %v", entries)
			}
		})
	}
}

func TestProgressOfALargeTransfer(t *testing.T) {
	reg := ocitest.Start(t, ocitest.Options{})
	path, _ := writeModule(t, t.TempDir(), "big.wasm", 3<<20)
	var progress bytes.Buffer
	c := newClient(t, oci.Options{Progress: &progress})
	ref := mustParse(t, reg.Host+"/big:1")
	if _, err := c.Push(t.Context(), ref, path); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Pull(t.Context(), ref, filepath.Join(t.TempDir(), "out.wasm")); err != nil {
		t.Fatal(err)
	}
	out := progress.String()
	for _, want := range []string{
		"\rpushing big.wasm 0B / 3.0MiB   0%", " 50%", "\rpushing big.wasm 3.0MiB / 3.0MiB 100%\n",
		"\rpulling " + ref.String() + " 0B / 3.0MiB   0%", "\rpulling " + ref.String() + " 3.0MiB / 3.0MiB 100%\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("progress output lacks %q; its end:\n%q", want, out[max(0, len(out)-200):])
		}
	}
	if lines := strings.Count(out, "\r"); lines > 2*101 {
		t.Errorf("progress rewrote its lines %d times; want at most once per percent", lines)
	}
}
