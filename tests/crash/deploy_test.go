package crash

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/testnode"
)

// deployRun is a `wisp deploy` running in the background.
type deployRun struct {
	started   time.Time
	deploying chan struct{} // closed when the CLI prints "deploying NAME..." (its uploads are done)
	done      chan struct{} // closed when the CLI has exited
	stdout    bytes.Buffer  // read only after done
	stderr    testnode.Buffer
	exitCode  int // valid after done; -1 if the CLI could not be run
	elapsed   time.Duration
	uploaded  time.Duration // from start to "deploying": valid if deploying is closed
}

// startDeploy starts `wisp deploy ARGS... --output json` against n.
func startDeploy(t *testing.T, n *node, args ...string) *deployRun {
	t.Helper()
	r := &deployRun{deploying: make(chan struct{}), done: make(chan struct{})}
	cmd := n.CLI().Command(context.Background(), append(append([]string{"deploy"}, args...), "--output", "json")...)
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
