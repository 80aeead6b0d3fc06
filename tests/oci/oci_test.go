package oci

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/wisphq/wisp/internal/oci/ocitest"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"
)

// TestPushPullDeployByTagAndDigest is the round trip: push, pull back the
// same bytes, deploy by tag and by digest, and serve requests.
func TestPushPullDeployByTagAndDigest(t *testing.T) {
	reg, n := setup(t, ocitest.Options{})
	v1 := push(t, n, fixture("version1.wasm"), reg.Host+"/flip:v1")
	v2 := push(t, n, fixture("version2.wasm"), reg.Host+"/flip:v2")

	out := filepath.Join(t.TempDir(), "pulled.wasm")
	must(t, n, "pull", reg.Host+"/flip:v1", "-o", out)
	pulled, _ := os.ReadFile(out)
	original, _ := os.ReadFile(filepath.Join(repoRoot, fixture("version1.wasm")))
	if !bytes.Equal(pulled, original) {
		t.Fatalf("pulled %d bytes that differ from the %d pushed", len(pulled), len(original))
	}

	// By tag, then by digest: each version is pulled by the CLI and served.
	must(t, n, "deploy", manifest(t, "flip", "oci://"+reg.Host+"/flip:v1", "/flip"))
	if status, body := get(t, n, "/flip"); status != 200 || body != "v1\n" {
		t.Fatalf("after deploying flip:v1, GET /flip = %d %q", status, body)
	}
	res := run(t, n, "deploy", manifest(t, "flip", "oci://"+v2, "/flip"))
	if res.Code != 0 || !strings.Contains(res.Stderr, "pulling module "+v2) || !strings.Contains(res.Stdout, "deployed flip version 2") {
		t.Fatalf("deploy by digest: exit %d\nstdout: %s\nstderr: %s", res.Code, res.Stdout, res.Stderr)
	}
	if status, body := get(t, n, "/flip"); status != 200 || body != "v2\n" {
		t.Fatalf("after deploying %s, GET /flip = %d %q", v2, status, body)
	}

	// The node has v1's module: deploying it again by digest pulls nothing.
	res = run(t, n, "deploy", "oci://"+v1, "--name", "flip", "--route", "/flip")
	if res.Code != 0 || !strings.Contains(res.Stderr, "is already on the node") || strings.Contains(res.Stderr, "pulling") {
		t.Fatalf("redeploy of a module the node has: exit %d\nstderr: %s", res.Code, res.Stderr)
	}
	if _, body := get(t, n, "/flip"); body != "v1\n" {
		t.Fatalf("after redeploying v1, GET /flip = %q", body)
	}
}

// TestServeDeploysFromTheRegistry checks `wisp serve --deploy` with a
// manifest whose module is in a registry.
func TestServeDeploysFromTheRegistry(t *testing.T) {
	reg, n := setup(t, ocitest.Options{})
	push(t, n, filepath.Join("examples", "hello", "hello.wasm"), reg.Host+"/examples/hello:1.0")
	dir := manifest(t, "hello", "oci://"+reg.Host+"/examples/hello:1.0", "/hello")

	served := startNode(t, "--deploy", dir)
	waitFor(t, 10*time.Second, "the deploy line on stdout", func() bool { return strings.Contains(served.Stdout.String(), "hello version 1") })
	if status, body := get(t, served, "/hello"); status != 200 || body != "Hello from Wisp!\n" {
		t.Fatalf("GET /hello = %d %q", status, body)
	}
}

// TestTamperedModuleIsRefused overwrites the module's blob in the
// registry's storage: pull and deploy must refuse it and change nothing.
func TestTamperedModuleIsRefused(t *testing.T) {
	reg, n := setup(t, ocitest.Options{})
	pinned := push(t, n, fixture("version1.wasm"), reg.Host+"/tampered:1")
	module, _ := os.ReadFile(filepath.Join(repoRoot, fixture("version1.wasm")))
	layer := digest.FromBytes(module).String()
	evil := bytes.Replace(module, []byte("v1\n"), []byte("EV\n"), 1) // same size, still a valid module
	if bytes.Equal(evil, module) {
		t.Fatal("the fixture no longer holds \"v1\\n\"")
	}
	if err := os.WriteFile(reg.BlobPath(layer), evil, 0o644); err != nil {
		t.Fatal(err)
	}
	want := "blob " + layer + " from " + reg.Host + "/tampered does not match its digest: the registry returned tampered or corrupt content"

	out := filepath.Join(t.TempDir(), "pulled.wasm")
	if res := run(t, n, "pull", reg.Host+"/tampered:1", "-o", out); res.Code != 1 || !strings.Contains(res.Stderr, want) {
		t.Errorf("pull of a tampered module: exit %d, stderr %q; want exit 1 and %q", res.Code, res.Stderr, want)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the refused pull wrote %s", out)
	}
	for _, ref := range []string{reg.Host + "/tampered:1", pinned} {
		res := run(t, n, "deploy", manifest(t, "tampered", "oci://"+ref, "/tampered"))
		if res.Code != 1 || !strings.Contains(res.Stderr, want) {
			t.Errorf("deploy of %s: exit %d, stderr %q; want exit 1 and %q", ref, res.Code, res.Stderr, want)
		}
	}
	if apps := must(t, n, "apps"); strings.Contains(apps, "tampered") {
		t.Errorf("the tampered module was deployed:\n%s", apps)
	}
	if status, body := get(t, n, "/tampered"); status != 404 {
		t.Errorf("GET /tampered = %d %q, want 404", status, body)
	}
}

