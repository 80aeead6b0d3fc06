// Package crash kills the real `wisp` binary with SIGKILL while it deploys
// and checks what it finds after each restart: every app is wholly one
// version, every deploy the CLI acknowledged is still there, and nothing
// half-written is left behind. Like tests/e2e it drives the node only
// through the CLI, HTTP and its data directory; it is skipped with -short.
package crash

import (
	"bufio"
	"bytes"
	"context"
	"flag"
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
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // every test skips itself; no binary needed
	}
	dir, err := os.MkdirTemp("", "wisp-crash-")
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

// lockedBuffer is a bytes.Buffer safe for one writer and concurrent readers.
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
// and waits until it is ready. The test fails if the node exits or is not
// ready within a minute.
func startNode(t *testing.T, data string) *node {
	t.Helper()
	args := []string{"serve", "--data", data, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}
	n := &node{t: t, data: data, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	n.cmd = exec.Command(wispBin, args...)
	n.cmd.Dir = repoRoot
	n.cmd.Env = append(os.Environ(), "WISP_TOKEN=") // the node keeps its token in DATA/admin.token
	n.cmd.Stderr = n.stderr
	pipe, err := n.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	copied := make(chan struct{})
	go func() {
		io.Copy(n.stdout, pipe)
		close(copied)
	}()
	go func() {
		<-copied // Wait closes the pipe; read it to the end first
		n.exitErr = n.cmd.Wait()
		close(n.done)
	}()
	t.Cleanup(n.kill)

	waitFor(t, time.Minute, "the node to print its addresses", func() bool {
		for _, l := range listenLine.FindAllStringSubmatch(n.stdout.String(), -1) {
			if l[1] == "gateway" {
				n.gateway = l[2]
			} else {
				n.admin = l[2]
			}
		}
		n.checkAlive()
		return n.gateway != "" && n.admin != ""
	})
	waitFor(t, time.Minute, "the node to be ready", func() bool {
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

// checkAlive fails the test if the node has exited.
func (n *node) checkAlive() {
	select {
	case <-n.done:
		n.t.Fatalf("wisp serve exited: %v\nstdout:\n%s\nstderr:\n%s", n.exitErr, n.stdout, n.stderr)
	default:
	}
}

// kill stops the node with SIGKILL (no draining) and waits for it to exit.
// Killing a node that has exited already does nothing.
func (n *node) kill() {
	n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
}

// env is the environment that points the CLI at this node.
func (n *node) env() []string {
	return []string{"WISP_ADMIN=" + n.admin, "WISP_TOKEN=" + n.token}
}

// mustWisp runs a CLI command against this node that must succeed, and
// returns its stdout.
func (n *node) mustWisp(args ...string) string {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, wispBin, args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), n.env()...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		n.t.Fatalf("wisp %s: %v\nstdout: %s\nstderr: %s\nnode stderr:\n%s", strings.Join(args, " "), err, &out, &errOut, n.stderr)
	}
	return out.String()
}

// get requests path on the gateway and returns status and body.
func (n *node) get(path string) (int, string) {
	n.t.Helper()
	resp, err := http.Get(n.gateway + path)
	if err != nil {
		n.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		n.t.Fatalf("GET %s: reading the body: %v", path, err)
	}
	return resp.StatusCode, string(b)
}

// waitFor polls cond until it holds, and fails the test if timeout passes first.
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

// deployRun is a `wisp deploy` running in the background.
type deployRun struct {
	started   time.Time
	deploying chan struct{} // closed when the CLI prints "deploying NAME..." (its uploads are done)
	done      chan struct{} // closed when the CLI has exited
	stdout    bytes.Buffer  // read only after done
	stderr    lockedBuffer
	exitCode  int // valid after done; -1 if the CLI could not be run
	elapsed   time.Duration
	uploaded  time.Duration // from start to "deploying": valid if deploying is closed
}

// startDeploy starts `wisp deploy ARGS... --output json` against n.
func startDeploy(t *testing.T, n *node, args ...string) *deployRun {
	t.Helper()
	r := &deployRun{deploying: make(chan struct{}), done: make(chan struct{})}
	cmd := exec.Command(wispBin, append(append([]string{"deploy"}, args...), "--output", "json")...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), n.env()...)
	cmd.Stdout = &r.stdout
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	r.started = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pipe)
		seen := false
		for sc.Scan() {
			fmt.Fprintln(&r.stderr, sc.Text())
			if !seen && strings.HasPrefix(sc.Text(), "deploying ") {
				seen = true
				r.uploaded = time.Since(r.started)
				close(r.deploying)
			}
		}
		io.Copy(io.Discard, pipe)
	}()
	go func() {
		<-scanned
		err := cmd.Wait()
		r.elapsed = time.Since(r.started)
		r.exitCode = 0
		if ee, ok := err.(*exec.ExitError); ok {
			r.exitCode = ee.ExitCode()
		} else if err != nil {
			r.exitCode = -1
		}
		close(r.done)
	}()
	return r
}

// wait waits for the CLI to exit, failing the test after timeout.
func (r *deployRun) wait(t *testing.T, timeout time.Duration) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(timeout):
		t.Fatalf("wisp deploy still running %s after its node died; stderr:\n%s", timeout, &r.stderr)
	}
}
