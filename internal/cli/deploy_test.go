package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/oci/ocitest"
)

// module is a stand-in for a .wasm file: the fake node does not look
// inside modules.
const module = "\x00asm\x01\x00\x00\x00fake module"

// writeFiles creates files (path -> content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDeployModule(t *testing.T) {
	n := newFakeNode(t)
	t.Chdir(t.TempDir())
	writeFiles(t, ".", map[string]string{"hello.wasm": module})

	first := n.invoke(t, "deploy", "hello.wasm", "--route", "/hello", "--route", "/hello/...", "--env", "GREETING=hi", "--timeout", "5s").must(t, 0)
	checkGolden(t, "deploy/module.stdout", first.stdout)
	checkGolden(t, "deploy/module.stderr", first.stderr)

	app := n.apps["hello"]
	spec := app.CurrentVersion().Spec
	if spec.Module != sha([]byte(module)) || formatRoutes(spec.Routes) != "/hello, /hello/..." ||
		spec.Env["GREETING"] != "hi" || spec.Limits.Timeout.String() != "5s" {
		t.Errorf("node got spec %+v", spec)
	}

	// The same deploy again: nothing to upload, nothing new stored.
	again := n.invoke(t, "deploy", "hello.wasm", "--route", "/hello", "--route", "/hello/...", "--env", "GREETING=hi", "--timeout", "5s").must(t, 0)
	if again.stdout != "unchanged: hello is already at version 1\n" {
		t.Errorf("second deploy printed %q", again.stdout)
	}
	if !strings.Contains(again.stderr, "module hello.wasm is already on the node (sha256:") {
		t.Errorf("second deploy should skip the upload; stderr:\n%s", again.stderr)
	}
	if n.uploads != 1 {
		t.Errorf("node got %d uploads, want 1", n.uploads)
	}
}

func TestDeployModuleNameFlag(t *testing.T) {
	n := newFakeNode(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"app.wasm": module})
	// Flags after the positional argument, as the quick start writes them.
	got := n.invoke(t, "deploy", filepath.Join(dir, "app.wasm"), "--name", "hi", "--route", "/hi").must(t, 0)
	if !strings.HasPrefix(got.stdout, "deployed hi version 1 (sha256:") || !strings.HasSuffix(got.stdout, "routes: /hi\n") {
		t.Errorf("stdout = %q", got.stdout)
	}
}

func TestDeployManifest(t *testing.T) {
	n := newFakeNode(t)
	t.Chdir(t.TempDir())
	writeFiles(t, "shop", map[string]string{
		"wisp.toml": `name = "shop"
module = "build/shop.wasm"
routes = ["/shop/..."]

[env]
CURRENCY = "EUR"
SECRET = "hunter2"

[[files]]
source = "static"
mount = "/static"

[limits]
memory = "64MiB"
`,
		"build/shop.wasm":   module,
		"static/index.html": "<h1>shop</h1>",
		"static/css/a.css":  "h1{}",
	})

	got := n.invoke(t, "deploy", "shop", "--output", "json").must(t, 0)
	checkGolden(t, "deploy/manifest.stderr", got.stderr)
	var res wisp.DeployResult
	if err := json.Unmarshal([]byte(got.stdout), &res); err != nil {
		t.Fatalf("--output json printed %q: %v", got.stdout, err)
	}
	if res.Version != 1 || res.Unchanged || res.App.Name != "shop" {
		t.Errorf("result = %+v, want version 1 of shop", res)
	}
	spec := n.apps["shop"].CurrentVersion().Spec
	if len(spec.Files) != 1 || spec.Files[0].Mount != "/static" || n.blobs[spec.Files[0].Bundle] == nil {
		t.Fatalf("node got files %+v; want /static with its uploaded bundle", spec.Files)
	}
	if spec.Env["CURRENCY"] != "EUR" || spec.Limits.Memory.String() != "64MiB" {
		t.Errorf("node got env %v and limits %+v from the manifest", spec.Env, spec.Limits)
	}

	// Flags override the manifest, from inside its directory.
	t.Chdir("shop")
	got = n.invoke(t, "deploy", "--env", "CURRENCY=USD", "--route", "/store/...", "--memory", "32MiB").must(t, 0)
	if !strings.HasPrefix(got.stdout, "deployed shop version 2") {
		t.Errorf("stdout = %q", got.stdout)
	}
	spec = n.apps["shop"].CurrentVersion().Spec
	if spec.Env["CURRENCY"] != "USD" || spec.Env["SECRET"] != "hunter2" || formatRoutes(spec.Routes) != "/store/..." || spec.Limits.Memory.String() != "32MiB" {
		t.Errorf("flags did not override the manifest: env %v routes %v limits %+v", spec.Env, spec.Routes, spec.Limits)
	}
	if !strings.Contains(got.stderr, "files static for /static is already on the node") {
		t.Errorf("the unchanged bundle should not be uploaded again; stderr:\n%s", got.stderr)
	}
	if matches, _ := filepath.Glob(filepath.Join(os.TempDir(), "wisp-bundle-*.tar")); len(matches) > 0 {
		t.Errorf("deploy left temporary bundles behind: %v", matches)
	}
}

func TestDeployErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		args  []string
		want  string
	}{
		{
			name: "no manifest",
			args: []string{"deploy"},
			want: "wisp deploy: no wisp.toml in the current directory: create one, or pass the path of your manifest; or deploy a module directly: wisp deploy FILE.wasm --route /PATH\n",
		},
		{
			name:  "bad manifest",
			files: map[string]string{"wisp.toml": "name = \"x\"\nrotes = [\"/x\"]\n"},
			args:  []string{"deploy"},
			want: "wisp deploy: 2 problems in the manifest:\n" +
				`wisp.toml:2:1: unknown key "rotes"; did you mean "routes"?`,
		},
		{
			name: "missing module",
			args: []string{"deploy", "gone.wasm", "--route", "/gone"},
			want: "wisp deploy: gone.wasm not found: check the path, or build the module first\n",
		},
		{
			name:  "too large",
			files: map[string]string{"big.wasm": module + strings.Repeat("x", maxFakeBlob)},
			args:  []string{"deploy", "big.wasm", "--route", "/big"},
			want:  "wisp deploy: upload module big.wasm: upload is over the node's --max-module-size of 1MiB",
		},
		{
			name:  "invalid limit",
			files: map[string]string{"a.wasm": module},
			args:  []string{"deploy", "a.wasm", "--route", "/a", "--memory", "100KiB"},
			want:  "wisp deploy: limits.memory 102400 bytes is not a multiple of the 64KiB WebAssembly page",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newFakeNode(t)
			t.Chdir(t.TempDir())
			writeFiles(t, ".", tt.files)
			got := n.invoke(t, tt.args...).must(t, 1)
			if !strings.Contains(got.stderr, tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", got.stderr, tt.want)
			}
			if len(n.apps) != 0 {
				t.Errorf("a failed deploy deployed %v", n.apps)
			}
		})
	}
}

