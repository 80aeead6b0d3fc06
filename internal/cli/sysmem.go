package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/wisphq/wisp"
)

// memoryBudget is the --memory-budget in effect and why, for the banner of
// `wisp serve`.
type memoryBudget struct {
	bytes  int64  // 0: no budget
	reason string // such as "3/4 of the machine's 24GiB (no cgroup memory limit)"
}

// String is the banner's form: "384MiB: 3/4 of the cgroup v1 memory limit
// of 512MiB (/sys/fs/cgroup/memory/wisp/memory.limit_in_bytes)", or
// "none (--memory-budget 0)".
func (b memoryBudget) String() string {
	if b.bytes == 0 {
		return "none (" + b.reason + ")"
	}
	return sizeText(b.bytes) + ": " + b.reason
}

// sizeText formats n for people: exactly when it is a round number of
// MiB ("512MiB", "1GiB", "1536MiB"), else rounded ("17.7GiB" is "18GiB").
func sizeText(n int64) string {
	if n%(1<<20) == 0 && n>>20 < 10000 {
		return wisp.ByteSize(n).String()
	}
	return wisp.ByteSize(n).Approx()
}

// resolveMemoryBudget turns the value of --memory-budget into a budget:
// "auto" is 3/4 of what the process may use (see detectMemory, which reads
// root, the file system as seen from "/"), "0" is none, and a size such as
// "200MiB" is taken as it is. When auto cannot find out how much memory
// there is (no /proc/meminfo, as on macOS), the budget is none and the
// reason says why. Errors: a value that is neither auto nor a size.
func resolveMemoryBudget(flag string, root fs.FS) (memoryBudget, error) {
	if flag != "auto" {
		n, err := wisp.ParseByteSize(flag)
		if err != nil {
			return memoryBudget{}, fmt.Errorf("--memory-budget: %w, or auto", err)
		}
		if n == 0 {
			return memoryBudget{reason: "--memory-budget 0"}, nil
		}
		return memoryBudget{bytes: int64(n), reason: "set by --memory-budget"}, nil
	}
	limit, err := detectMemory(root)
	if err != nil {
		return memoryBudget{reason: fmt.Sprintf("--memory-budget auto found no memory size: %v", err)}, nil
	}
	return memoryBudget{bytes: limit.bytes / 4 * 3, reason: "3/4 of " + limit.String()}, nil
}

// memoryLimit is the memory this process may use and where that figure
// comes from.
type memoryLimit struct {
	bytes int64 // what the process may use
	// cgroup is "v1" or "v2" when a cgroup's limit is bytes, "" when the
	// machine's memory is.
	cgroup string
	// file holds the smallest cgroup limit found, as an absolute path; ""
	// when no cgroup sets a limit.
	file string
	// cgroupBytes is that limit, kept when the machine has less memory.
	cgroupBytes int64
}

// String describes the limit: "the cgroup v2 memory limit of 512MiB
// (/sys/fs/cgroup/app/memory.max)", "the machine's 24GiB (no cgroup memory
// limit)" or "the machine's 24GiB (less than the cgroup v1 memory limit of
// 32GiB in FILE)".
func (m memoryLimit) String() string {
	size := sizeText(m.bytes)
	switch {
	case m.cgroup != "":
		return fmt.Sprintf("the cgroup %s memory limit of %s (%s)", m.cgroup, size, m.file)
	case m.file != "":
		return fmt.Sprintf("the machine's %s (less than the cgroup memory limit of %s in %s)", size, sizeText(m.cgroupBytes), m.file)
	}
	return fmt.Sprintf("the machine's %s (no cgroup memory limit)", size)
}

