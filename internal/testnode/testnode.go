// Package testnode runs the real `wisp` binary for end-to-end tests: it
// builds the command, starts `wisp serve` on free loopback ports with its own
// data directory, runs CLI commands against it and reads the process's
// resource usage from /proc. Nothing here calls Wisp's Go API, so tests built
// on it see the node exactly as a user does.
//
// The package does not import "testing": every function returns an error, so
// it works from TestMain (one node for a whole suite) as well as from a test.
// A Node is safe for concurrent use.
package testnode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// Root returns the repository's top directory: the nearest directory at or
// above the working directory that holds a go.mod file.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repository root: no go.mod at or above the working directory; run the tests from inside the repository")
		}
		dir = parent
	}
}

// Build compiles the wisp command (./cmd/wisp of the module at root) into
// dir and returns the binary's path. It runs `go build`, so the first call
// after a change takes a few seconds; later ones use Go's build cache.
func Build(root, dir string) (string, error) {
	bin := filepath.Join(dir, "wisp")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/wisp")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build wisp: %w\n%s", err, out)
	}
	return bin, nil
}

// Options configure Start.
type Options struct {
	// Bin is the wisp binary, from Build. Required.
	Bin string
	// Data is the node's --data directory. Required; the caller creates and
	// removes it, so a test can restart a node on the same data.
	Data string
	// Dir is the working directory of the node and of CLI commands, where
	// relative paths in arguments are resolved. Default: the current one.
	Dir string
	// Args are extra `wisp serve` flags, such as "--deploy", "examples/hello".
	Args []string
	// StartTimeout bounds the wait for the node to be ready. Default 60s.
	StartTimeout time.Duration
}

// Node is a running `wisp serve` process listening on loopback.
type Node struct {
	Bin     string
	Data    string
	Dir     string
	Gateway string // base URL of the gateway, "http://127.0.0.1:PORT"
	Admin   string // base URL of the admin API
	Token   string // the admin API's bearer token
	Stdout  *Buffer
	Stderr  *Buffer

	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has exited
	exitErr error         // set before done is closed
}

var listenLine = regexp.MustCompile(`(?m)^\s+(gateway|admin)\s+(http://\S+)`)

// Start runs `wisp serve --data opts.Data` on free loopback ports and waits
// until /readyz answers 200. The node's own admin token is used (WISP_TOKEN
// is cleared in its environment). If Start fails after the process started,
// the process is killed. Stop the node with Kill.
func Start(opts Options) (*Node, error) {
	if opts.Bin == "" || opts.Data == "" {
		return nil, errors.New("start wisp: Options.Bin and Options.Data are required")
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	args := append([]string{"serve", "--data", opts.Data, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}, opts.Args...)
	n := &Node{Bin: opts.Bin, Data: opts.Data, Dir: opts.Dir, Stdout: &Buffer{}, Stderr: &Buffer{}, done: make(chan struct{})}
	n.cmd = exec.Command(opts.Bin, args...)
	n.cmd.Dir = opts.Dir
	n.cmd.Env = append(os.Environ(), "WISP_TOKEN=")
	n.cmd.Stdout, n.cmd.Stderr = n.Stdout, n.Stderr
	if err := n.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start wisp serve: %w", err)
	}
	go func() {
		n.exitErr = n.cmd.Wait()
		close(n.done)
	}()
	if err := n.waitReady(opts.StartTimeout); err != nil {
		n.Kill()
		return nil, err
	}
	token, err := os.ReadFile(filepath.Join(opts.Data, "admin.token"))
	if err != nil {
		n.Kill()
		return nil, fmt.Errorf("start wisp serve: read the admin token: %w", err)
	}
	n.Token = strings.TrimSpace(string(token))
	return n, nil
}

// waitReady waits for the node to print its addresses and then for /readyz.
func (n *Node) waitReady(timeout time.Duration) error {
	client := &http.Client{Timeout: 5 * time.Second}
	err := Poll(timeout, func() (bool, error) {
		if err := n.Exited(); err != nil {
			return false, err
		}
		if n.Gateway == "" || n.Admin == "" {
			for _, m := range listenLine.FindAllStringSubmatch(n.Stdout.String(), -1) {
				if m[1] == "gateway" {
					n.Gateway = m[2]
				} else {
					n.Admin = m[2]
				}
			}
			if n.Gateway == "" || n.Admin == "" {
				return false, nil
			}
		}
		resp, err := client.Get(n.Admin + "/readyz")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		return fmt.Errorf("start wisp serve: waiting for the node to be ready: %w", err)
	}
	return nil
}

// PID returns the node's process id.
func (n *Node) PID() int { return n.cmd.Process.Pid }

// Exited returns nil while the node runs, and once it has exited an error
// with its exit status and everything it printed.
func (n *Node) Exited() error {
	select {
	case <-n.done:
		return fmt.Errorf("wisp serve exited: %v\nstdout:\n%s\nstderr:\n%s", n.exitErr, n.Stdout, n.Stderr)
	default:
		return nil
	}
}

// Kill stops the node with SIGKILL (no draining) and waits for it to exit.
// Killing a node that has exited does nothing.
func (n *Node) Kill() {
	n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
}

// Result is what a CLI command did.
type Result struct {
	Stdout, Stderr string
	Code           int // exit code
}

// Wisp runs `wisp ARGS...` against this node, as WispContext does, for
// at most two minutes.
func (n *Node) Wisp(args ...string) (Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return n.WispContext(ctx, args...)
}

// WispContext runs `wisp ARGS...` against this node (WISP_ADMIN and
// WISP_TOKEN set) in the node's directory and returns what it printed and
// its exit code. A non-zero exit is not an error; failing to run the
// command, or ctx ending first (the command is killed), is.
func (n *Node) WispContext(ctx context.Context, args ...string) (Result, error) {
	cmd := exec.CommandContext(ctx, n.Bin, args...)
	cmd.Dir = n.Dir
	cmd.Env = append(os.Environ(), "WISP_ADMIN="+n.Admin, "WISP_TOKEN="+n.Token)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	res := Result{Stdout: out.String(), Stderr: errOut.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return res, fmt.Errorf("wisp %s: %w", strings.Join(args, " "), ctx.Err())
	case errors.As(err, &exit):
		res.Code = exit.ExitCode()
	case err != nil:
		return res, fmt.Errorf("wisp %s: %w", strings.Join(args, " "), err)
	}
	return res, nil
}

// Poll calls cond every 20ms until it returns true or an error, or until
// timeout has passed, which is an error naming the timeout.
func Poll(timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still not done after %s", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