// TestDeployTargets checks that deploy decides what PATH is by its
// content, and refuses what is neither a module nor a manifest with advice.
func TestDeployTargets(t *testing.T) {
	elf := "\x7fELF\x02\x01\x01\x00" + strings.Repeat("\x00", 64)
	tests := []struct {
		name  string
		files map[string]string
		args  []string
		code  int
		want  string // stderr, exactly
	}{
		{
			name:  "text file with --route",
			files: map[string]string{"README.md": "# Hello\n\nA module.\n"},
			args:  []string{"deploy", "README.md", "--name", "readme", "--route", "/readme"},
			code:  1,
			want:  `wisp deploy: README.md is not a WebAssembly module (it does not start with "\0asm"); pass a .wasm file, or a wisp.toml / a directory holding one` + "\n",
		},
		{
			name:  "wat file",
			files: map[string]string{"hello.wat": "(module)\n"},
			args:  []string{"deploy", "hello.wat", "--name", "w", "--route", "/w"},
			code:  1,
			want:  "wisp deploy: hello.wat is WebAssembly text: compile it first, e.g. wat2wasm hello.wat -o hello.wasm\n",
		},
		{
			name:  "wat by content",
			files: map[string]string{"app.txt": ";; my app\n(; block (; nested ;) ;)\n  (module $app\n)"},
			args:  []string{"deploy", "app.txt"},
			code:  1,
			want:  "wisp deploy: app.txt is WebAssembly text: compile it first, e.g. wat2wasm app.txt -o app.wasm\n",
		},
		{
			name:  "wasm name without the magic",
			files: map[string]string{"app.wasm": "(module)"[1:]},
			args:  []string{"deploy", "app.wasm", "--route", "/app"},
			code:  1,
			want:  `wisp deploy: app.wasm is not a WebAssembly module (it does not start with "\0asm"); pass a .wasm file, or a wisp.toml / a directory holding one` + "\n",
		},
		{
			name:  "binary",
			files: map[string]string{"wisp": elf + strings.Repeat("x", 1<<20)},
			args:  []string{"deploy", "wisp"},
			code:  1,
			want:  `wisp deploy: wisp is neither a WebAssembly module (it does not start with "\0asm") nor a wisp.toml (it holds binary data); pass a .wasm file with --route, or a wisp.toml / a directory holding one` + "\n",
		},
		{
			name:  "large text",
			files: map[string]string{"notes": strings.Repeat("x = 1\n", 200000)},
			args:  []string{"deploy", "notes"},
			code:  1,
			want:  `wisp deploy: notes is neither a WebAssembly module (it does not start with "\0asm") nor a wisp.toml (it is larger than 1MiB, and a manifest is a few lines); pass a .wasm file with --route, or a wisp.toml / a directory holding one` + "\n",
		},
		{
			name:  "text file read as a manifest",
			files: map[string]string{"README.md": "Hello, world.\n"},
			args:  []string{"deploy", "README.md"},
			code:  1,
			want:  "wisp deploy: README.md:1:6: TOML syntax error: expected '=' after key; is README.md a manifest? pass a wisp.toml or a directory holding one\n",
		},
		{
			name:  "comments read as a manifest",
			files: map[string]string{"README.md": "# Hello\n"},
			args:  []string{"deploy", "README.md"},
			code:  1,
			want:  "wisp deploy: README.md: sets none of the keys of a wisp.toml: is it a manifest? pass a wisp.toml or a directory holding one\n",
		},
		{
			name: "manifest missing a files source",
			files: map[string]string{
				"app/wisp.toml": "name = \"app\"\nmodule = \"app.wasm\"\nroutes = [\"/app\"]\n[[files]]\nsource = \"static\"\nmount = \"/static\"\n",
				"app/app.wasm":  module,
			},
			args: []string{"deploy", "app"},
			code: 1,
			want: "wisp deploy: app/wisp.toml:5:10: files[0].source \"static\" not found next to wisp.toml (looked for DIR/app/static)\n",
		},
		{
			name:  "no path",
			files: map[string]string{},
			args:  []string{"deploy", "nosuch", "--route", "/x"},
			code:  1,
			want:  "wisp deploy: no wisp.toml at nosuch (the path does not exist); or deploy a module directly: wisp deploy FILE.wasm --route /PATH\n",
		},
		{
			name:  "module with any name",
			files: map[string]string{"build/app.bin": module},
			args:  []string{"deploy", "build/app.bin", "--route", "/app"},
			code:  0,
		},
		{
			name: "toml named file with overriding flags",
			files: map[string]string{
				"app.toml": "name = \"app\"\nmodule = \"app.wasm\"\nroutes = [\"/app\"]\n",
				"app.wasm": module,
			},
			args: []string{"deploy", "app.toml", "--route", "/other"},
			code: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newFakeNode(t)
			dir := t.TempDir()
			t.Chdir(dir)
			writeFiles(t, ".", tt.files)
			got := n.invoke(t, tt.args...).must(t, tt.code)
			if tt.code == 0 {
				if len(n.apps) != 1 || n.apps["app"] == nil {
					t.Errorf("node has apps %v, want app alone", n.apps)
				}
				return
			}
			if want := strings.ReplaceAll(tt.want, "DIR", dir); got.stderr != want {
				t.Errorf("stderr = %q\nwant     %q", got.stderr, want)
			}
			if len(n.apps) != 0 {
				t.Errorf("a failed deploy deployed %v", n.apps)
			}
		})
	}
}

