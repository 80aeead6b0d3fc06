package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestDetectMemory(t *testing.T) {
	tests := []struct {
		name    string // a directory of testdata/cgroup (see its README.md)
		want    int64
		wantWhy string
	}{
		{"v2-root", 512 << 20, "the cgroup v2 memory limit of 512MiB (/sys/fs/cgroup/memory.max)"},
		{"v2-nested", 1 << 30, "the cgroup v2 memory limit of 1GiB (/sys/fs/cgroup/kubepods.slice/kubepods-pod1.slice/memory.max)"},
		{"v1-nested", 512 << 20, "the cgroup v1 memory limit of 512MiB (/sys/fs/cgroup/memory/wisp/memory.limit_in_bytes)"},
		{"v1-container", 256 << 20, "the cgroup v1 memory limit of 256MiB (/sys/fs/cgroup/memory/memory.limit_in_bytes)"},
		{"none", 24 << 30, "the machine's 24GiB (no cgroup memory limit)"},
		{"unlimited", 24 << 30, "the machine's 24GiB (no cgroup memory limit)"},
		{"above-machine", 8 << 30, "the machine's 8GiB (less than the cgroup memory limit of 64GiB in /sys/fs/cgroup/big/memory.max)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := detectMemory(os.DirFS(filepath.Join(testdata, "cgroup", tt.name)))
			if err != nil {
				t.Fatal(err)
			}
			if got.bytes != tt.want || got.String() != tt.wantWhy {
				t.Errorf("detectMemory = %d, %q; want %d, %q", got.bytes, got, tt.want, tt.wantWhy)
			}
		})
	}
}

func TestDetectMemoryErrors(t *testing.T) {
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		wantErr string
	}{
		{"nothing to read", fstest.MapFS{}, "open proc/meminfo: file does not exist"},
		{"no MemTotal", fstest.MapFS{"proc/meminfo": {Data: []byte("MemFree: 1 kB\n")}}, "/proc/meminfo has no MemTotal"},
		{"bad MemTotal", fstest.MapFS{"proc/meminfo": {Data: []byte("MemTotal: lots kB\n")}}, `/proc/meminfo: MemTotal "lots kB": `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := detectMemory(tt.fsys)
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("detectMemory = %+v, %v; want error %q", got, err, tt.wantErr)
			}
		})
	}
}

// TestDetectMemoryCgroupWithoutMeminfo: a cgroup limit is enough when
// /proc/meminfo cannot be read.
func TestDetectMemoryCgroupWithoutMeminfo(t *testing.T) {
	fsys := fstest.MapFS{
		"proc/self/mountinfo":            {Data: []byte("35 24 0:30 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")},
		"proc/self/cgroup":               {Data: []byte("0::/app\n")},
		"sys/fs/cgroup/app/memory.max":   {Data: []byte("1048576\n")},
		"sys/fs/cgroup/memory.max":       {Data: []byte("junk\n")},
		"sys/fs/cgroup/app/memory.high":  {Data: []byte("1024\n")},
		"sys/fs/cgroup/other/memory.max": {Data: []byte("1024\n")},
	}
	got, err := detectMemory(fsys)
	if err != nil || got.bytes != 1<<20 || got.file != "/sys/fs/cgroup/app/memory.max" {
		t.Errorf("detectMemory = %+v, %v; want 1MiB from /sys/fs/cgroup/app/memory.max", got, err)
	}
}

func TestCgroupDirs(t *testing.T) {
	tests := []struct {
		name       string
		root, mnt  string
		cgroupPath string
		want       []string
	}{
		{"root", "/", "/sys/fs/cgroup", "/", []string{"sys/fs/cgroup"}},
		{"nested", "/", "/sys/fs/cgroup/memory", "/a/b", []string{"sys/fs/cgroup/memory/a/b", "sys/fs/cgroup/memory/a", "sys/fs/cgroup/memory"}},
		{"mount root is the cgroup", "/docker/x", "/sys/fs/cgroup/memory", "/docker/x", []string{"sys/fs/cgroup/memory"}},
		{"below the mount root", "/docker/x", "/sys/fs/cgroup/memory", "/docker/x/y", []string{"sys/fs/cgroup/memory/y", "sys/fs/cgroup/memory"}},
		{"outside the mount root", "/docker/x", "/sys/fs/cgroup/memory", "/docker/other", []string{"sys/fs/cgroup/memory"}},
		{"outside the namespace", "/", "/sys/fs/cgroup", "/../../other", []string{"sys/fs/cgroup"}},
		{"mount root shares a prefix", "/docker/x", "/cg", "/docker/xy", []string{"cg"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cgroupDirs(mountInfo{root: tt.root, mountPoint: tt.mnt}, tt.cgroupPath)
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("cgroupDirs = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReadMountInfo(t *testing.T) {
	fsys := fstest.MapFS{"proc/self/mountinfo": {Data: []byte(
		"36 35 98:0 /mnt1 /mnt\\040two rw,noatime master:1 shared:2 - cgroup cgroup rw,memory\n" +
			"37 35 98:0 / /x rw - ext4 /dev/sda1 rw\n" +
			"short line\n" +
			"38 35 98:0 /a\\134b /y rw no-separator\n")}}
	got, err := readMountInfo(fsys)
	if err != nil {
		t.Fatal(err)
	}
	want := []mountInfo{
		{root: "/mnt1", mountPoint: "/mnt two", fsType: "cgroup", options: "rw,memory"},
		{root: "/", mountPoint: "/x", fsType: "ext4", options: "rw"},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("readMountInfo = %+v, want %+v", got, want)
	}
}

func TestSizeText(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{512 << 20, "512MiB"}, {1 << 30, "1GiB"}, {1536 << 20, "1536MiB"}, {384 << 20, "384MiB"},
		{24731400 << 10, "24GiB"}, {24731400 << 10 / 4 * 3, "18GiB"}, {20000 << 20, "20GiB"}, {1000, "1000B"},
	}
	for _, tt := range tests {
		if got := sizeText(tt.n); got != tt.want {
			t.Errorf("sizeText(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestResolveMemoryBudget(t *testing.T) {
	tests := []struct {
		name, flag, fixture string
		want                string
		wantErr             string
	}{
		{name: "auto, cgroup v1", flag: "auto", fixture: "v1-nested",
			want: "384MiB: 3/4 of the cgroup v1 memory limit of 512MiB (/sys/fs/cgroup/memory/wisp/memory.limit_in_bytes)"},
		{name: "auto, machine", flag: "auto", fixture: "none", want: "18GiB: 3/4 of the machine's 24GiB (no cgroup memory limit)"},
		{name: "auto, nothing readable", flag: "auto", fixture: "missing",
			want: "none (--memory-budget auto found no memory size: open proc/meminfo: no such file or directory)"},
		{name: "size", flag: "200MiB", want: "200MiB: set by --memory-budget"},
		{name: "zero", flag: "0", want: "none (--memory-budget 0)"},
		{name: "zero with a unit", flag: "0MiB", want: "none (--memory-budget 0)"},
		{name: "bad", flag: "lots", wantErr: `--memory-budget: size "lots" is not a whole non-negative number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveMemoryBudget(tt.flag, os.DirFS(filepath.Join(testdata, "cgroup", tt.fixture)))
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Errorf("resolveMemoryBudget(%q) = %q, %v; want %q", tt.flag, got, err, tt.want)
			}
		})
	}
}
