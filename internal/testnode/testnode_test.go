package testnode

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadUsage(t *testing.T) {
	before, err := ReadUsage(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if before.RSS <= 0 || before.FDs <= 0 {
		t.Fatalf("ReadUsage of this process = %+v, want RSS and FDs above 0", before)
	}
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	after, err := ReadUsage(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after.FDs != before.FDs+1 {
		t.Errorf("after opening one file, FDs went from %d to %d", before.FDs, after.FDs)
	}
	if _, err := ReadUsage(-1); err == nil || !strings.Contains(err.Error(), "process -1") {
		t.Errorf("ReadUsage(-1) = %v, want an error naming the process", err)
	}
}

func TestPoll(t *testing.T) {
	calls := 0
	if err := Poll(time.Second, func() (bool, error) { calls++; return calls == 3, nil }); err != nil || calls != 3 {
		t.Errorf("Poll until the third call: err %v after %d calls", err, calls)
	}
	boom := errors.New("boom")
	if err := Poll(time.Second, func() (bool, error) { return false, boom }); !errors.Is(err, boom) {
		t.Errorf("Poll with a failing condition = %v, want %v", err, boom)
	}
	if err := Poll(10*time.Millisecond, func() (bool, error) { return false, nil }); err == nil || !strings.Contains(err.Error(), "10ms") {
		t.Errorf("Poll that never holds = %v, want an error naming the timeout", err)
	}
}

func TestRoot(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Errorf("Root() = %s, which has no go.mod: %v", root, err)
	}
}

func TestDeclaresModule(t *testing.T) {
	for _, tc := range []struct {
		name, mod string
		want      bool
	}{
		{"wisp", "module github.com/wisphq/wisp\n\ngo 1.26\n", true},
		{"quoted, after a comment", "// the platform\nmodule \"github.com/wisphq/wisp\"\n", true},
		{"no trailing newline", "module github.com/wisphq/wisp", true},
		{"another module", "module example.com/guest\n", false},
		{"a module below wisp's path", "module github.com/wisphq/wisp/examples\n", false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := declaresModule(tc.mod); got != tc.want {
				t.Errorf("declaresModule(%q) = %v, want %v", tc.mod, got, tc.want)
			}
		})
	}
}
