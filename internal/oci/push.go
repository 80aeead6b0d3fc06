package oci

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/wisphq/wisp"
	"oras.land/oras-go/v2/registry/remote"
)

// Layer describes the module layer of an artifact. Its JSON form uses
// the OCI descriptor's names.
type Layer struct {
	MediaType string `json:"mediaType"`
	// Digest is "sha256:<hex>" of the .wasm, which is also the digest a
	// Wisp node stores the module under.
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// Pushed describes what [Client.Push] pushed.
type Pushed struct {
	// Ref is the reference pushed to, with Digest set to the manifest's:
	// REGISTRY/REPOSITORY:TAG@sha256:...
	Ref    Reference
	Module Layer
	// ModuleExisted reports that the registry already had the module's
	// blob, so its bytes were not sent again.
	ModuleExisted bool
}

// wasmConfig is the config blob of the layout, for a core module.
type wasmConfig struct {
	Created      string   `json:"created"`
	Architecture string   `json:"architecture"`
	OS           string   `json:"os"`
	LayerDigests []string `json:"layerDigests"`
}

// wasmHeader starts every core WebAssembly module: the magic and version 1.
// A component has the same magic and another version.
var wasmHeader = []byte("\x00asm\x01\x00\x00\x00")

// Push uploads the WebAssembly module at path to ref, which must name a
// tag, as an artifact in the package's layout: the module's blob (unless
// the registry has it already), the config blob, then the manifest under
// the tag. The module must be a core module (WASI preview 1), as Wisp runs,
// within Options.MaxModuleSize. Errors match wisp.ErrInvalid (not a core
// module, no tag), wisp.ErrTooLarge and [ErrUnauthorized].
func (c *Client) Push(ctx context.Context, ref Reference, path string) (Pushed, error) {
	switch {
	case ref.Digest != "":
		return Pushed{}, invalidf("push to %s: push to a tag, not a digest (the registry computes the digest from what is pushed): write %s:TAG", ref, ref.Repo())
	case ref.Tag == "":
		return Pushed{}, invalidf("push to %s: name a tag to push to: write %s:TAG", ref, ref.Repo())
	}
	repo, err := c.repository(ref)
	if err != nil {
		return Pushed{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return Pushed{}, err
	}
	defer f.Close()
	layer, err := c.describeModule(f, path)
	if err != nil {
		return Pushed{}, err
	}
	out := Pushed{Ref: ref, Module: layer}
	layerDesc := ocispec.Descriptor{
		MediaType:   layer.MediaType,
		Digest:      digest.Digest(layer.Digest),
		Size:        layer.Size,
		Annotations: map[string]string{ocispec.AnnotationTitle: filepath.Base(path)},
	}
	if out.ModuleExisted, err = repo.Blobs().Exists(ctx, layerDesc); err != nil {
		return out, c.explain(ctx, err, ref, "push to")
	}
	if !out.ModuleExisted {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return out, err
		}
		p := newProgress(c.opts.Progress, "pushing "+filepath.Base(path), layer.Size)
		err := repo.Blobs().Push(ctx, layerDesc, io.TeeReader(f, p))
		p.finish()
		if err != nil {
			return out, c.explain(ctx, err, ref, "push to")
		}
	}

	config, _ := json.Marshal(wasmConfig{
		Created:      time.Now().UTC().Format(time.RFC3339),
		Architecture: "wasm",
		OS:           "wasip1",
		LayerDigests: []string{layer.Digest},
	})
	configDesc := descriptorOf(ConfigMediaType, config)
	if err := pushIfMissing(ctx, repo, configDesc, config); err != nil {
		return out, c.explain(ctx, err, ref, "push to")
	}
	manifest, _ := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ManifestMediaType,
		Config:    configDesc,
		Layers:    []ocispec.Descriptor{layerDesc},
	})
	manifestDesc := descriptorOf(ManifestMediaType, manifest)
	if err := repo.PushReference(ctx, manifestDesc, bytes.NewReader(manifest), ref.Tag); err != nil {
		return out, c.explain(ctx, err, ref, "push to")
	}
	out.Ref.Digest = manifestDesc.Digest.String()
	return out, nil
}

// describeModule checks that f (at path) is a core WebAssembly module
// within the size limit and returns its layer: digest and size.
func (c *Client) describeModule(f *os.File, path string) (Layer, error) {
	head := make([]byte, len(wasmHeader))
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Layer{}, fmt.Errorf("read %s: %w", path, err)
	}
	switch {
	case bytes.HasPrefix(head[:n], wasmHeader[:4]) && n == len(head) && !bytes.Equal(head, wasmHeader):
		return Layer{}, invalidf("%s is a WebAssembly component or a module of an unknown version, not a core module (WASI preview 1), which is what Wisp runs", path)
	case !bytes.Equal(head[:n], wasmHeader):
		return Layer{}, invalidf("%s is not a WebAssembly module (it does not start with \"\\0asm\"): push the .wasm your build produces", path)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Layer{}, err
	}
	h := sha256.New()
	size, err := io.Copy(h, io.LimitReader(f, c.opts.MaxModuleSize+1))
	if err != nil {
		return Layer{}, fmt.Errorf("read %s: %w", path, err)
	}
	if size > c.opts.MaxModuleSize {
		return Layer{}, fmt.Errorf("%s is larger than the module size limit of %s: %w", path, wisp.ByteSize(c.opts.MaxModuleSize).Approx(), wisp.ErrTooLarge)
	}
	return Layer{MediaType: LayerMediaType, Digest: "sha256:" + hex.EncodeToString(h.Sum(nil)), Size: size}, nil
}

// pushIfMissing uploads a small blob unless the repository has it.
func pushIfMissing(ctx context.Context, repo *remote.Repository, desc ocispec.Descriptor, data []byte) error {
	exists, err := repo.Blobs().Exists(ctx, desc)
	if err != nil || exists {
		return err
	}
	return repo.Blobs().Push(ctx, desc, bytes.NewReader(data))
}

// descriptorOf describes data of mediaType.
func descriptorOf(mediaType string, data []byte) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
}
