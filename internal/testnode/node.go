package testnode

import (
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
	"syscall"
	"time"
)

// Options configure Start.
type Options struct {
	// Bin is the wisp binary, from Build or WithBinary. Required.
	Bin string
	// Data is the node's --data directory. Required; the caller removes
	// it, so a test can restart a node on the same data.
	Data string
	// Dir is the working directory of the node and of CLI commands, where
	// relative paths in arguments are resolved. Default: the current one.
	Dir string
	// Args are extra `wisp serve` flags, such as "--deploy", "examples/hello".
	Args []string
	// Env are extra environment variables of the node, KEY=VALUE (such as
	// OTEL_EXPORTER_OTLP_ENDPOINT), after this process's own.
	Env []string
	// StartTimeout bounds the wait for the node to be ready. Default 60s.
	StartTimeout time.Duration
	// Cgroup, if set, is the memory cgroup the node runs in (NewCgroup).
	Cgroup *Cgroup
	// OutputLimit, if above 0, makes Stdout and Stderr keep only the last
	// OutputLimit bytes the node printed to each: for long runs, as the
	// node logs a line per request. Default 0: they keep everything.
	OutputLimit int
}

// Node is a running `wisp serve` process listening on loopback. Its
// methods are safe for concurrent use.
type Node struct {
	Bin, Data, Dir string  // from Options
	Gateway        string  // base URL of the gateway, "http://127.0.0.1:PORT"
	Admin          string  // base URL of the admin API
	Token          string  // the admin API's bearer token
	Stdout, Stderr *Buffer // what the node printed (the tail, with Options.OutputLimit)

	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has exited
	exitErr error         // set before done is closed
}

var listenLine = regexp.MustCompile(`(?m)^\s+(gateway|admin)\s+(http://\S+)`)

// Start is StartContext without a context.
func Start(opts Options) (*Node, error) {
	return StartContext(context.Background(), opts)
}

// StartContext runs `wisp serve --data opts.Data` on free loopback ports,
// waits until it prints its addresses and /readyz answers 200, and reads
// its admin token from DATA/admin.token (WISP_TOKEN is cleared in its
// environment, so the node makes or keeps its own). ctx ends the wait
// early; once StartContext has returned, ctx no longer matters. If it
// fails after the process started, the process is killed and the error
// holds what it printed. Stop the node with Kill or Stop.
func StartContext(ctx context.Context, opts Options) (*Node, error) {
	if opts.Bin == "" || opts.Data == "" {
		return nil, errors.New("start wisp: Options.Bin and Options.Data are required")
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	args := append([]string{"serve", "--data", opts.Data, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}, opts.Args...)
	n := &Node{
		Bin: opts.Bin, Data: opts.Data, Dir: opts.Dir,
		Stdout: &Buffer{max: opts.OutputLimit}, Stderr: &Buffer{max: opts.OutputLimit},
		done: make(chan struct{}),
	}
	bin := opts.Bin
	if opts.Cgroup != nil {
		bin, args = opts.Cgroup.Wrap(bin, args)
	}
	n.cmd = exec.Command(bin, args...)
	n.cmd.Dir = opts.Dir
	n.cmd.Env = append(append(os.Environ(), "WISP_TOKEN="), opts.Env...)
	n.cmd.Stdout, n.cmd.Stderr = n.Stdout, n.Stderr
	if err := n.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start wisp serve: %w", err)
	}
	go func() {
		n.exitErr = n.cmd.Wait()
		close(n.done)
	}()
	if err := n.waitReady(ctx, opts.StartTimeout); err != nil {
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
func (n *Node) waitReady(ctx context.Context, timeout time.Duration) error {
	client := &http.Client{Timeout: 5 * time.Second}
	exited := false
	err := Poll(timeout, func() (bool, error) {
		if err := n.Exited(); err != nil {
			exited = true
			return false, err
		}
		if err := ctx.Err(); err != nil {
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
	if err == nil {
		return nil
	}
	if !exited { // an exit error already holds the output
		err = fmt.Errorf("%w\nstdout:\n%s\nstderr:\n%s", err, n.Stdout, n.Stderr)
	}
	return fmt.Errorf("start wisp serve: waiting for the node to be ready: %w", err)
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

// Signal sends sig to the node, such as syscall.SIGTERM to make it drain
// its requests and exit. It does not wait; see Wait.
func (n *Node) Signal(sig os.Signal) error {
	if err := n.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal wisp serve: %w", err)
	}
	return nil
}

// Wait waits for the node to exit and returns how it ended: nil for exit
// status 0, else the *exec.ExitError. It may be called any number of times.
func (n *Node) Wait() error {
	<-n.done
	return n.exitErr
}

// Stop drains the node: it sends SIGTERM and waits up to grace for the
// node to exit, returning how it ended as Wait does. A node still running
// after grace is killed, and that is an error.
func (n *Node) Stop(grace time.Duration) error {
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
		return n.exitErr
	case <-time.After(grace):
		n.Kill()
		return fmt.Errorf("wisp serve did not exit within %s of SIGTERM; killed it", grace)
	}
}

// Kill stops the node with SIGKILL (no draining) and waits for it to exit.
// Killing a node that has exited does nothing.
func (n *Node) Kill() {
	n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
}

// Get is Request("GET", path, "", nil).
func (n *Node) Get(path string) (status int, body string, err error) {
	return n.Request(http.MethodGet, path, "", nil)
}

// Request sends a request to the gateway for path (with any query) and
// returns the response's status and whole body. It uses
// http.DefaultClient: no timeout, and connections are kept alive.
func (n *Node) Request(method, path, body string, header map[string]string) (status int, respBody string, err error) {
	req, err := http.NewRequest(method, n.Gateway+path, strings.NewReader(body))
	if err != nil {
		return 0, "", fmt.Errorf("%s %s: %w", method, path, err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, string(b), fmt.Errorf("%s %s: read the body: %w", method, path, err)
	}
	return resp.StatusCode, string(b), nil
}
