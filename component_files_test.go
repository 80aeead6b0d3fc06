package wisp_test

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/gateway"
	"github.com/wisphq/wisp/internal/bundle"
	"github.com/wisphq/wisp/internal/engine"
)

// probeFiles are the bundles filesprobe is given (testdata/wasm/isolation/files).
var probeFiles = []struct{ dir, mount string }{{"static", "/static"}, {"data", "/data"}}

// TestComponentFilesLikeItsModule deploys filesprobe (it tries to create
// files and directories in every preopen, then lists and reads them) as
// the bare preview 1 module and wrapped into a component by jco new
// (testdata/components/extra/filesprobe.wasm), both with the same two
// file bundles: the component's wasi:filesystem, through the preview 1
// adapter, gives the module's answer byte for byte: the same preopens,
// listings and contents, and the same refusals (EROFS for a create or a
// mkdir, EPERM for an absolute path).
func TestComponentFilesLikeItsModule(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	var files []wisp.FileMount
	for _, f := range probeFiles {
		var blob bytes.Buffer
		if _, err := bundle.Pack(&blob, filepath.Join("testdata", "wasm", "isolation", "files", f.dir), 1<<20); err != nil {
			t.Fatal(err)
		}
		info, err := n.PutBlob(ctx, &blob)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, wisp.FileMount{Mount: f.mount, Bundle: info.Digest})
	}
	for _, app := range []struct{ name, path string }{
		{"bare", "testdata/wasm/isolation/filesprobe.wasm"},
		{"comp", "testdata/components/extra/filesprobe.wasm"},
	} {
		if _, err := n.Deploy(ctx, wisp.AppSpec{Name: app.name, Module: uploadFile(t, n, app.path), Routes: routes(t, "/"+app.name), Files: files}); err != nil {
			t.Fatalf("deploy %s: %v", app.name, err)
		}
	}
	srv := httptest.NewServer(gateway.New(n, nil))
	defer srv.Close()
	get := func(app, query string) string {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL + "/" + app + "?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return strings.ReplaceAll(strings.ReplaceAll(resp.Status+"\n"+string(b), "app "+app+" ", "app APP "), "logs "+app, "logs APP")
	}
	for _, query := range []string{"mode=ok&secret=s1", "mode=exit7&secret=s2"} {
		bare, comp := get("bare", query), get("comp", query)
		if bare != comp {
			t.Errorf("%s: the component answered\n%s\nthe module\n%s", query, comp, bare)
		}
		if !strings.Contains(query, "mode=ok") {
			continue // exit 7: a 500 for both
		}
		for _, want := range []string{
			"preopen 3 /static\n", "create /static iso-shared.txt: errno 69\n", "create /static /iso-s", ": errno 63\n",
			"list /static: . .. hello.txt sub\n", "read /data readme.txt (fd 6): second mount of the isolation probes",
		} {
			if !strings.Contains(comp, want) {
				t.Errorf("%s: the component's answer lacks %q:\n%s", query, want, comp)
			}
		}
	}
}

// TestComponentRunDirConfined runs filesprobe as a component with wisp
// run's read-only --dir over a directory holding a symbolic link out of
// it, to a file and to a directory: the listing shows the links, and
// nothing outside the directory is read (the probe reads regular files
// only; internal/component/wasi's TestSymlinkConfined opens through the
// links and gets not-permitted); and it gives the bare module's answer for the directories without
// links. A writable --dir is refused with what to do.
func TestComponentRunDirConfined(t *testing.T) {
	ctx := context.Background()
	wasm := read(t, "testdata/components/extra/filesprobe.wasm")
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("outside secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("inside"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../"+filepath.Base(outside), filepath.Join(dir, "up")); err != nil {
		t.Fatal(err)
	}
	run := func(wasm []byte, dirs []engine.DirMount) (string, int) {
		t.Helper()
		var out, errOut bytes.Buffer
		opts := engine.CommandOptions{Args: []string{"filesprobe", "mode=ok", "secret=x"}, Dirs: dirs, Stdout: &out, Stderr: &errOut}
		var code int
		var err error
		if wasm == nil {
			code, err = engine.RunCommand(ctx, read(t, "testdata/wasm/isolation/filesprobe.wasm"), opts)
		} else {
			code, err = wisp.RunComponentCommand(ctx, wasm, opts)
		}
		if err != nil {
			t.Fatalf("run: %v (stderr %s)", err, errOut.String())
		}
		return out.String(), code
	}
	out, code := run(wasm, []engine.DirMount{{Host: dir, Guest: "/d", ReadOnly: true}})
	if code != 0 || strings.Contains(out, "outside secret") || !strings.Contains(out, "): inside\n") {
		t.Fatalf("exit %d; the component read outside its directory or missed a.txt:\n%s", code, out)
	}
	if !strings.Contains(out, "list /d: . .. a.txt link.txt up\n") {
		t.Errorf("the listing does not show the links:\n%s", out)
	}
	files := filepath.Join("testdata", "wasm", "isolation", "files")
	var dirs []engine.DirMount
	for _, f := range probeFiles {
		dirs = append(dirs, engine.DirMount{Host: filepath.Join(files, f.dir), Guest: f.mount, ReadOnly: true})
	}
	comp, _ := run(wasm, dirs)
	bare, _ := run(nil, dirs)
	if comp != bare {
		t.Errorf("wisp run: the component answered\n%s\nthe module\n%s", comp, bare)
	}
	_, err := wisp.RunComponentCommand(ctx, wasm, engine.CommandOptions{Dirs: []engine.DirMount{{Host: dir, Guest: "/d"}}})
	if err == nil || !strings.Contains(err.Error(), "add :ro") {
		t.Errorf("a writable --dir: err = %v, want a refusal saying to add :ro", err)
	}
}

// TestComponentSocketsRefused deploys testdata/components/extra/sockets.wasm
// (it imports wasi:sockets and tries to make a TCP socket of each family,
// a UDP socket and a name lookup; testdata/components/src/sockets.wat):
// the deploy succeeds, and every call gets error-code.access-denied (case
// 01), in an HTTP request as under wisp run.
func TestComponentSocketsRefused(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	if _, err := n.Deploy(ctx, wisp.AppSpec{Name: "sockets", Module: uploadFile(t, n, "testdata/components/extra/sockets.wasm"), Routes: routes(t, "/sockets")}); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	srv := httptest.NewServer(gateway.New(n, nil))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/sockets")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	want := "tcp ipv4: error-code 01\ntcp ipv6: error-code 01\nudp ipv4: error-code 01\nresolve example.com: error-code 01\n"
	if resp.StatusCode != 200 || string(b) != want {
		t.Fatalf("status %d, body\n%s\nwant 200 and\n%s", resp.StatusCode, b, want)
	}
}
