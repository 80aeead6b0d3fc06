package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunPassesTheExitCodeThrough(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"exit code", []string{"run", fixture("exit3.wasm")}, 3, "exiting with status 3", ""},
		{"trap", []string{"run", fixture("trap.wasm")}, 134, "", "unreachable"},
		{"timeout", []string{"run", "--timeout", "200ms", fixture("loop.wasm")}, 124, "", "timeout"},
		{"args and env reach the guest", []string{"run", "--env", "GREETING=hi", fixture("printenv.wasm"), "one", "two"}, 0, "GREETING=hi\n", ""},
		{"not wasm", []string{"run", fixture("garbage.wasm")}, 1, "", "malformed WebAssembly module"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runWisp(t, nil, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errOut, tc.stderr) {
				t.Fatalf("wisp %v: exit %d, stdout %q, stderr %q; want exit %d, stdout containing %q, stderr containing %q",
					tc.args, code, out, errOut, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
	out, _, _ := runWisp(t, nil, "run", fixture("printenv.wasm"), "one", "two")
	if !strings.Contains(out, "argv[1]=one\nargv[2]=two\n") {
		t.Fatalf("guest argv: %q", out)
	}
}

func TestRunMountsADirectory(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "greeting.txt"), []byte("from the host"), 0o644)
	out, errOut, code := runWisp(t, nil, "run", "--dir", dir+":/static", filepath.Join(repoRoot, "examples", "echo", "echo.wasm"))
	if code != 0 || !strings.Contains(out, "from the host") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestJSONLogsHaveOneLinePerRequest(t *testing.T) {
	n := startNode(t, "", "--log-format", "json")
	n.mustWisp("deploy", fixture("version1.wasm"), "--name", "logged", "--route", "/logged")
	n.get("/logged")
	waitFor(t, 10*time.Second, "the request's log line", func() bool {
		for _, line := range lines(n.Stderr.String()) {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil {
				continue
			}
			if rec["msg"] == "request" && rec["app"] == "logged" && rec["status"] == float64(200) && rec["version"] == float64(1) && rec["duration"] != nil {
				return true
			}
		}
		return false
	})
}

func TestVersion(t *testing.T) {
	out, _, code := runWisp(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "wisp ") || !strings.Contains(out, "wazero v") {
		t.Fatalf("wisp version: exit %d %q", code, out)
	}
}
