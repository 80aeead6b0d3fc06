package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/testnode"
)

// TestNewProjectsBuildAndDeploy generates the go and wat projects, builds
// them with their build.sh and the real toolchains (go, wat2wasm), deploys
// them to a real node and asks them for their greeting, before and after
// a variable is changed.
func TestNewProjectsBuildAndDeploy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the wisp binary and Go and WebAssembly text projects")
	}
	for _, tool := range []string{"go", "wat2wasm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed to build the templates: %v (scripts/install-toolchain.sh installs wat2wasm)", tool, err)
		}
	}
	root, err := testnode.Root()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := testnode.Build(root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	n, err := testnode.Start(testnode.Options{Bin: bin, Data: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Kill)
	projects := t.TempDir()
	for _, tc := range []struct {
		lang, greeting string
	}{
		{"go", "Hello from new-go! Visit number %d.\n"},
		{"wat", "Hello from WebAssembly text!\n"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			app := "new-" + tc.lang
			dir := filepath.Join(projects, app)
			invoke(t, "new", tc.lang, dir).must(t, 0)
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
			defer cancel()
			build := exec.CommandContext(ctx, filepath.Join(dir, "build.sh"))
			build.Dir = t.TempDir() // build.sh works from anywhere
			build.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build.sh: %v\n%s", err, out)
			}
			if res, err := n.Wisp("deploy", dir); err != nil || res.Code != 0 {
				t.Fatalf("wisp deploy %s: %v %+v", dir, err, res)
			}
			for i := 1; i <= 2; i++ {
				want := tc.greeting
				if strings.Contains(want, "%d") {
					want = strings.Replace(want, "%d", string(rune('0'+i)), 1)
				}
				status, body, err := n.Get("/" + app)
				if err != nil || status != 200 || body != want {
					t.Fatalf("GET /%s #%d: %d %q, %v; want 200 %q", app, i, status, body, err, want)
				}
			}
			if res, err := n.Wisp("config", "set", app, "greeting=Hi"); err != nil || res.Code != 0 {
				t.Fatalf("wisp config set: %v %+v", err, res)
			}
			status, body, err := n.Get("/" + app)
			if err != nil || status != 200 || !strings.HasPrefix(body, "Hi from ") {
				t.Errorf("GET /%s after wisp config set greeting=Hi: %d %q, %v", app, status, body, err)
			}
		})
	}
}
