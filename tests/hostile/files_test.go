package hostile

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// escapeAttempt is one file system operation fsescape.wasm must fail.
type escapeAttempt struct {
	arg  string // "OP=PATH" as the query element; MARKER is replaced
	line string // how the guest's answer line starts: "OP PATH"
}

// escapeAttempts try to leave the app's read-only /static mount: reads of
// host files through "..", absolute paths and escaped dots, both through
// wasi-libc and with raw path_open on the preopened directory; and every
// way of writing: creating, truncating and appending to files, making
// directories, symlinks and hard links, renaming and removing.
func escapeAttempts(marker string) []escapeAttempt {
	args := []string{
		"read=../etc/passwd",
		"read=/etc/passwd",
		"read=/static/../../etc/passwd",
		"read=/static/../etc/passwd",
		"read=/static/sub/../../../etc/passwd",
		"read=/static/%2e%2e/%2e%2e/etc/passwd",
		"read=/proc/self/environ",
		"list=/",
		"list=..",
		"list=/static/..",
		"list=/static/../..",
		"stat=/etc/passwd",
		"rawopen=../etc/passwd",
		"rawopen=/etc/passwd",
		"rawopen=sub/../../etc/passwd",
		"rawopen=..",
		"write=/static/file.txt",
		"append=/static/file.txt",
		"write=/static/MARKER",
		"write=/static/sub/MARKER",
		"write=/tmp/MARKER",
		"write=../MARKER",
		"write=/static/../MARKER",
		"rawcreate=MARKER",
		"rawcreate=../MARKER",
		"mkdir=/static/MARKER",
		"mkdir=/tmp/MARKER",
		"symlink=/etc/passwd,/static/MARKER",
		"symlink=../../../../etc/passwd,/static/MARKER",
		"link=/static/file.txt,/static/MARKER",
		"rename=/static/file.txt,/static/MARKER",
		"unlink=/static/file.txt",
		"rmdir=/static/sub",
	}
	out := make([]escapeAttempt, len(args))
	for i, a := range args {
		a = strings.ReplaceAll(a, "MARKER", marker)
		op, path, _ := strings.Cut(a, "=")
		path = strings.ReplaceAll(path, "%2e", ".")
		out[i] = escapeAttempt{arg: a, line: op + " " + path + ":"}
	}
	return out
}

const bundledFile = "bundled file of fsescape" // testdata/fsescape/static/file.txt

