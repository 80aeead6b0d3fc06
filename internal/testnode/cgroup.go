package testnode

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Cgroup is a memory cgroup made for one node, so a test can run the node
// as it runs in a container with a memory limit: the kernel's OOM killer
// ends it if it takes more. It works with cgroup v2 (the memory controller
// enabled at the root) and with a cgroup v1 memory hierarchy, and needs
// root.
type Cgroup struct {
	Dir   string // the cgroup's directory
	Limit int64  // its memory limit, bytes
	v1    bool
}

// ErrNoCgroup means this machine or user cannot make memory cgroups.
var ErrNoCgroup = errors.New("no memory cgroup can be made here (needs root and cgroup v2 with the memory controller, or a cgroup v1 memory hierarchy)")

// NewCgroup makes a memory cgroup named name with the given limit. Remove
// it with Close once the processes in it have exited. The error wraps
// ErrNoCgroup when cgroups cannot be made here.
func NewCgroup(name string, limit int64) (*Cgroup, error) {
	if os.Geteuid() != 0 {
		return nil, ErrNoCgroup
	}
	var c *Cgroup
	switch {
	case fileExists("/sys/fs/cgroup/memory/memory.limit_in_bytes"):
		c = &Cgroup{Dir: filepath.Join("/sys/fs/cgroup/memory", name), Limit: limit, v1: true}
	case strings.Contains(readTrim("/sys/fs/cgroup/cgroup.subtree_control"), "memory"):
		c = &Cgroup{Dir: filepath.Join("/sys/fs/cgroup", name), Limit: limit}
	default:
		return nil, ErrNoCgroup
	}
	if err := os.Mkdir(c.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoCgroup, err)
	}
	if err := os.WriteFile(c.LimitFile(), []byte(strconv.FormatInt(limit, 10)), 0); err != nil {
		os.Remove(c.Dir)
		return nil, fmt.Errorf("set the limit of cgroup %s: %w", c.Dir, err)
	}
	if !c.v1 {
		// No swap: past its limit the node is killed, as in a container
		// without swap, instead of slowing down.
		os.WriteFile(filepath.Join(c.Dir, "memory.swap.max"), []byte("0"), 0)
	} else {
		os.WriteFile(filepath.Join(c.Dir, "memory.swappiness"), []byte("0"), 0)
	}
	return c, nil
}

// Version is "v1" or "v2", the cgroup version of the memory controller.
func (c *Cgroup) Version() string {
	if c.v1 {
		return "v1"
	}
	return "v2"
}

// LimitFile is the file holding the cgroup's memory limit.
func (c *Cgroup) LimitFile() string {
	if c.v1 {
		return filepath.Join(c.Dir, "memory.limit_in_bytes")
	}
	return filepath.Join(c.Dir, "memory.max")
}

// Wrap returns the command that runs bin with args inside the cgroup: a
// shell that moves itself into it, then execs bin (so the process keeps
// the shell's PID).
func (c *Cgroup) Wrap(bin string, args []string) (string, []string) {
	script := `echo $$ > "$0/cgroup.procs" && exec "$@"`
	return "/bin/sh", append([]string{"-c", script, c.Dir, bin}, args...)
}

// OOMKills is how many processes the kernel's OOM killer has killed in the
// cgroup (v1 before kernel 4.13 does not count: always 0 there).
func (c *Cgroup) OOMKills() int {
	file := "memory.events"
	if c.v1 {
		file = "memory.oom_control"
	}
	for _, line := range strings.Split(readTrim(filepath.Join(c.Dir, file)), "\n") {
		if v, ok := strings.CutPrefix(line, "oom_kill "); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

// Peak is the most memory the cgroup has used, bytes (0 if unknown).
func (c *Cgroup) Peak() int64 {
	file := "memory.peak"
	if c.v1 {
		file = "memory.max_usage_in_bytes"
	}
	n, _ := strconv.ParseInt(readTrim(filepath.Join(c.Dir, file)), 10, 64)
	return n
}

// Close removes the cgroup, waiting up to 5 s for its processes to be
// gone.
func (c *Cgroup) Close() error {
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err = os.Remove(c.Dir); err == nil {
			return nil
		}
	}
	return fmt.Errorf("remove cgroup %s: %w", c.Dir, err)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func readTrim(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}