// detectMemory finds how much memory this process may use, reading root,
// the file system as seen from "/" (os.DirFS("/"), or a fixture in
// tests): the smallest memory limit of the process's cgroup and of every
// cgroup above it up to the hierarchy's mount point, in cgroup v2
// (memory.max, "max" for none) and in a cgroup v1 memory hierarchy
// (memory.limit_in_bytes, about 2^63 for none), capped by the machine's
// MemTotal. The cgroups are found through /proc/self/mountinfo (the
// cgroup2 mount, and the cgroup mount with the memory controller, with
// the mount's root, which in a container is often the container's own
// cgroup) and /proc/self/cgroup. Cgroup files that are missing or
// unreadable are passed over: a process outside any limited cgroup gets
// the machine's memory. Errors: neither a cgroup limit nor MemTotal can be
// read.
func detectMemory(root fs.FS) (memoryLimit, error) {
	var limit memoryLimit
	for _, c := range cgroupLimitFiles(root) {
		n, ok := readCgroupLimit(root, c.file)
		if ok && (limit.file == "" || n < limit.cgroupBytes) {
			limit.cgroup, limit.file, limit.cgroupBytes = c.version, "/"+c.file, n
		}
	}
	total, err := memTotal(root)
	switch {
	case err != nil && limit.file == "":
		return memoryLimit{}, err
	case err == nil && (limit.file == "" || total < limit.cgroupBytes):
		limit.bytes, limit.cgroup = total, ""
	default:
		limit.bytes = limit.cgroupBytes
	}
	return limit, nil
}

// cgroupFile is one file that may hold a memory limit of this process.
type cgroupFile struct {
	version string // "v1" or "v2"
	file    string // path in the root file system, without the leading "/"
}

// cgroupLimitFiles lists the files that may hold a memory limit of this
// process: for cgroup v2 and for the v1 memory hierarchy, the limit file
// of the process's cgroup and of each cgroup above it, up to the mount
// point. It returns none when /proc/self/mountinfo or /proc/self/cgroup
// cannot be read (not Linux).
func cgroupLimitFiles(root fs.FS) []cgroupFile {
	mounts, err := readMountInfo(root)
	if err != nil {
		return nil
	}
	procCgroups, err := fs.ReadFile(root, "proc/self/cgroup")
	if err != nil {
		return nil
	}
	var files []cgroupFile
	for line := range strings.Lines(string(procCgroups)) {
		// hierarchy-ID:controller-list:cgroup-path
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		var version, name string
		switch {
		case parts[0] == "0" && parts[1] == "":
			version, name = "v2", "memory.max"
		case hasOption(parts[1], "memory"):
			version, name = "v1", "memory.limit_in_bytes"
		default:
			continue
		}
		mount, ok := findCgroupMount(mounts, version, parts[2])
		if !ok {
			continue
		}
		for _, dir := range cgroupDirs(mount, parts[2]) {
			files = append(files, cgroupFile{version, path.Join(dir, name)})
		}
	}
	return files
}

// mountInfo is the part of a line of /proc/self/mountinfo that locates a
// cgroup hierarchy.
type mountInfo struct {
	root       string // the directory of the file system mounted, such as "/" or "/docker/abc"
	mountPoint string // where, such as "/sys/fs/cgroup/memory"
	fsType     string // such as "cgroup" or "cgroup2"
	options    string // the super block's options, such as "rw,memory"
}

