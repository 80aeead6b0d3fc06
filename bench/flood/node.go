package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
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
	"time"
)

// repoRoot returns the directory of Wisp's go.mod, searched for from the
// working directory upwards, so the program runs from anywhere in the tree.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(mod, []byte("module github.com/wisphq/wisp\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find the repository: no go.mod of github.com/wisphq/wisp in the working directory or above it; run from inside the repository")
		}
		dir = parent
	}
}

// buildWisp builds ./cmd/wisp of the repository at root into dir and
// returns the binary's path.
func buildWisp(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "wisp")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/wisp")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build wisp: %w\n%s", err, out)
	}
	return bin, nil
}

// node is a `wisp serve` process on loopback ports.
type node struct {
	bin     string
	dir     string // working directory of CLI commands
	cmd     *exec.Cmd
	gateway string // http://127.0.0.1:PORT
	admin   string
	token   string
	stderr  *tailBuffer
	done    chan struct{} // closed when the process has exited
	exitErr error
}

var listenLine = regexp.MustCompile(`^\s+(gateway|admin)\s+(http://\S+)`)

// startNode runs `bin serve` with data dir data on free loopback ports and
// waits until it is ready (at most a minute). The caller stops it.
func startNode(ctx context.Context, bin, dir, data string) (*node, error) {
	n := &node{bin: bin, dir: dir, stderr: &tailBuffer{max: 64 << 10}, done: make(chan struct{})}
	n.cmd = exec.Command(bin, "serve", "--data", data, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--grace", "5s")
	n.cmd.Dir = dir
	n.cmd.Env = append(os.Environ(), "WISP_TOKEN=") // the node writes its own token to DATA/admin.token
	n.cmd.Stderr = n.stderr
	stdout, err := n.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := n.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s serve: %w", bin, err)
	}
	addrs := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
				if m[1] == "gateway" {
					n.gateway = m[2]
				} else {
					n.admin = m[2]
				}
				if n.gateway != "" && n.admin != "" {
					close(addrs)
				}
			}
		}
		io.Copy(io.Discard, stdout)
		n.exitErr = n.cmd.Wait()
		close(n.done)
	}()
	fail := func(err error) (*node, error) {
		n.kill()
		return nil, fmt.Errorf("%w\nnode stderr:\n%s", err, n.stderr)
	}
	deadline := time.NewTimer(time.Minute)
	defer deadline.Stop()
	select {
	case <-addrs:
	case <-n.done:
		return fail(fmt.Errorf("wisp serve exited before listening: %v", n.exitErr))
	case <-deadline.C:
		return fail(errors.New("wisp serve printed no addresses within a minute"))
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	for !n.ready() {
		select {
		case <-n.done:
			return fail(fmt.Errorf("wisp serve exited before it was ready: %v", n.exitErr))
		case <-deadline.C:
			return fail(errors.New("wisp serve was not ready within a minute"))
		case <-ctx.Done():
			return fail(ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	token, err := os.ReadFile(filepath.Join(data, "admin.token"))
	if err != nil {
		return fail(err)
	}
	n.token = strings.TrimSpace(string(token))
	return n, nil
}

// ready reports whether GET /readyz answers 200.
func (n *node) ready() bool {
	resp, err := http.Get(n.admin + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// wisp runs a CLI command against the node and returns its stdout.
func (n *node) wisp(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, n.bin, args...)
	cmd.Dir = n.dir
	cmd.Env = append(os.Environ(), "WISP_ADMIN="+n.admin, "WISP_TOKEN="+n.token)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("wisp %s: %w\n%s", strings.Join(args, " "), err, &errOut)
	}
	return out.String(), nil
}

// stop drains the node with SIGTERM and waits for it to exit; after ten
// seconds it kills it.
func (n *node) stop() error {
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
		return n.exitErr
	case <-time.After(10 * time.Second):
		n.kill()
		return errors.New("wisp serve did not exit within 10s of SIGTERM; killed it")
	}
}

// kill stops the node with SIGKILL and waits for it.
func (n *node) kill() {
	n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
}

// tailBuffer keeps the last max bytes written to it: the node logs a line
// per request, and only the end matters when something fails. It is safe
// for concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