// testFileEscapes deploys fsescape with a bundled /static and checks that
// every escape attempt fails inside the guest, that no host file was read,
// and that nothing was written anywhere on the host.
func testFileEscapes(t *testing.T, s *suite) {
	s.deploy(t, hostileGuest("fsescape"))
	source := hostileGuest("fsescape/static")
	sourceBefore := snapshot(t, source)
	marker := "wisp-hostile-" + randomHex(t)

	t.Run("inside-the-mount", func(t *testing.T) {
		// The mount works, so the failures below are the sandbox's doing.
		body := s.escape(t, "preopens=", "read=/static/file.txt", "list=/static", "read=/static/sub/../file.txt", "rawopen=file.txt")
		for _, want := range []string{
			"preopens: 3=/static\n",
			"read /static/file.txt: ok 25 bytes: " + bundledFile + "\n",
			"list /static: ok . .. file.txt sub\n",
			"read /static/sub/../file.txt: ok 25 bytes: " + bundledFile + "\n",
			"rawopen file.txt: ok 25 bytes: " + bundledFile + "\n",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("fsescape answer lacks %q:\n%s", want, body)
			}
		}
	})

	t.Run("escapes", func(t *testing.T) {
		attempts := escapeAttempts(marker)
		args := make([]string, len(attempts))
		for i, a := range attempts {
			args[i] = a.arg
		}
		body := s.escape(t, args...)
		for _, a := range attempts {
			line := lineStarting(body, a.line)
			if line == "" {
				t.Errorf("%s: no answer line starting %q in:\n%s", a.arg, a.line, body)
			} else if !strings.Contains(line, ": errno ") {
				t.Errorf("%s succeeded inside the guest: %q", a.arg, line)
			}
		}
		for _, leak := range []string{"root:", "PATH=", "HOME="} {
			if strings.Contains(body, leak) {
				t.Errorf("the answer holds %q, from a host file:\n%s", leak, body)
			}
		}
		t.Logf("fsescape answered:\n%s", body)
	})

	t.Run("bundle-unchanged", func(t *testing.T) {
		body := s.escape(t, "read=/static/file.txt", "list=/static", "list=/static/sub")
		for _, want := range []string{
			"read /static/file.txt: ok 25 bytes: " + bundledFile + "\n",
			"list /static: ok . .. file.txt sub\n",
			"list /static/sub: ok . .. inner.txt\n",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("after the write attempts, the bundle changed: answer lacks %q:\n%s", want, body)
			}
		}
	})

	t.Run("host-unchanged", func(t *testing.T) {
		if after := snapshot(t, source); after != sourceBefore {
			t.Errorf("the bundle's source directory %s changed:\nbefore:\n%s\nafter:\n%s", source, sourceBefore, after)
		}
		// Anything the guest created would carry the marker in its name.
		var found []string
		for _, dir := range []string{s.data, repoRoot, os.TempDir(), "/"} {
			found = append(found, findNamed(t, dir, marker, dir == s.data)...)
		}
		if len(found) > 0 {
			t.Errorf("the guest created host files: %s", strings.Join(found, ", "))
		}
	})

	t.Run("trailing-slash-on-a-file", func(t *testing.T) {
		// POSIX: a path naming a file with a trailing slash is ENOTDIR.
		// Not an escape (it names the app's own file) but a difference
		// from every real file system a guest may rely on.
		body := s.escape(t, "read=/static/file.txt/", "stat=/static/file.txt/", "list=/static/file.txt/")
		var succeeded []string
		for _, prefix := range []string{"read /static/file.txt/:", "stat /static/file.txt/:", "list /static/file.txt/:"} {
			line := lineStarting(body, prefix)
			if line == "" {
				t.Fatalf("no answer line starting %q in:\n%s", prefix, body)
			}
			if !strings.Contains(line, ": errno ") {
				succeeded = append(succeeded, line)
			}
		}
		s.healthy(t)
		if len(succeeded) > 0 {
			t.Errorf("a trailing slash after a bundled file's name must fail with ENOTDIR; these succeeded: %q", succeeded)
		}
	})
	s.healthy(t)
}

// escape asks fsescape to try args and returns its answer, which must be
// a 200.
func (s *suite) escape(t *testing.T, args ...string) string {
	t.Helper()
	r := s.do(t, "GET", "/fsescape?"+strings.Join(args, "&"), nil)
	if r.status != 200 {
		t.Fatalf("fsescape answered %d %q", r.status, r.body)
	}
	return r.body
}

