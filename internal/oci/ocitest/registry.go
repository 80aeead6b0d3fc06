// Package ocitest runs a real OCI registry for tests: Debian's
// docker-registry package, the reference implementation of the
// distribution spec (github.com/distribution/distribution v2.8), started
// on a free loopback port with its storage in a temporary directory, and
// stopped when the test ends.
//
//	reg := ocitest.Start(t, ocitest.Options{})
//	ref := reg.Host + "/hello:1.0" // plain HTTP: the registry is on loopback
//
// Without the binary, Start skips the test with an install hint, unless
// CI=true or WISP_REQUIRE_REGISTRY=1 is set, where it fails it: a CI run
// must not pass by skipping.
package ocitest

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/testnode"
	"golang.org/x/crypto/bcrypt"
)

// Binary is the registry command Start runs, looked up on $PATH.
const Binary = "docker-registry"

// InstallHint says how to get Binary.
const InstallHint = "install the reference registry: apt-get install docker-registry (Debian, Ubuntu)"

// Options configure Start.
type Options struct {
	// Users, if not empty, turns on htpasswd authentication with these
	// user names and passwords (basic auth over the loopback connection).
	Users map[string]string
}

// Registry is a running registry.
type Registry struct {
	// Host is its address, "127.0.0.1:PORT": the REGISTRY of references.
	Host string
	// Storage is the root of its filesystem storage, where blob data
	// lives at docker/registry/v2/blobs/sha256/AB/ABCD.../data.
	Storage string

	cmd    *exec.Cmd
	output *testnode.Buffer // what the process printed
	done   chan struct{}    // closed when the process has exited
}

// Start runs a registry with opts until the test ends, and returns once it
// answers on /v2/.
func Start(t testing.TB, opts Options) *Registry {
	t.Helper()
	bin, err := exec.LookPath(Binary)
	if err != nil {
		if os.Getenv("CI") == "true" || os.Getenv("WISP_REQUIRE_REGISTRY") == "1" {
			t.Fatalf("%s not found, and CI or WISP_REQUIRE_REGISTRY requires it: %s", Binary, InstallHint)
		}
		t.Skipf("%s not found: %s (or set CI=true or WISP_REQUIRE_REGISTRY=1 to fail instead of skipping)", Binary, InstallHint)
	}
	dir := t.TempDir()
	auth := ""
	if len(opts.Users) > 0 {
		auth = writeHtpasswd(t, filepath.Join(dir, "htpasswd"), opts.Users)
	}
	// The port is free when picked, but another process may take it before
	// the registry binds it: try a few.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		r, err := start(bin, dir, auth, freePort(t))
		if err == nil {
			t.Cleanup(r.stop)
			return r
		}
		lastErr = err
	}
	t.Fatal(lastErr)
	return nil
}

// BlobPath returns where the registry stores the data of the blob with
// digest ("sha256:<hex>"), for tests that tamper with it.
func (r *Registry) BlobPath(digest string) string {
	hex := strings.TrimPrefix(digest, "sha256:")
	return filepath.Join(r.Storage, "docker", "registry", "v2", "blobs", "sha256", hex[:2], hex, "data")
}

// start runs the registry on 127.0.0.1:port and waits until it answers.
func start(bin, dir, auth string, port int) (*Registry, error) {
	r := &Registry{
		Host:    fmt.Sprintf("127.0.0.1:%d", port),
		Storage: filepath.Join(dir, "storage"),
		output:  &testnode.Buffer{},
		done:    make(chan struct{}),
	}
	config := filepath.Join(dir, "config.yml")
	yml := fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: wisp-test-secret
%s`, r.Storage, r.Host, auth)
	if err := os.WriteFile(config, []byte(yml), 0o644); err != nil {
		return nil, err
	}
	r.cmd = exec.Command(bin, "serve", config)
	r.cmd.Stdout, r.cmd.Stderr = r.output, r.output
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { r.cmd.Wait(); close(r.done) }()
	err := testnode.Poll(15*time.Second, func() (bool, error) {
		select {
		case <-r.done:
			return false, fmt.Errorf("%s exited before answering on %s:\n%s", Binary, r.Host, r.output)
		default:
		}
		resp, err := http.Get("http://" + r.Host + "/v2/")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		// 401 is the answer of a registry with authentication.
		return resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized, nil
	})
	if err != nil {
		r.stop()
		return nil, fmt.Errorf("registry on %s: %w\n%s", r.Host, err, r.output)
	}
	return r, nil
}

// stop kills the registry and waits for it to exit.
func (r *Registry) stop() {
	r.cmd.Process.Kill()
	<-r.done
}

// writeHtpasswd writes users as a bcrypt htpasswd file at path and
// returns the registry's auth configuration for it.
func writeHtpasswd(t testing.TB, path string, users map[string]string) string {
	t.Helper()
	var b strings.Builder
	for name, password := range users {
		hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s:%s\n", name, hash)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("auth:\n  htpasswd:\n    realm: wisp-test\n    path: %s\n", path)
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
