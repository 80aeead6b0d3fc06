package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/bundle"
	"github.com/wisphq/wisp/internal/manifest"
	"github.com/wisphq/wisp/internal/oci"
)

// maxBundleSize caps one packed files directory. The node enforces its own
// upload limit; this one stops `wisp deploy` early when a manifest points
// at a huge directory by mistake.
const maxBundleSize = 1 << 30

// blobUploader is where a deploy's blobs go: a *client.Client for `wisp
// deploy`, or a node's store directly for `wisp serve --deploy`.
type blobUploader interface {
	HasBlob(ctx context.Context, digest string) (bool, error)
	PutBlob(ctx context.Context, r io.Reader, size int64, digest string) (wisp.BlobInfo, error)
}

// specFromManifest uploads the module and files directories of m with up,
// skipping blobs it already has, and returns the spec that deploys them.
// A module in an OCI registry is resolved and, if up lacks it, pulled
// with the registry settings of the process environment (see
// registryOptions).
func specFromManifest(ctx context.Context, m *manifest.Manifest, up blobUploader) (wisp.AppSpec, error) {
	plan, err := planFromManifest(m)
	if err != nil {
		return wisp.AppSpec{}, err
	}
	var reg *oci.Client
	if plan.image != nil {
		opts, err := registryOptions(os.Getenv)
		if err != nil {
			return wisp.AppSpec{}, err
		}
		reg = oci.New(opts)
	}
	return uploadPlan(ctx, plan, up, reg, io.Discard)
}

// uploadPlan hashes the plan's module (or resolves it in its registry with
// reg), packs its files directories, checks the resulting spec and
// uploads what up lacks, pulling a registry module first, writing
// progress lines to progress. It returns the spec to deploy. reg may be
// nil for a plan without a registry module.
func uploadPlan(ctx context.Context, plan *deployPlan, up blobUploader, reg *oci.Client, progress io.Writer) (wisp.AppSpec, error) {
	u := &uploader{up: up, registry: reg, progress: progress}
	defer u.cleanup()
	spec, err := u.prepare(ctx, plan)
	if err != nil {
		return spec, err
	}
	if err := spec.Validate(); err != nil {
		return spec, err
	}
	return spec, u.upload(ctx)
}

// uploader uploads the blobs of a deploy (the module, then one bundle per
// files directory), skipping those the node already has. Bundles are
// packed, and registry modules pulled, into temporary files, which
// cleanup removes.
type uploader struct {
	up       blobUploader
	registry *oci.Client // for a registry module
	progress io.Writer
	blobs    []localBlob
	temps    []string
	open     []*os.File // module files, read at hashing and again at upload
}

// localBlob is a file to upload.
type localBlob struct {
	label  string // for messages: "module hello.wasm"
	detail string // for the upload line, before the size: "12 files, "
	// file is the open module file; the upload reads it again from its
	// start, so what is uploaded is the file hashed, not whatever its
	// path names by then. Nil for a bundle or a registry module, read
	// from path.
	file   *os.File
	path   string // a temporary file; "" for a registry module until it is pulled
	digest string
	size   int64
	// artifact is the registry module's artifact, pulled into path only
	// if the node lacks the module.
	artifact *oci.Artifact
}

// prepare hashes the module (or resolves it in its registry) and packs
// the files directories, and returns plan.spec with their digests filled
// in.
func (u *uploader) prepare(ctx context.Context, plan *deployPlan) (wisp.AppSpec, error) {
	spec := plan.spec
	if plan.image != nil {
		a, err := u.registry.Resolve(ctx, *plan.image)
		if err != nil {
			return spec, err
		}
		spec.Module = a.Module.Digest
		u.blobs = append(u.blobs, localBlob{label: "module " + plan.image.String(), digest: a.Module.Digest, size: a.Module.Size, artifact: &a})
	} else {
		f, err := openModule(plan)
		if err != nil {
			return spec, err
		}
		u.open = append(u.open, f)
		digest, size, err := hashFile(f)
		if err != nil {
			return spec, fmt.Errorf("read the module: %w", err)
		}
		spec.Module = digest
		u.blobs = append(u.blobs, localBlob{label: "module " + displayPath(plan.module), file: f, digest: digest, size: size})
	}

	spec.Files = nil
	if plan.manifest == nil {
		return spec, nil
	}
	for i, f := range plan.manifest.Files {
		b, err := u.pack(plan.manifest, i)
		if err != nil {
			return spec, err
		}
		u.blobs = append(u.blobs, b)
		spec.Files = append(spec.Files, wisp.FileMount{Mount: f.Mount, Bundle: b.digest})
	}
	return spec, nil
}