// lineStarting returns the first line of body that starts with prefix.
func lineStarting(body, prefix string) string {
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

func randomHex(t *testing.T) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// snapshot describes every entry below dir: path, type and contents.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b.WriteString(rel + " " + d.Type().String())
		if d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b.WriteString(" " + string(data))
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// findNamed returns the paths of entries whose name contains marker: in
// dir and, if deep, everything below it.
func findNamed(t *testing.T, dir, marker string, deep bool) []string {
	t.Helper()
	var found []string
	if !deep {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.Contains(e.Name(), marker) {
				found = append(found, filepath.Join(dir, e.Name()))
			}
		}
		return found
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.Contains(d.Name(), marker) {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// testCraftedBundles uploads file bundles no `wisp deploy` would pack
// (symlinks, hard links, paths leaving the bundle) straight to the admin
// API; every deploy using one must be refused. A source directory with a
// symlink is refused by the CLI before anything is uploaded.
func testCraftedBundles(t *testing.T, s *suite) {
	module, err := os.ReadFile(fixture("version1.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	moduleDigest := s.putBlob(t, module)
	cases := []struct {
		name  string
		entry tar.Header
		want  string
	}{
		{"symlink", tar.Header{Name: "passwd", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd", Mode: 0o777}, "is a symbolic link"},
		{"relative-symlink", tar.Header{Name: "up", Typeflag: tar.TypeSymlink, Linkname: "../../../..", Mode: 0o777}, "is a symbolic link"},
		{"hard-link", tar.Header{Name: "passwd", Typeflag: tar.TypeLink, Linkname: "/etc/passwd", Mode: 0o644}, "is a hard link"},
		{"dot-dot", tar.Header{Name: "../../escape.txt", Typeflag: tar.TypeReg, Mode: 0o644}, "not a clean relative path"},
		{"absolute", tar.Header{Name: "/etc/cron.d/escape", Typeflag: tar.TypeReg, Mode: 0o644}, "not a clean relative path"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var archive bytes.Buffer
			tw := tar.NewWriter(&archive)
			c.entry.ModTime = time.Unix(0, 0)
			if err := tw.WriteHeader(&c.entry); err != nil {
				t.Fatal(err)
			}
			if err := tw.Close(); err != nil {
				t.Fatal(err)
			}
			spec := map[string]any{
				"name":   "crafted",
				"module": moduleDigest,
				"routes": []string{"/crafted"},
				"files":  []map[string]string{{"mount": "/static", "bundle": s.putBlob(t, archive.Bytes())}},
			}
			status, body := s.admin(t, "PUT", "/v1/apps/crafted", "application/json", mustJSON(t, spec))
			if status != http.StatusBadRequest || !strings.Contains(body, c.want) {
				t.Errorf("deploy with a bundle holding %s: %d %s; want 400 with %q", c.name, status, body, c.want)
			}
			if res := s.wisp(t, "app", "crafted"); res.Code == 0 {
				t.Errorf("the refused app was stored:\n%s", res.Stdout)
			}
		})
	}

	t.Run("symlink-in-source", func(t *testing.T) {
		dir := t.TempDir()
		static := filepath.Join(dir, "static")
		if err := os.Mkdir(static, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/etc/passwd", filepath.Join(static, "passwd")); err != nil {
			t.Fatal(err)
		}
		// A manifest may only name files beneath its own directory.
		if err := os.WriteFile(filepath.Join(dir, "linked.wasm"), module, 0o644); err != nil {
			t.Fatal(err)
		}
		manifest := "name = \"linked\"\nmodule = \"linked.wasm\"\nroutes = [\"/linked\"]\n\n[[files]]\nsource = \"static\"\nmount = \"/static\"\n"
		if err := os.WriteFile(filepath.Join(dir, "wisp.toml"), []byte(manifest), 0o644); err != nil {
			t.Fatal(err)
		}
		res := s.wisp(t, "deploy", dir)
		if res.Code != 1 || !strings.Contains(res.Stderr, "symbolic link") {
			t.Errorf("wisp deploy of a directory with a symlink: exit %d, stderr %q; want exit 1 naming the symbolic link", res.Code, res.Stderr)
		}
	})
	s.healthy(t)
}

// putBlob uploads data to the admin API and returns its digest.
func (s *suite) putBlob(t *testing.T, data []byte) string {
	t.Helper()
	status, body := s.admin(t, "POST", "/v1/blobs", "application/octet-stream", data)
	if status != http.StatusCreated {
		t.Fatalf("POST /v1/blobs: %d %s", status, body)
	}
	var info struct {
		Digest string `json:"digest"`
	}
	if err := json.Unmarshal([]byte(body), &info); err != nil || info.Digest == "" {
		t.Fatalf("POST /v1/blobs answered %s (%v)", body, err)
	}
	return info.Digest
}

// admin sends one authenticated request to the admin API.
func (s *suite) admin(t *testing.T, method, path, contentType string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.n.Admin+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.n.Token)
	req.Header.Set("Content-Type", contentType)
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
