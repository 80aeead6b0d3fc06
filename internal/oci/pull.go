package oci

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/wisphq/wisp"
	"oras.land/oras-go/v2/errdef"
)

// Artifact is a resolved Wasm artifact: which manifest a reference named
// and the module layer it holds.
type Artifact struct {
	// Ref is the reference resolved, with Digest set to the manifest's
	// digest; Ref.Pinned(Ref.Digest) names the same artifact for good.
	Ref    Reference
	Module Layer
}

// maxManifestSize caps a manifest read: one of a single-layer artifact is
// well under a KiB; 4 MiB is what registries themselves accept.
const maxManifestSize = 4 << 20

// Media types of manifests that are not single artifacts, or Docker's.
const (
	dockerManifestMediaType     = "application/vnd.docker.distribution.manifest.v2+json"
	dockerManifestListMediaType = "application/vnd.docker.distribution.manifest.list.v2+json"
	dockerContainerConfigType   = "application/vnd.docker.container.image.v1+json"
)

// Pull resolves ref and downloads its module to path: Resolve, then
// Download.
func (c *Client) Pull(ctx context.Context, ref Reference, path string) (Artifact, error) {
	a, err := c.Resolve(ctx, ref)
	if err != nil {
		return a, err
	}
	return a, c.Download(ctx, a, path)
}

// Resolve fetches ref's manifest, checks that it holds one Wasm module in
// the package's layout, and describes it. It downloads no module bytes.
// The manifest's own bytes are checked against the digest of a digest
// reference (or, for a tag, against the digest the registry announced).
// Errors match [ErrNotWasm] for an artifact of another kind,
// [ErrDigestMismatch], [ErrUnauthorized], wisp.ErrNotFound and
// wisp.ErrTooLarge (a module over Options.MaxModuleSize).
func (c *Client) Resolve(ctx context.Context, ref Reference) (Artifact, error) {
	repo, err := c.repository(ref)
	if err != nil {
		return Artifact{}, err
	}
	desc, rc, err := repo.FetchReference(ctx, ref.orasReference().Reference)
	if err != nil {
		return Artifact{}, c.explain(ctx, err, ref, "pull from")
	}
	defer rc.Close()
	body, err := io.ReadAll(io.LimitReader(rc, maxManifestSize+1))
	if err != nil {
		return Artifact{}, fmt.Errorf("read the manifest of %s: %w", ref, err)
	}
	if len(body) > maxManifestSize {
		return Artifact{}, notWasmf("the manifest of %s is over %s: a Wasm module artifact's is under a KiB", ref, wisp.ByteSize(maxManifestSize).Approx())
	}
	got := digest.FromBytes(body).String()
	want := ref.Digest
	if want == "" {
		want = desc.Digest.String()
	}
	if got != want || int64(len(body)) != desc.Size {
		return Artifact{}, &explainedError{
			msg:  fmt.Sprintf("manifest %s from %s does not match its digest: the registry returned tampered or corrupt content", want, ref.Repo()),
			kind: ErrDigestMismatch,
		}
	}
	layer, err := c.moduleLayer(ref, desc.MediaType, body)
	if err != nil {
		return Artifact{}, err
	}
	a := Artifact{Ref: ref, Module: layer}
	a.Ref.Digest = got
	return a, nil
}