// readMountInfo parses /proc/self/mountinfo (proc(5)):
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// Errors: the file cannot be read.
func readMountInfo(root fs.FS) ([]mountInfo, error) {
	b, err := fs.ReadFile(root, "proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var mounts []mountInfo
	for line := range strings.Lines(string(b)) {
		fields := strings.Fields(line)
		sep := -1
		for i := 6; i < len(fields); i++ { // optional fields end with "-"
			if fields[i] == "-" {
				sep = i
				break
			}
		}
		if len(fields) < 5 || sep < 0 || len(fields) < sep+4 {
			continue
		}
		mounts = append(mounts, mountInfo{
			root: unescapeMountPath(fields[3]), mountPoint: unescapeMountPath(fields[4]),
			fsType: fields[sep+1], options: fields[sep+3],
		})
	}
	return mounts, nil
}

// unescapeMountPath undoes the octal escapes mountinfo writes for space,
// tab, newline and backslash ("\040" for a space).
func unescapeMountPath(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// hasOption reports whether the comma-separated list has opt.
func hasOption(list, opt string) bool {
	for o := range strings.SplitSeq(list, ",") {
		if o == opt {
			return true
		}
	}
	return false
}

// findCgroupMount returns the mount of the cgroup hierarchy (version "v2":
// the cgroup2 file system; "v1": the cgroup file system with the memory
// controller) that shows cgroupPath: the one whose root is the longest
// prefix of it, else the first one.
func findCgroupMount(mounts []mountInfo, version, cgroupPath string) (mountInfo, bool) {
	var found mountInfo
	ok, best := false, -1
	for _, m := range mounts {
		if version == "v2" && m.fsType != "cgroup2" || version == "v1" && (m.fsType != "cgroup" || !hasOption(m.options, "memory")) {
			continue
		}
		if !ok {
			found, ok = m, true
		}
		if _, under := relativeCgroup(m.root, cgroupPath); under && len(m.root) > best {
			found, best = m, len(m.root)
		}
	}
	return found, ok
}

// relativeCgroup returns cgroupPath relative to the mount root, as a clean
// relative path ("." for the root itself), and whether it is below root.
// A path with ".." (a cgroup outside the reader's cgroup namespace, as in
// "/../other") is below no root.
func relativeCgroup(root, cgroupPath string) (string, bool) {
	if strings.Contains("/"+cgroupPath+"/", "/../") {
		return "", false
	}
	root, cgroupPath = path.Clean("/"+root), path.Clean("/"+cgroupPath)
	switch {
	case cgroupPath == root:
		return ".", true
	case root == "/":
		return cgroupPath[1:], true
	}
	if rest, ok := strings.CutPrefix(cgroupPath, root+"/"); ok {
		return rest, true
	}
	return "", false
}

// cgroupDirs returns the directories, in the root file system without the
// leading "/", of the cgroup at cgroupPath and of each one above it up to
// the mount point, innermost first. A cgroup outside the mount's root (as
// seen from another cgroup namespace) gives the mount point alone.
func cgroupDirs(m mountInfo, cgroupPath string) []string {
	top := strings.TrimPrefix(path.Clean("/"+m.mountPoint), "/")
	if top == "" {
		top = "."
	}
	rel, under := relativeCgroup(m.root, cgroupPath)
	if !under || rel == "." {
		return []string{top}
	}
	dirs := []string{path.Join(top, rel)}
	for rel = path.Dir(rel); rel != "."; rel = path.Dir(rel) {
		dirs = append(dirs, path.Join(top, rel))
	}
	return append(dirs, top)
}

// unlimitedV1 is the least cgroup v1 limit taken as none: "unlimited" is
// the largest page count times the page size, 9223372036854771712 with
// 4KiB pages, a little less with larger pages.
const unlimitedV1 = 1 << 62

// readCgroupLimit reads a memory.max or memory.limit_in_bytes file. It
// returns false when the file is missing or unreadable, or sets no limit
// ("max", or a v1 value near 2^63).
func readCgroupLimit(root fs.FS, file string) (int64, bool) {
	b, err := fs.ReadFile(root, file)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n <= 0 || n >= unlimitedV1 {
		return 0, false // "max", or unlimited
	}
	return n, true
}

// memTotal reads MemTotal from /proc/meminfo. Errors: the file is missing
// or has no MemTotal line.
func memTotal(root fs.FS) (int64, error) {
	f, err := root.Open("proc/meminfo")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/meminfo: MemTotal %q: %w", strings.TrimSpace(rest), err)
			}
			return kb << 10, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read /proc/meminfo: %w", err)
	}
	return 0, errors.New("/proc/meminfo has no MemTotal")
}
