package testnode

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Usage is what a process holds at one moment, as Linux reports it.
type Usage struct {
	RSS int64 // resident memory in bytes (VmRSS)
	FDs int   // open file descriptors
}

// String formats u like "RSS 41.3MiB, 14 fds".
func (u Usage) String() string {
	return fmt.Sprintf("RSS %.1fMiB, %d fds", float64(u.RSS)/(1<<20), u.FDs)
}

// Usage returns the node's current resident memory and open descriptors.
// It needs Linux's /proc.
func (n *Node) Usage() (Usage, error) { return ReadUsage(n.PID()) }

// ReadUsage reads the resident memory (VmRSS in /proc/PID/status) and the
// number of open file descriptors (entries of /proc/PID/fd) of process pid.
func ReadUsage(pid int) (Usage, error) {
	var u Usage
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, fmt.Errorf("read usage of process %d: %w (this needs Linux's /proc)", pid, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	found := false
	for sc.Scan() {
		// "VmRSS:	   11008 kB"
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil {
			return u, fmt.Errorf("read usage of process %d: VmRSS line %q: %w", pid, sc.Text(), err)
		}
		u.RSS, found = kb<<10, true
		break
	}
	if err := sc.Err(); err != nil {
		return u, fmt.Errorf("read usage of process %d: %w", pid, err)
	}
	if !found {
		return u, fmt.Errorf("read usage of process %d: no VmRSS in /proc/%d/status (a zombie?)", pid, pid)
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return u, fmt.Errorf("read usage of process %d: %w", pid, err)
	}
	u.FDs = len(fds)
	return u, nil
}