// openModule opens the plan's module file: through its manifest, confined
// to the manifest's directory, or, given on the command line, as it is.
func openModule(plan *deployPlan) (*os.File, error) {
	if plan.manifest != nil {
		return plan.manifest.OpenModule()
	}
	f, err := os.Open(plan.module)
	if err != nil {
		return nil, fmt.Errorf("read the module: %w", err)
	}
	return f, nil
}

// pack packs the directory of m.Files[i] into a temporary file.
func (u *uploader) pack(m *manifest.Manifest, i int) (localBlob, error) {
	f := m.Files[i]
	b := localBlob{label: fmt.Sprintf("files %s for %s", displayPath(f.Source), f.Mount)}
	// OpenFiles checks, just before packing, that the directory and every
	// symbolic link in it stay beneath the manifest's directory, and packing
	// reads through the root it returns: a tree changed since cannot lead
	// the walk or the reads out of it.
	root, err := m.OpenFiles(i)
	if err != nil {
		return b, err
	}
	defer root.Close()
	tmp, err := os.CreateTemp("", "wisp-bundle-*.tar")
	if err != nil {
		return b, fmt.Errorf("pack %s: %w", b.label, err)
	}
	u.temps = append(u.temps, tmp.Name())
	h := sha256.New()
	count := &countingWriter{}
	stats, err := bundle.PackFS(io.MultiWriter(tmp, h, count), root.FS(), f.Source, maxBundleSize)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return b, fmt.Errorf("pack %s: %w", b.label, err)
	}
	b.path, b.digest, b.size = tmp.Name(), digestOf(h), count.n
	b.detail = plural(stats.Files, "file") + ", "
	return b, nil
}

// upload uploads every blob the node lacks.
func (u *uploader) upload(ctx context.Context) error {
	for _, b := range u.blobs {
		has, err := u.up.HasBlob(ctx, b.digest)
		if err != nil {
			return fmt.Errorf("upload %s: %w", b.label, err)
		}
		if has {
			fmt.Fprintf(u.progress, "%s is already on the node (%s)\n", b.label, shortDigest(b.digest))
			continue
		}
		if b.artifact != nil {
			fmt.Fprintf(u.progress, "pulling %s (%s, %s)...\n", b.label, shortDigest(b.digest), wisp.ByteSize(b.size).Approx())
			if b.path, err = u.pull(ctx, *b.artifact); err != nil {
				return err
			}
		}
		fmt.Fprintf(u.progress, "uploading %s (%s%s)...\n", b.label, b.detail, wisp.ByteSize(b.size).Approx())
		if err := u.put(ctx, b); err != nil {
			return fmt.Errorf("upload %s: %w", b.label, err)
		}
	}
	return nil
}

func (u *uploader) put(ctx context.Context, b localBlob) error {
	if b.file != nil {
		_, err := u.up.PutBlob(ctx, io.NewSectionReader(b.file, 0, b.size), b.size, b.digest)
		return err
	}
	f, err := os.Open(b.path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = u.up.PutBlob(ctx, f, b.size, b.digest)
	return err
}

// pull downloads a registry module into a temporary file, checked
// against its digest, and returns the file's path.
func (u *uploader) pull(ctx context.Context, a oci.Artifact) (string, error) {
	tmp, err := os.CreateTemp("", "wisp-module-*.wasm")
	if err != nil {
		return "", fmt.Errorf("pull module %s: %w", a.Ref, err)
	}
	tmp.Close()
	u.temps = append(u.temps, tmp.Name())
	return tmp.Name(), u.registry.Download(ctx, a, tmp.Name())
}

// cleanup closes the module files and removes the temporary files.
func (u *uploader) cleanup() {
	for _, f := range u.open {
		f.Close()
	}
	for _, name := range u.temps {
		os.Remove(name)
	}
}

// hashFile returns the digest and size of f, read from its start.
func hashFile(f *os.File) (digest string, size int64, err error) {
	h := sha256.New()
	size, err = io.Copy(h, io.NewSectionReader(f, 0, 1<<62))
	if err != nil {
		return "", 0, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	return digestOf(h), size, nil
}

// digestOf formats a sha256 hash as a blob digest.
func digestOf(h hash.Hash) string { return "sha256:" + hex.EncodeToString(h.Sum(nil)) }

// countingWriter counts the bytes written to it.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// displayPath returns path relative to the current directory if it is
// below it, for shorter messages.
func displayPath(path string) string {
	if !filepath.IsAbs(path) {
		return path
	}
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}
