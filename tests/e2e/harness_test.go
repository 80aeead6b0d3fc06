// Package e2e tests the real `wisp` binary the way a user drives it: a node
// started with `wisp serve` on loopback ports, apps deployed with the CLI,
// requests sent over HTTP. Nothing here calls Wisp's Go API.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// wispBin is the binary under test, built once by TestMain.
var wispBin string

// repoRoot is the repository's top directory.
var repoRoot, _ = filepath.Abs(filepath.Join("..", ".."))

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wisp-e2e-")
	if err != nil {
		panic(err)
	}
	wispBin = filepath.Join(dir, "wisp")
	build := exec.Command("go", "build", "-o", wispBin, "./cmd/wisp")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building wisp: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// node is a running `wisp serve` process.
type node struct {
	t       *testing.T
	data    string
	cmd     *exec.Cmd
	gateway string // http://127.0.0.1:PORT
	admin   string
	token   string
	stdout  *lockedBuffer
	stderr  *lockedBuffer
	done    chan struct{}
	exitErr error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listenLine = regexp.MustCompile(`(?m)^\s+(gateway|admin)\s+(http://\S+)`)

// startNode runs `wisp serve` on free loopback ports with data dir data
// (a new temp dir if ""), plus extra flags, and waits until it is ready.
func startNode(t *testing.T, data string, extra ...string) *node {
	t.Helper()
	if data == "" {
		data = t.TempDir()
	}
	args := append([]string{"serve", "--data", data, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}, extra...)
	n := &node{t: t, data: data, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	n.cmd = exec.Command(wispBin, args...)
	n.cmd.Dir = repoRoot
	n.cmd.Env = append(os.Environ(), "WISP_TOKEN=") // the node makes its own token
	n.cmd.Stderr = n.stderr
	pipe, err := n.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		io.Copy(n.stdout, pipe)
	}()
	go func() {
		n.exitErr = n.cmd.Wait()
		close(n.done)
	}()
	t.Cleanup(n.kill)

	waitFor(t, 60*time.Second, "the node to print its addresses", func() bool {
		m := listenLine.FindAllStringSubmatch(n.stdout.String(), -1)
		for _, l := range m {
			if l[1] == "gateway" {
				n.gateway = l[2]
			} else {
				n.admin = l[2]
			}
		}
		n.checkAlive()
		return n.gateway != "" && n.admin != ""
	})
	waitFor(t, 60*time.Second, "the node to be ready", func() bool {
		n.checkAlive()
		resp, err := http.Get(n.admin + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	token, err := os.ReadFile(filepath.Join(data, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	n.token = strings.TrimSpace(string(token))
	return n
}

func (n *node) checkAlive() {
	select {
	case <-n.done:
		n.t.Fatalf("wisp serve exited: %v\nstdout:\n%s\nstderr:\n%s", n.exitErr, n.stdout, n.stderr)
	default:
	}
}

// kill stops the node with SIGKILL (no draining) and waits for it.
func (n *node) kill() {
	n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
}

// wisp runs a CLI command against this node and returns its stdout,
// stderr and exit code.
func (n *node) wisp(args ...string) (string, string, int) {
	n.t.Helper()
	return runWisp(n.t, []string{"WISP_ADMIN=" + n.admin, "WISP_TOKEN=" + n.token}, args...)
}

// mustWisp runs a CLI command that must succeed.
func (n *node) mustWisp(args ...string) string {
	n.t.Helper()
	out, errOut, code := n.wisp(args...)
	if code != 0 {
		n.t.Fatalf("wisp %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func runWisp(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, wispBin, args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("wisp %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), code
}

// get requests path on the gateway and returns status and body.
func (n *node) get(path string) (int, string) {
	n.t.Helper()
	return n.do("GET", path, "", nil)
}

func (n *node) do(method, path, body string, header map[string]string) (int, string) {
	n.t.Helper()
	req, err := http.NewRequest(method, n.gateway+path, strings.NewReader(body))
	if err != nil {
		n.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fixture is the path of a test module.
func fixture(name string) string { return filepath.Join(repoRoot, "testdata", "wasm", name) }

// lines returns the non-empty lines of s.
func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}
