package hostile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestManifestConfinement deploys, through the CLI, manifests written to
// make the deployer upload their own files: a module or files source
// outside the manifest's directory, by "..", by an absolute path, or
// through a symbolic link (the module, a files directory, a link inside a
// files directory). Each deploy must fail with the message naming the path
// and the rule, and the node must have stored nothing: no blob holding the
// outside files, no app. A manifest whose links stay inside deploys, which
// shows that the store scan finds what is uploaded.
func TestManifestConfinement(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node; run without -short")
	}
	s := startSuite(t)
	secret := "wisp-hostile-secret-" + randomHex(t)
	wasm, err := os.ReadFile(fixture("version2.wasm"))
	if err != nil {
		t.Fatal(err)
	}

	const (
		head      = "name = \"leak\"\nroutes = [\"/leak\"]\n"
		rule      = ": a manifest may only name files beneath its own directory"
		moduleFix = " (copy the file in, or deploy it by path: wisp deploy FILE.wasm --route ROUTE)\n"
		filesFix  = " (copy the files in)\n"
		linkFix   = " (remove the link, or replace it with a copy of the file if that is meant to be published)\n"
		static    = "[[files]]\nsource = \"static\"\nmount = \"/static\"\n"
	)
	for _, tc := range []struct {
		name  string
		files map[string]string // under BASE/app; "->T" is a symbolic link to T; BASE is replaced
		want  string            // stderr, exactly
	}{
		{
			name:  "module-climbs-out",
			files: map[string]string{"wisp.toml": head + "module = \"../outside.wasm\"\n"},
			want:  `wisp deploy: BASE/app/wisp.toml:3:10: module "../outside.wasm" is outside the manifest's directory BASE/app` + rule + moduleFix,
		},
		{
			name:  "module-absolute",
			files: map[string]string{"wisp.toml": head + "module = \"BASE/outside.wasm\"\n"},
			want:  `wisp deploy: BASE/app/wisp.toml:3:10: module "BASE/outside.wasm" is an absolute path, outside the manifest's directory BASE/app` + rule + moduleFix,
		},
		{
			name:  "files-source-absolute",
			files: map[string]string{"wisp.toml": head + "module = \"app.wasm\"\n[[files]]\nsource = \"BASE/private\"\nmount = \"/static\"\n", "app.wasm": "inside"},
			want:  `wisp deploy: BASE/app/wisp.toml:5:10: files[0].source "BASE/private" is an absolute path, outside the manifest's directory BASE/app` + rule + filesFix,
		},
		{
			name:  "module-linked-out",
			files: map[string]string{"wisp.toml": head + "module = \"app.wasm\"\n", "app.wasm": "->../outside.wasm"},
			want:  `wisp deploy: BASE/app/wisp.toml:3:10: module "app.wasm" resolves to REAL/outside.wasm through a symbolic link, outside the manifest's directory BASE/app` + rule + moduleFix,
		},
		{
			name:  "files-directory-linked-out",
			files: map[string]string{"wisp.toml": head + "module = \"app.wasm\"\n" + static, "app.wasm": "inside", "static": "->BASE/private"},
			want:  `wisp deploy: BASE/app/wisp.toml:5:10: files[0].source "static" resolves to REAL/private through a symbolic link, outside the manifest's directory BASE/app` + rule + filesFix,
		},
		{
			name:  "link-out-inside-files",
			files: map[string]string{"wisp.toml": head + "module = \"app.wasm\"\n" + static, "app.wasm": "inside", "static/index.html": "<h1>leak</h1>", "static/secret.txt": "->../../secret.txt"},
			want:  `wisp deploy: BASE/app/wisp.toml:5:10: files[0].source "static" holds static/secret.txt, which resolves to REAL/secret.txt through a symbolic link, outside the manifest's directory BASE/app` + rule + linkFix,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The deployer's files outside hold a marker of this case's
			// own. The module is one the node would accept, and unlike
			// any other: version2.wasm with the marker in a custom section.
			marker := secret + "-" + tc.name
			outsideModule := append(slices.Clip(wasm), customSection("wisp-hostile", marker)...)
			base := t.TempDir()
			real, err := filepath.EvalSymlinks(base)
			if err != nil {
				t.Fatal(err)
			}
			writeTree(t, base, map[string]string{
				"outside.wasm":    string(outsideModule),
				"secret.txt":      marker + " in secret.txt",
				"private/key.pem": marker + " in private/key.pem",
			})
			files := map[string]string{}
			for name, v := range tc.files {
				if v == "inside" {
					v = string(wasm) // a module of the app's own
				}
				files[filepath.Join("app", name)] = v
			}
			writeTree(t, base, files)

			res := s.wisp(t, "deploy", filepath.Join(base, "app"))
			want := strings.ReplaceAll(strings.ReplaceAll(tc.want, "REAL", real), "BASE", base)
			if res.Code != 1 || res.Stderr != want || res.Stdout != "" {
				t.Errorf("wisp deploy: exit %d\nstdout: %q\nstderr: %q\nwant exit 1, no stdout, stderr %q", res.Code, res.Stdout, res.Stderr, want)
			}
			if found := s.storedHolding(t, marker); len(found) > 0 {
				t.Errorf("the node stored the deployer's files: %s", strings.Join(found, ", "))
			}
			if s.hasBlob(t, outsideModule) {
				t.Errorf("the node stored the outside module")
			}
			if s.lists(t, "leak") {
				t.Errorf("wisp apps lists the refused app")
			}
		})
	}

	// A manifest whose links stay inside deploys; its files reach the
	// store, where storedHolding finds them.
	t.Run("links-inside", func(t *testing.T) {
		base := t.TempDir()
		inside := secret + "-inside"
		// The directory is named after the app, as s.deploy expects.
		writeTree(t, base, map[string]string{
			"leak/wisp.toml":           head + "module = \"app.wasm\"\n" + static,
			"leak/build/app.wasm":      string(wasm),
			"leak/app.wasm":            "->build/app.wasm",
			"leak/web/dist/index.html": inside,
			"leak/static":              "->web/dist",
		})
		s.deploy(t, filepath.Join(base, "leak"))
		if found := s.storedHolding(t, inside); len(found) != 1 {
			t.Errorf("the bundle of the inside files is not in the store once (found %v)", found)
		}
		if !s.lists(t, "leak") {
			t.Errorf("wisp apps does not list the deployed app")
		}
		if status, body := s.get(t, "/leak"); status != 200 || body != "v2\n" {
			t.Errorf("GET /leak = %d %q, want 200 \"v2\\n\"", status, body)
		}
	})
	s.healthy(t)
}