func TestLooksLikeWAT(t *testing.T) {
	for text, want := range map[string]bool{
		"(module)":                              true,
		"  \n(module\n  (func))":                true,
		";; comment\n(module $m)":               true,
		"(; a (; nested ;) block ;)(module)":    true,
		"(modules)":                             false,
		";; only a comment":                     false,
		"(; unterminated (module)":              false,
		"name = \"echo\"\n":                     false,
		"\x00asm\x01\x00\x00\x00":               false,
		"(component (core module))":             false,
		"\n\n;; a\n;; b\n\t(module (memory 1))": true,
	} {
		if got := looksLikeWAT([]byte(text)); got != want {
			t.Errorf("looksLikeWAT(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestDeployFromRegistry(t *testing.T) {
	reg := startRegistry(t, ocitest.Options{})
	n := newFakeNode(t)
	ref := reg.Host + "/acme/hello:1.0"
	pushed := pushModule(t, module, ref)
	digestRef := reg.Host + "/acme/hello@" + strings.SplitN(pushed, "@", 2)[1]
	t.Chdir(t.TempDir())
	writeFiles(t, ".", map[string]string{
		"tag/wisp.toml":    "name = \"hello\"\nmodule = \"oci://" + ref + "\"\nroutes = [\"/hello\"]\n",
		"digest/wisp.toml": "name = \"hello\"\nmodule = \"oci://" + digestRef + "\"\nroutes = [\"/hello\"]\n[env]\nPINNED = \"yes\"\n",
	})

	got := n.invoke(t, "deploy", "tag").must(t, 0)
	want := "pulling module " + ref + " (" + shortDigest(sha([]byte(module))) + ", 19B)...\n" +
		"uploading module " + ref + " (19B)...\n" +
		"deploying hello...\n"
	if got.stderr != want {
		t.Errorf("deploy by tag: stderr\n%s\nwant\n%s", got.stderr, want)
	}
	if spec := n.apps["hello"].CurrentVersion().Spec; spec.Module != sha([]byte(module)) || string(n.blobs[spec.Module]) != module {
		t.Errorf("node got module %s; want the pushed one, %s", spec.Module, sha([]byte(module)))
	}

	// The node has the module now: deploying it by digest pulls nothing.
	got = n.invoke(t, "deploy", "digest").must(t, 0)
	if want := "module " + digestRef + " is already on the node (" + shortDigest(sha([]byte(module))) + ")\n"; !strings.HasPrefix(got.stderr, want) {
		t.Errorf("deploy by digest: stderr %q, want it to start with %q", got.stderr, want)
	}
	if !strings.HasPrefix(got.stdout, "deployed hello version 2") || n.uploads != 1 {
		t.Errorf("deploy by digest: stdout %q after %d uploads; want version 2 and no second upload", got.stdout, n.uploads)
	}

	// A reference instead of a file, with flags: the app is named after the repository.
	pushModule(t, module+" greeter", reg.Host+"/acme/greeter:1")
	got = n.invoke(t, "deploy", "oci://"+reg.Host+"/acme/greeter:1", "--route", "/greet").must(t, 0)
	if !strings.HasPrefix(got.stdout, "deployed greeter version 1") {
		t.Errorf("deploy oci://...: stdout %q", got.stdout)
	}
	if matches, _ := filepath.Glob(filepath.Join(os.TempDir(), "wisp-module-*.wasm")); len(matches) > 0 {
		t.Errorf("deploy left pulled modules behind: %v", matches)
	}
}

func TestDeployFromRegistryFailures(t *testing.T) {
	reg := startRegistry(t, ocitest.Options{})
	ref := reg.Host + "/hello:1"
	pushModule(t, module, ref)
	if err := os.WriteFile(reg.BlobPath(sha([]byte(module))), []byte(strings.ToUpper(module)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, module, want string
	}{
		{"tampered module", "oci://" + ref, "wisp deploy: blob " + sha([]byte(module)) + " from " + reg.Host + "/hello does not match its digest: the registry returned tampered or corrupt content\n"},
		{"missing tag", "oci://" + reg.Host + "/hello:2", "wisp deploy: " + reg.Host + "/hello:2 not found in the registry"},
		{"bad reference", "oci://" + reg.Host + "/hello", `wisp.toml:2:10: module "oci://` + reg.Host + `/hello" names no tag or digest`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newFakeNode(t)
			t.Chdir(t.TempDir())
			writeFiles(t, ".", map[string]string{"wisp.toml": "name = \"hello\"\nmodule = \"" + tc.module + "\"\nroutes = [\"/hello\"]\n"})
			got := n.invoke(t, "deploy").must(t, 1)
			if !strings.Contains(got.stderr, tc.want) {
				t.Errorf("stderr = %q, want it to contain %q", got.stderr, tc.want)
			}
			if len(n.apps) != 0 || n.uploads != 0 {
				t.Errorf("a failed deploy deployed %v after %d uploads", n.apps, n.uploads)
			}
		})
	}
}

// confineCase is one manifest of TestDeployConfinement: app/wisp.toml
// names something outside app/, where the deployer keeps files of their
// own.
type confineCase struct {
	name  string
	files map[string]string // under the test's directory; a value "->T" is a symbolic link to T, "BASE" the test's directory
	args  []string          // after "deploy"; default: app
}

// setup makes the case's tree in a new directory, with confineOutside
// beside it, changes into it, and returns a fake node and the deploy's
// arguments.
func (c confineCase) setup(t *testing.T) (n *fakeNode, dir string, args []string) {
	t.Helper()
	n = newFakeNode(t)
	dir = t.TempDir()
	t.Chdir(dir)
	createTree(t, dir, confineOutside)
	createTree(t, dir, c.files)
	if args = c.args; args == nil {
		args = []string{"app"}
	}
	return n, dir, args
}

// confineOutside are the deployer's files outside app/: none of them may
// reach the node.
var confineOutside = map[string]string{
	"outside.wasm":      module + " outside",
	"secret.txt":        "the deployer's secret",
	"private/key.pem":   "the deployer's key",
	"private/notes.txt": "the deployer's notes",
}

// createTree writes files like writeFiles, making a symbolic link of a
// value "->TARGET"; BASE in a value is dir.
func createTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		content = strings.ReplaceAll(content, "BASE", dir)
		target, link := strings.CutPrefix(content, "->")
		if !link {
			writeFiles(t, dir, map[string]string{name: content})
			continue
		}
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.FromSlash(target), path); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDeployConfinement checks that `wisp deploy` refuses a manifest
// naming files outside its directory before reading or uploading anything,
// with the message in testdata/confine/NAME.stderr.golden (BASE for the
// test's directory).
func TestDeployConfinement(t *testing.T) {
	const head = "name = \"app\"\nroutes = [\"/app\"]\n"
	const static = "[[files]]\nsource = \"static\"\nmount = \"/static\"\n"
	for _, tc := range []confineCase{
		{name: "module-climbs-out", files: map[string]string{"app/wisp.toml": head + "module = \"../outside.wasm\"\n"}},
		{name: "module-absolute", files: map[string]string{"app/wisp.toml": head + "module = \"BASE/outside.wasm\"\n"}},
		{name: "module-linked-out", files: map[string]string{"app/wisp.toml": head + "module = \"app.wasm\"\n", "app/app.wasm": "->../outside.wasm"}},
		{name: "module-in-directory-linked-out", files: map[string]string{"app/wisp.toml": head + "module = \"build/outside.wasm\"\n", "app/build": "->BASE"}},
		{name: "source-absolute", files: map[string]string{"app/wisp.toml": head + "module = \"app.wasm\"\n" + "[[files]]\nsource = \"BASE/private\"\nmount = \"/static\"\n", "app/app.wasm": module}},
		{name: "source-climbs-out", files: map[string]string{"app/wisp.toml": head + "module = \"app.wasm\"\n" + "[[files]]\nsource = \"../private\"\nmount = \"/static\"\n", "app/app.wasm": module}},
		{name: "source-linked-out", files: map[string]string{"app/wisp.toml": head + "module = \"app.wasm\"\n" + static, "app/app.wasm": module, "app/static": "->../private"}},
		{name: "source-holds-link-out", files: map[string]string{"app/wisp.toml": head + "module = \"app.wasm\"\n" + static, "app/app.wasm": module, "app/static/index.html": "hi", "app/static/secret.txt": "->BASE/secret.txt"}},
		{name: "manifest-linked-out", files: map[string]string{"elsewhere/wisp.toml": head + "module = \"app.wasm\"\n", "app/wisp.toml": "->../elsewhere/wisp.toml", "app/app.wasm": module}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, dir, args := tc.setup(t)
			got := n.invoke(t, append([]string{"deploy"}, args...)...).must(t, 1)
			real, err := filepath.EvalSymlinks(dir)
			if err != nil {
				t.Fatal(err)
			}
			stderr := strings.ReplaceAll(strings.ReplaceAll(got.stderr, real, "BASE"), dir, "BASE")
			checkGolden(t, "confine/"+tc.name+".stderr", stderr)
			if got.stdout != "" {
				t.Errorf("stdout = %q, want nothing", got.stdout)
			}
			if n.uploads != 0 || len(n.apps) != 0 {
				t.Errorf("a refused deploy uploaded %d blobs and deployed %v", n.uploads, n.apps)
			}
		})
	}
}

// TestDeployConfinementAllows checks what confinement leaves alone:
// symbolic links that stay inside the manifest's directory, and paths the
// user gives on the command line, wherever they are.
func TestDeployConfinementAllows(t *testing.T) {
	const head = "name = \"app\"\nroutes = [\"/app\"]\n"
	for _, tc := range []struct {
		confineCase
		module string // the module the node must get
		bundle string // a file the bundle must hold, "" for no files
	}{
		{
			confineCase: confineCase{name: "module linked inside", files: map[string]string{"app/wisp.toml": head + "module = \"app.wasm\"\n", "app/app.wasm": "->build/app.wasm", "app/build/app.wasm": module + " built"}},
			module:      module + " built",
		},
		{
			confineCase: confineCase{name: "files linked inside", files: map[string]string{"app/wisp.toml": head + "module = \"app.wasm\"\n[[files]]\nsource = \"static\"\nmount = \"/static\"\n", "app/app.wasm": module, "app/static": "->web/dist", "app/web/dist/index.html": "<h1>app</h1>"}},
			module:      module,
			bundle:      "index.html",
		},
		{
			confineCase: confineCase{name: "module outside, given on the command line", args: []string{"outside.wasm", "--name", "app", "--route", "/app"}},
			module:      confineOutside["outside.wasm"],
		},
		{
			confineCase: confineCase{name: "manifest linked out, given on the command line", files: map[string]string{"elsewhere/wisp.toml": head + "module = \"app.wasm\"\n", "app/wisp.toml": "->../elsewhere/wisp.toml", "app/app.wasm": module + " app"}, args: []string{"app/wisp.toml"}},
			module:      module + " app",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, _, args := tc.setup(t)
			n.invoke(t, append([]string{"deploy"}, args...)...).must(t, 0)
			spec := n.apps["app"].CurrentVersion().Spec
			if got := string(n.blobs[spec.Module]); got != tc.module {
				t.Errorf("node got module %q, want %q", got, tc.module)
			}
			if tc.bundle == "" {
				return
			}
			if len(spec.Files) != 1 || !strings.Contains(string(n.blobs[spec.Files[0].Bundle]), tc.bundle) {
				t.Errorf("node got files %+v, want a bundle holding %s", spec.Files, tc.bundle)
			}
		})
	}
}
