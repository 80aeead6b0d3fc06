package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/oci/ocitest"
)

// startRegistry runs a real registry for the test and isolates the test
// from the machine's registry settings: an empty docker config, no
// WISP_REGISTRY_* variables.
func startRegistry(t *testing.T, opts ocitest.Options) *ocitest.Registry {
	t.Helper()
	reg := ocitest.Start(t, opts)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	for _, k := range []string{envRegistryUsername, envRegistryPassword, envRegistryPlainHTTP} {
		t.Setenv(k, "")
	}
	return reg
}

// pushModule pushes content as FILE to ref with `wisp push` and returns
// the pushed reference (with its digest) that it printed.
func pushModule(t *testing.T, content, ref string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "module.wasm")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	got := invoke(t, "push", path, ref).must(t, 0)
	pushed, ok := strings.CutPrefix(strings.TrimSpace(got.stdout), "pushed ")
	if !ok || !strings.HasPrefix(pushed, ref+"@sha256:") {
		t.Fatalf("wisp push printed %q; want \"pushed %s@sha256:...\"", got.stdout, ref)
	}
	return pushed
}

func TestPushAndPull(t *testing.T) {
	reg := startRegistry(t, ocitest.Options{})
	ref := reg.Host + "/acme/hello:1.0"
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, map[string]string{"hello.wasm": module})

	got := invoke(t, "push", "hello.wasm", ref).must(t, 0)
	pushed := strings.TrimPrefix(strings.TrimSpace(got.stdout), "pushed ")
	if got.stderr != "pushing hello.wasm (19B) to "+ref+"...\n" || !strings.HasPrefix(pushed, ref+"@sha256:") {
		t.Errorf("wisp push: stdout %q, stderr %q", got.stdout, got.stderr)
	}
	again := invoke(t, "push", "hello.wasm", reg.Host+"/acme/hello:latest", "-o", "json").must(t, 0)
	var res pushResult
	if err := json.Unmarshal([]byte(again.stdout), &res); err != nil {
		t.Fatalf("push -o json printed %q: %v", again.stdout, err)
	}
	if res.Module.Digest != sha([]byte(module)) || res.Module.Size != int64(len(module)) || !strings.HasSuffix(res.Reference, "@"+res.Digest) {
		t.Errorf("push -o json = %+v", res)
	}
	if !strings.Contains(again.stderr, "module "+shortDigest(sha([]byte(module)))+" was already in "+reg.Host+"/acme/hello") {
		t.Errorf("a second push of the same module should say the registry had it; stderr %q", again.stderr)
	}

	digestRef := reg.Host + "/acme/hello@" + strings.SplitN(pushed, "@", 2)[1]
	for _, tc := range []struct {
		name, file string
		args       []string
	}{
		{"by tag, default file name", "hello.wasm", []string{"pull", ref}},
		{"by digest, -o", "out/by-digest.wasm", []string{"pull", digestRef, "-o", "out/by-digest.wasm"}},
		{"into a directory", "out/hello.wasm", []string{"pull", ref, "-o", "out"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			os.Mkdir("out", 0o755)
			got := invoke(t, tc.args...).must(t, 0)
			if want := "pulled " + pushed + " to " + tc.file + "\n"; tc.name[:6] == "by tag" && got.stdout != want {
				t.Errorf("stdout = %q, want %q", got.stdout, want)
			}
			if !strings.HasPrefix(got.stderr, "pulling ") {
				t.Errorf("stderr = %q", got.stderr)
			}
			if data, _ := os.ReadFile(tc.file); string(data) != module {
				t.Errorf("%s holds %q, want the pushed module", tc.file, data)
			}
		})
	}
	t.Run("to stdout", func(t *testing.T) {
		got := invoke(t, "pull", ref, "-o", "-").must(t, 0)
		if got.stdout != module || !strings.HasSuffix(got.stderr, "pulled "+pushed+"\n") {
			t.Errorf("pull -o -: stdout %q, stderr %q", got.stdout, got.stderr)
		}
	})
}

func TestPullFailures(t *testing.T) {
	reg := startRegistry(t, ocitest.Options{})
	ref := reg.Host + "/hello:1"
	pushModule(t, module, ref)
	t.Chdir(t.TempDir())

	missing := invoke(t, "pull", reg.Host+"/hello:2").must(t, 1)
	if want := "wisp pull: " + reg.Host + "/hello:2 not found in the registry"; !strings.HasPrefix(missing.stderr, want) {
		t.Errorf("stderr = %q, want it to start with %q", missing.stderr, want)
	}

	if err := os.WriteFile(reg.BlobPath(sha([]byte(module))), []byte(strings.ToUpper(module)), 0o644); err != nil {
		t.Fatal(err)
	}
	tampered := invoke(t, "pull", ref).must(t, 1)
	want := "wisp pull: blob " + sha([]byte(module)) + " from " + reg.Host + "/hello does not match its digest: the registry returned tampered or corrupt content\n"
	if !strings.HasSuffix(tampered.stderr, want) || tampered.stdout != "" {
		t.Errorf("pull of a tampered module: stdout %q, stderr %q; want stderr ending %q", tampered.stdout, tampered.stderr, want)
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("a refused pull left %v", entries)
	}
}