// moduleLayer checks that the manifest body of mediaType holds exactly one
// layer, a Wasm module, and describes it.
func (c *Client) moduleLayer(ref Reference, mediaType string, body []byte) (Layer, error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(body, &m); err != nil {
		return Layer{}, notWasmf("the manifest of %s is not valid JSON: %v", ref, err)
	}
	if mediaType == "" || mediaType == "application/json" {
		mediaType = m.MediaType
	}
	howToPush := fmt.Sprintf("push the .wasm with: wisp push FILE.wasm %s", ref)
	switch mediaType {
	case ManifestMediaType, dockerManifestMediaType:
	case ocispec.MediaTypeImageIndex, dockerManifestListMediaType:
		return Layer{}, notWasmf("%s is an image index (a list of manifests, such as a multi-platform container image), not a Wasm module artifact: %s", ref, howToPush)
	default:
		return Layer{}, notWasmf("%s has a manifest of type %q, not an OCI image manifest holding a Wasm module: %s", ref, mediaType, howToPush)
	}
	var types []string
	for _, l := range m.Layers {
		types = append(types, l.MediaType)
	}
	switch {
	case len(m.Layers) == 0:
		return Layer{}, notWasmf("%s has no layers, so no module: %s", ref, howToPush)
	case m.Config.MediaType == ocispec.MediaTypeImageConfig || m.Config.MediaType == dockerContainerConfigType:
		if !isWasmLayer(m.Layers[0].MediaType) {
			return Layer{}, notWasmf("%s is a container image (layers %s), not a Wasm module: %s", ref, strings.Join(types, ", "), howToPush)
		}
	}
	switch {
	case len(m.Layers) > 1:
		return Layer{}, notWasmf("%s has %d layers (%s): Wisp deploys artifacts of exactly one layer, the module (%s)", ref, len(m.Layers), strings.Join(types, ", "), LayerMediaType)
	case !isWasmLayer(m.Layers[0].MediaType):
		return Layer{}, notWasmf("%s holds a layer of type %q, not a Wasm module (%s or %s): %s", ref, m.Layers[0].MediaType, LayerMediaType, LayerMediaTypeWasm, howToPush)
	}
	l := m.Layers[0]
	layer := Layer{MediaType: l.MediaType, Digest: l.Digest.String(), Size: l.Size}
	switch {
	case !digestRE.MatchString(layer.Digest):
		return Layer{}, notWasmf("the module layer of %s has digest %q: Wisp needs sha256 digests; push the module again with: wisp push FILE.wasm %s", ref, layer.Digest, ref)
	case layer.Size < 0:
		return Layer{}, notWasmf("the module layer of %s has a negative size", ref)
	}
	if err := c.checkSize(ref, layer.Size); err != nil {
		return Layer{}, err
	}
	return layer, nil
}

// checkSize refuses a module of size bytes over Options.MaxModuleSize,
// before any of it is downloaded.
func (c *Client) checkSize(ref Reference, size int64) error {
	if size <= c.opts.MaxModuleSize {
		return nil
	}
	return &explainedError{
		msg: fmt.Sprintf("the module of %s is %s, over the module size limit of %s (a node's default --max-module-size); nothing was downloaded",
			ref, wisp.ByteSize(size).Approx(), wisp.ByteSize(c.opts.MaxModuleSize)),
		kind: wisp.ErrTooLarge,
	}
}

// isWasmLayer reports whether a layer of mediaType holds a Wasm module.
func isWasmLayer(mediaType string) bool {
	return mediaType == LayerMediaType || mediaType == LayerMediaTypeWasm
}

// Download fetches the module of a (from [Client.Resolve]) into the file
// at path, replacing it. The bytes stream to a temporary file next to
// path, never more than the layer's size and one byte, and are checked
// against the layer's digest and size; only then is the file renamed to
// path. On any error, path is left as it was and the temporary file
// removed. A mismatch matches [ErrDigestMismatch]; a layer over
// Options.MaxModuleSize matches wisp.ErrTooLarge and is not fetched.
func (c *Client) Download(ctx context.Context, a Artifact, path string) (err error) {
	ref := a.Ref
	if err := c.checkSize(ref, a.Module.Size); err != nil {
		return err
	}
	repo, err := c.repository(ref)
	if err != nil {
		return err
	}
	desc := ocispec.Descriptor{MediaType: a.Module.MediaType, Digest: digest.Digest(a.Module.Digest), Size: a.Module.Size}
	rc, err := repo.Blobs().Fetch(ctx, desc)
	if err != nil {
		// oras-go compares Content-Length with the descriptor's size
		// before any byte is read; a different length is a changed blob.
		if strings.Contains(err.Error(), "mismatch Content-Length") {
			return tamperedError(a.Module.Digest, ref)
		}
		if errors.Is(err, errdef.ErrNotFound) {
			return &explainedError{
				msg:  fmt.Sprintf("blob %s, the module of %s, is missing from the registry, though its manifest names it: push the module again", a.Module.Digest, ref),
				kind: wisp.ErrNotFound, err: err,
			}
		}
		return c.explain(ctx, err, ref, "pull from")
	}
	defer rc.Close()

	tmp, err := os.CreateTemp(filepath.Dir(path), ".wisp-pull-*.wasm")
	if err != nil {
		return fmt.Errorf("download %s: %w", ref, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	p := newProgress(c.opts.Progress, "pulling "+ref.short(), a.Module.Size)
	n, err := io.Copy(io.MultiWriter(tmp, h, p), io.LimitReader(rc, a.Module.Size+1))
	p.finish()
	switch {
	case err != nil:
		return fmt.Errorf("download %s: %w", ref, err)
	case n != a.Module.Size || "sha256:"+hex.EncodeToString(h.Sum(nil)) != a.Module.Digest:
		return tamperedError(a.Module.Digest, ref)
	}
	if err = tmp.Chmod(0o644); err == nil {
		err = tmp.Close()
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("download %s: %w", ref, err)
	}
	return nil
}