// writeTree creates files (path -> content) under dir; a content "->T"
// makes a symbolic link to T. BASE in a content or target is dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		content = strings.ReplaceAll(content, "BASE", dir)
		if target, ok := strings.CutPrefix(content, "->"); ok {
			err := os.Symlink(filepath.FromSlash(target), path)
			if err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// customSection returns a WebAssembly custom section named name holding
// payload, to append to a module.
func customSection(name, payload string) []byte {
	body := append(uleb(len(name)), name...)
	body = append(body, payload...)
	return append(append([]byte{0}, uleb(len(body))...), body...)
}

// uleb encodes n as an unsigned LEB128.
func uleb(n int) []byte {
	var b []byte
	for {
		c := byte(n & 0x7f)
		if n >>= 7; n != 0 {
			c |= 0x80
		}
		b = append(b, c)
		if n == 0 {
			return b
		}
	}
}

// storedHolding returns the files of the node's data directory whose
// content holds marker: blobs (modules and bundles, which hold their files'
// contents as they are), the database, anything else.
func (s *suite) storedHolding(t *testing.T, marker string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(s.data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(marker)) {
			rel, _ := filepath.Rel(s.data, p)
			found = append(found, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// hasBlob reports whether the node's blob store holds data, by its
// digest: boltstore keeps it at DATA/blobs/sha256/<2 hex>/<64 hex>.
func (s *suite) hasBlob(t *testing.T, data []byte) bool {
	t.Helper()
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	_, err := os.Stat(filepath.Join(s.data, "blobs", "sha256", digest[:2], digest))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return err == nil
}

// lists reports whether `wisp apps` lists the app.
func (s *suite) lists(t *testing.T, app string) bool {
	t.Helper()
	res := s.wisp(t, "apps", "-o", "json")
	if res.Code != 0 {
		t.Fatalf("wisp apps: exit %d: %s", res.Code, res.Stderr)
	}
	var listed []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &listed); err != nil {
		t.Fatalf("wisp apps -o json: %v\n%s", err, res.Stdout)
	}
	for _, a := range listed {
		if a.Name == app {
			return true
		}
	}
	return false
}