func TestRegistryUsageErrors(t *testing.T) {
	startRegistry(t, ocitest.Options{})
	t.Chdir(t.TempDir())
	writeFiles(t, ".", map[string]string{"hello.wasm": module})
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"push without a reference", []string{"push", "hello.wasm"}, nil, "wisp push: want FILE.wasm and REGISTRY/REPOSITORY:TAG, got 1 arguments\n"},
		{"push to a bad reference", []string{"push", "hello.wasm", "hello:1"}, nil, `wisp push: reference "hello:1" does not name a registry: write REGISTRY/REPOSITORY:TAG`},
		{"pull without a tag", []string{"pull", "localhost:5000/hello"}, nil, `wisp pull: reference "localhost:5000/hello" names no tag or digest: add one, like localhost:5000/hello:1.0`},
		{"password without user", []string{"pull", "localhost:5000/hello:1", "--password-stdin"}, nil, "wisp pull: --password-stdin needs --username\n"},
		{"user without password", []string{"pull", "localhost:5000/hello:1", "--username", "me"}, nil, "wisp pull: --username me needs its password: pipe it to --password-stdin, or set WISP_REGISTRY_PASSWORD\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := invoke(t, tc.args...).must(t, 2)
			if !strings.HasPrefix(got.stderr, tc.want) || !strings.Contains(got.stderr, "usage: wisp "+tc.args[0]) {
				t.Errorf("stderr = %q, want it to start with %q and show the usage", got.stderr, tc.want)
			}
		})
	}
	for name, value := range map[string]string{envRegistryUsername: "me", envRegistryPlainHTTP: "sometimes"} {
		t.Run("bad "+name, func(t *testing.T) {
			t.Setenv(name, value)
			got := invoke(t, "pull", "localhost:5000/hello:1").must(t, 1)
			if !strings.Contains(got.stderr, "WISP_REGISTRY_") {
				t.Errorf("stderr = %q, want it to name the variable to fix", got.stderr)
			}
		})
	}
}

// TestPushCredentials runs push in an env of the test's own, for stdin
// and the variables, against a registry that needs credentials.
func TestPushCredentials(t *testing.T) {
	reg := startRegistry(t, ocitest.Options{Users: map[string]string{"ci": "t0ken"}})
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"app.wasm": module})
	path, ref := filepath.Join(dir, "app.wasm"), reg.Host+"/team/app:1"
	run := func(stdin string, vars map[string]string, args ...string) result {
		var stdout, stderr bytes.Buffer
		e := &env{
			stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr,
			getenv:    func(k string) string { return vars[k] },
			buildInfo: func() (*debug.BuildInfo, bool) { return nil, false },
		}
		code := e.main(t.Context(), args)
		return result{code, stdout.String(), stderr.String()}
	}
	noConfig := map[string]string{"DOCKER_CONFIG": t.TempDir()}

	denied := run("", noConfig, "push", path, ref).must(t, 1)
	want := "wisp push: unauthorized: " + reg.Host + " needs credentials to push to " + reg.Host + "/team/app, and none were found: " +
		`log in with "docker login ` + reg.Host + `" (or "oras login ` + reg.Host + `"), or pass --username with --password-stdin, or set WISP_REGISTRY_USERNAME and WISP_REGISTRY_PASSWORD` + "\n"
	if !strings.HasSuffix(denied.stderr, want) {
		t.Errorf("push without credentials:\n got %q\nwant %q", denied.stderr, want)
	}
	run("t0ken\n", noConfig, "push", path, ref, "--username", "ci", "--password-stdin").must(t, 0)
	run("", map[string]string{"DOCKER_CONFIG": t.TempDir(), envRegistryUsername: "ci", envRegistryPassword: "t0ken"}, "push", path, ref).must(t, 0)
	wrong := run("nope", noConfig, "push", path, ref, "--username", "ci", "--password-stdin").must(t, 1)
	if !strings.Contains(wrong.stderr, `rejected the explicit credentials of user "ci": check the user name and password`) {
		t.Errorf("push with a wrong password: stderr %q", wrong.stderr)
	}
}
