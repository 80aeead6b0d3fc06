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
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childDataEnv names the environment variable that makes
// TestServeInCgroupV1Child run: the --data directory of its node.
const childDataEnv = "WISP_TEST_CGROUP_V1_CHILD_DATA"

// TestServeInCgroupV1 checks the memory budget of a real `wisp serve` in
// a cgroup v1 memory cgroup limited to 512MiB: it creates the cgroup at
// the top of the memory hierarchy, starts this test binary in it through
// a shell that moves itself there first (cgroup v1 cannot start a process
// inside a cgroup), lets TestServeInCgroupV1Child run serve, reads the
// banner and stops the node with SIGTERM; the cgroup is removed at the
// end. It needs root and a cgroup v1 memory hierarchy mounted writable,
// and skips otherwise.
func TestServeInCgroupV1(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node in a new cgroup; skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("creating a cgroup needs root")
	}
	mounts, err := readMountInfo(os.DirFS("/"))
	if err != nil {
		t.Skipf("no /proc/self/mountinfo: %v", err)
	}
	mount, ok := findCgroupMount(mounts, "v1", "/")
	if !ok {
		t.Skip("no cgroup v1 memory hierarchy is mounted")
	}
	const limit = 512 << 20
	if top, ok := readCgroupLimit(os.DirFS("/"), path.Join(mount.mountPoint[1:], "memory.limit_in_bytes")); ok && top < limit {
		t.Skipf("the memory hierarchy's top cgroup %s is limited to %d bytes, less than the test's 512MiB", mount.mountPoint, top)
	}
	if total, err := memTotal(os.DirFS("/")); err != nil || total < limit {
		t.Skipf("the machine has less than 512MiB (MemTotal %d, %v)", total, err)
	}
	dir := filepath.Join(mount.mountPoint, fmt.Sprintf("wisp-budget-test-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot create a cgroup: %v", err)
	}
	t.Cleanup(func() { removeCgroup(t, dir) })
	if err := os.WriteFile(filepath.Join(dir, "memory.limit_in_bytes"), []byte(fmt.Sprint(limit)), 0); err != nil {
		t.Fatalf("set the cgroup's limit: %v", err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", `echo $$ > "$0" && exec "$@"`,
		filepath.Join(dir, "cgroup.procs"), os.Args[0], "-test.run=^TestServeInCgroupV1Child$", "-test.count=1")
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
	t.Logf("banner of serve in %s:\n%s", dir, strings.Join(banner, "\n"))
	want := fmt.Sprintf("  memory   budget 384MiB: 3/4 of the cgroup v1 memory limit of 512MiB (%s)", filepath.Join(dir, "memory.limit_in_bytes"))
	if len(banner) == 0 || banner[len(banner)-1] != want {
		t.Errorf("banner:\n%s\nwant its last line:\n%s\nstderr:\n%s", strings.Join(banner, "\n"), want, stderr.String())
	}
}

// TestServeInCgroupV1Child is TestServeInCgroupV1's node: it runs `wisp
// serve` until SIGTERM. It skips unless that test started it.
func TestServeInCgroupV1Child(t *testing.T) {
	data := os.Getenv(childDataEnv)
	if data == "" {
		t.Skip("the node of TestServeInCgroupV1, which starts it")
	}
	args := []string{"wisp", "serve", "--data", data, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}
	if code := Run(context.Background(), args, os.Stdout, os.Stderr); code != 0 {
		t.Fatalf("wisp serve exited with %d", code)
	}
}

// removeCgroup removes the cgroup dir, retrying while its last process is
// still leaving it (rmdir fails with EBUSY meanwhile).
func removeCgroup(t *testing.T, dir string) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := syscall.Rmdir(dir)
		if err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
		if time.Now().After(deadline) {
			procs, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
			t.Errorf("remove the cgroup %s: %v (processes in it: %q)", dir, err, procs)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