// TestRegistryCredentials runs a registry that needs a password: without
// credentials push fails saying how to log in; with a docker config (as
// docker login writes it), or --username and --password-stdin, push
// works, and so does a deploy from it.
func TestRegistryCredentials(t *testing.T) {
	reg, n := setup(t, ocitest.Options{Users: map[string]string{"ci": "t0ken"}})
	ref := reg.Host + "/private/hello:1"
	hello := filepath.Join("examples", "hello", "hello.wasm")

	res := run(t, n, "push", hello, ref)
	want := "wisp push: unauthorized: " + reg.Host + " needs credentials to push to " + reg.Host + "/private/hello, and none were found: " +
		`log in with "docker login ` + reg.Host + `"`
	if res.Code != 1 || !strings.Contains(res.Stderr, want) {
		t.Fatalf("push without credentials: exit %d, stderr %q; want exit 1 and %q", res.Code, res.Stderr, want)
	}

	cmd := n.CLI().Command(context.Background(), "push", hello, ref, "--username", "ci", "--password-stdin")
	cmd.Stdin = strings.NewReader("t0ken\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("push --username --password-stdin: %v\n%s", err, out)
	}

	// docker login's config, for the CLI and the node alike.
	config := os.Getenv("DOCKER_CONFIG")
	auth := base64.StdEncoding.EncodeToString([]byte("ci:t0ken"))
	if err := os.WriteFile(filepath.Join(config, "config.json"), fmt.Appendf(nil, `{"auths":{%q:{"auth":%q}}}`, reg.Host, auth), 0o600); err != nil {
		t.Fatal(err)
	}
	must(t, n, "push", hello, reg.Host+"/private/hello:2")
	must(t, n, "deploy", manifest(t, "hello", "oci://"+ref, "/hello"))
	if status, body := get(t, n, "/hello"); status != 200 || body != "Hello from Wisp!\n" {
		t.Fatalf("GET /hello = %d %q", status, body)
	}
}

// TestArtifactOfAnotherToolDeploys pushes a module the way
// `oras push REF hello.wasm:application/vnd.wasm.content.layer.v1+wasm
// --artifact-type application/vnd.wasm.config.v0+json` does (oras-go's
// packing, the OCI empty config), and `oras push ... --config
// config.json:application/vnd.wasm.config.v0+json` with config {}; both
// deploy unchanged.
func TestArtifactOfAnotherToolDeploys(t *testing.T) {
	reg, n := setup(t, ocitest.Options{})
	ctx := context.Background()
	repo, err := remote.NewRepository(reg.Host + "/oras/hello")
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	pushBlob := func(mediaType string, data []byte) ocispec.Descriptor {
		desc := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
		if err := repo.Push(ctx, desc, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		return desc
	}
	module, _ := os.ReadFile(filepath.Join(repoRoot, "examples", "hello", "hello.wasm"))
	layer := pushBlob("application/vnd.wasm.content.layer.v1+wasm", module)
	layer.Annotations = map[string]string{ocispec.AnnotationTitle: "hello.wasm"}
	config := pushBlob("application/vnd.wasm.config.v0+json", []byte("{}"))
	for tag, opts := range map[string]struct {
		artifactType string
		config       *ocispec.Descriptor
	}{
		"artifact-type": {artifactType: "application/vnd.wasm.config.v0+json"},
		"config":        {config: &config},
	} {
		desc, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, opts.artifactType, oras.PackManifestOptions{Layers: []ocispec.Descriptor{layer}, ConfigDescriptor: opts.config})
		if err != nil {
			t.Fatal(err)
		}
		if err := repo.Tag(ctx, desc, tag); err != nil {
			t.Fatal(err)
		}
		name := "oras-" + tag
		must(t, n, "deploy", "oci://"+reg.Host+"/oras/hello:"+tag, "--name", name, "--route", "/"+name)
		if status, body := get(t, n, "/"+name); status != 200 || body != "Hello from Wisp!\n" {
			t.Errorf("GET /%s = %d %q", name, status, body)
		}
	}
}
