package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/testnode"
)

// childDataEnv names the environment variable that makes
// TestServeInCgroupChild run: the --data directory of its node.
const childDataEnv = "WISP_TEST_CGROUP_CHILD_DATA"

// TestServeInCgroup checks the memory budget of a real `wisp serve` in a
// memory cgroup limited to 512MiB (cgroup v1 where the machine has that
// hierarchy, as these machines do, else v2): it starts this test binary in
// the cgroup (testnode.Cgroup), lets TestServeInCgroupChild run serve,
// reads the banner and stops the node with SIGTERM. It needs root and a
// memory controller, and skips otherwise.
func TestServeInCgroup(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node in a new cgroup; skipped with -short")
	}
	const limit = 512 << 20
	cg, err := testnode.NewCgroup(fmt.Sprintf("wisp-budget-test-%d", os.Getpid()), limit)
	if errors.Is(err, testnode.ErrNoCgroup) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cg.Close(); err != nil {
			t.Error(err)
		}
	})

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	bin, args := cg.Wrap(os.Args[0], []string{"-test.run=^TestServeInCgroupChild$", "-test.count=1"})
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), childDataEnv+"="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var banner []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		banner = append(banner, sc.Text())
		if strings.HasPrefix(sc.Text(), "  memory ") {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	io.Copy(io.Discard, stdout) // until the child exits (or the context's end kills it)
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve in the cgroup: %v\nstdout:\n%s\nstderr:\n%s", err, strings.Join(banner, "\n"), stderr.String())
	}
	t.Logf("banner of serve in %s:\n%s", cg.Dir, strings.Join(banner, "\n"))
	want := fmt.Sprintf("  memory   budget 384MiB: 3/4 of the cgroup %s memory limit of 512MiB (%s)", cg.Version(), cg.LimitFile())
	if len(banner) == 0 || banner[len(banner)-1] != want {
		t.Errorf("banner:\n%s\nwant its last line:\n%s\nstderr:\n%s", strings.Join(banner, "\n"), want, stderr.String())
	}
}

// TestServeInCgroupChild is TestServeInCgroup's node: it runs `wisp serve`
// until SIGTERM. It skips unless that test started it.
func TestServeInCgroupChild(t *testing.T) {
	data := os.Getenv(childDataEnv)
	if data == "" {
		t.Skip("the node of TestServeInCgroup, which starts it")
	}
	args := []string{"wisp", "serve", "--data", data, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}
	if code := Run(context.Background(), args, os.Stdout, os.Stderr); code != 0 {
		t.Fatalf("wisp serve exited with %d", code)
	}
}
