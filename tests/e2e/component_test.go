package e2e

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// component is the path of a component fixture.
func component(name string) string {
	return filepath.Join(repoRoot, "testdata", "components", filepath.FromSlash(name))
}

// TestComponentDeployServesLikeTheModule deploys the jco-wrapped printenv
// component and the bare module with `wisp deploy`, and sends both the
// same GET and POST: the answers are identical but for the route's name.
// A looping component is killed at its timeout (504).
func TestComponentDeployServesLikeTheModule(t *testing.T) {
	n := startNode(t, "")
	n.mustWisp("deploy", fixture("printenv.wasm"), "--name", "bare", "--route", "/bare/...", "--env", "GREETING=hi there")
	n.mustWisp("deploy", component("printenv.wasm"), "--name", "comp", "--route", "/comp/...", "--env", "GREETING=hi there")
	port := regexp.MustCompile(`(?m)^REMOTE_PORT=.*\n`)
	for _, tc := range []struct{ name, method, body string }{
		{"GET", "GET", ""},
		{"POST with a body", "POST", "a=1&b=two"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answer := func(app string) string {
				status, body := n.do(tc.method, "/"+app+"/p?q=1", tc.body, map[string]string{"X-Test": "yes"})
				if status != 200 {
					t.Fatalf("%s %s: status %d: %s", tc.method, app, status, body)
				}
				return port.ReplaceAllString(strings.ReplaceAll(body, "/"+app, "/APP"), "")
			}
			bare, comp := answer("bare"), answer("comp")
			if comp != bare {
				t.Fatalf("answers differ:\ncomponent:\n%s\nmodule:\n%s", comp, bare)
			}
			for _, want := range []string{"GREETING=hi there\n", "REQUEST_METHOD=" + tc.method + "\n", "HTTP_X_TEST=yes\n", "stdin=" + tc.body} {
				if !strings.Contains(comp, want) {
					t.Errorf("answer lacks %q:\n%s", want, comp)
				}
			}
		})
	}
	t.Run("timeout", func(t *testing.T) {
		n.mustWisp("deploy", component("extra/loop.wasm"), "--name", "loop", "--route", "/loop", "--timeout", "300ms")
		status, body := n.get("/loop")
		if status != 504 || !strings.Contains(body, "did not answer within its 300ms timeout") {
			t.Fatalf("status %d: %s", status, body)
		}
		// The node serves on.
		if status, _ := n.get("/comp/x"); status != 200 {
			t.Fatalf("after the timeout: status %d", status)
		}
	})
	t.Run("a reactor component is refused", func(t *testing.T) {
		_, errOut, code := n.wisp("deploy", component("reactor.wasm"), "--name", "reactor", "--route", "/reactor")
		if code == 0 || !strings.Contains(errOut, "not wasi:cli/run@0.2.x") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	})
}

// TestComponentRun runs command components with `wisp run`: arguments,
// environment, stdin and stdout as the bare module gets them, the exit
// code the adapter gives (proc_exit(3) becomes exit(err): 1), a timeout.
func TestComponentRun(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"args and env reach the guest", []string{"run", "--env", "GREETING=hi", component("printenv.wasm"), "one", "two"}, 0, "GREETING=hi\nargv[0]=" + component("printenv.wasm") + "\nargv[1]=one\nargv[2]=two\n", ""},
		{"stderr", []string{"run", component("stderr.wasm")}, 0, "", "log line from guest"},
		{"exit code", []string{"run", component("exit3.wasm")}, 1, "exiting with status 3", ""},
		{"timeout", []string{"run", "--timeout", "200ms", component("extra/loop.wasm")}, 124, "", "timeout"},
		{"cpu limit", []string{"run", "--cpu", "20ms", "--timeout", "1m", component("extra/loop.wasm")}, 152, "", "component stopped at its 20ms CPU limit"},
		{"reactor", []string{"run", component("reactor.wasm")}, 1, "", "not wasi:cli/run@0.2.x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runWisp(t, nil, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errOut, tc.stderr) {
				t.Fatalf("wisp %v: exit %d, stdout %q, stderr %q; want exit %d, stdout containing %q, stderr containing %q",
					tc.args, code, out, errOut, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
	t.Run("same output as the module", func(t *testing.T) {
		bare, _, bcode := runWisp(t, nil, "run", "--env", "A=1", fixture("printenv.wasm"), "x")
		comp, _, ccode := runWisp(t, nil, "run", "--env", "A=1", component("printenv.wasm"), "x")
		bare = strings.Replace(bare, fixture("printenv.wasm"), "FILE", 1)
		comp = strings.Replace(comp, component("printenv.wasm"), "FILE", 1)
		if bcode != 0 || ccode != 0 || bare != comp {
			t.Fatalf("module (exit %d):\n%s\ncomponent (exit %d):\n%s", bcode, bare, ccode, comp)
		}
	})
}
