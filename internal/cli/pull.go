package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/oci"
)

func pullCommand() *command {
	return &command{
		name:    "pull",
		summary: "download a .wasm module from an OCI registry",
		usage: []string{
			"wisp pull REGISTRY/REPOSITORY:TAG [-o FILE] [flags]",
			"wisp pull REGISTRY/REPOSITORY@sha256:DIGEST [-o FILE] [flags]",
		},
		description: `
Download the module of a Wasm OCI artifact: one pushed with 'wisp push', or
by another tool in the same layout (one layer of type
application/vnd.wasm.content.layer.v1+wasm or application/wasm, any config).
The module is checked against the digest and size its manifest names before
it is written; content that does not match is refused and nothing is
written. A reference by digest always fetches the same module.

The module goes to REPOSITORY's last part plus ".wasm" in the current
directory (localhost:5000/acme/hello:1.0 gives hello.wasm), or to -o FILE
(into -o DIR if it is a directory); -o - writes it to stdout.

Credentials and plain HTTP work as for 'wisp push': --username with
--password-stdin, $WISP_REGISTRY_USERNAME and $WISP_REGISTRY_PASSWORD, or
the docker config; plain HTTP only for registries on this machine unless
--plain-http.`,
		examples: []string{
			"wisp pull localhost:5000/hello:1.0",
			"wisp pull ghcr.io/acme/api:v2 -o api.wasm",
			"wisp pull ghcr.io/acme/api@sha256:4f1c... -o - | wasm-objdump -x -",
		},
		new: func(e *env) verb { return &pullVerb{registry: registryFlags{e: e}} },
	}
}

// pullVerb is `wisp pull`.
type pullVerb struct {
	registry registryFlags
	out      string
}

func (v *pullVerb) flags(fs *flagSet) {
	v.registry.register(fs, true)
	fs.StringVar(&v.out, "output", "", "write the module to `FILE` (- for stdout; default: the repository's last part plus .wasm)")
	fs.alias("o", "output")
}

func (v *pullVerb) run(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return usagef("want one REGISTRY/REPOSITORY:TAG or REGISTRY/REPOSITORY@sha256:DIGEST, got %d arguments", len(args))
	}
	ref, err := oci.ParseReference(args[0])
	if err != nil {
		return usageError{msg: err.Error()}
	}
	c, err := v.registry.client()
	if err != nil {
		return err
	}
	e := v.registry.e
	a, err := c.Resolve(ctx, ref)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "pulling %s (module %s, %s)...\n", ref, shortDigest(a.Module.Digest), wisp.ByteSize(a.Module.Size).Approx())

	out := v.out
	if info, err := os.Stat(out); out == "" || err == nil && info.IsDir() {
		out = filepath.Join(out, ref.Name()+".wasm")
	}
	if out == "-" {
		if err := pullToWriter(ctx, c, a, e.stdout); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "pulled %s\n", a.Ref)
		return nil
	}
	if err := c.Download(ctx, a, out); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "pulled %s to %s\n", a.Ref, out)
	return nil
}

// pullToWriter downloads a's module into a temporary file, where it is
// checked, and copies it to w only then.
func pullToWriter(ctx context.Context, c *oci.Client, a oci.Artifact, w io.Writer) error {
	dir, err := os.MkdirTemp("", "wisp-pull-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "module.wasm")
	if err := c.Download(ctx, a, tmp); err != nil {
		return err
	}
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
