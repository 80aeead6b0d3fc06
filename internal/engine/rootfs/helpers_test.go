package rootfs_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// Times the fixtures use: every file of a new layout is last modified at
// oldTime; tests set touchTime and look for it.
var (
	oldTime   = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	touchTime = time.Unix(1e9, 0) // what testdata/escape.c's touch sets
)

// layout builds this tree in a new temporary directory and returns the
// directory and its mnt, the directory tests mount:
//
//	outside/secret.txt     "secret"
//	outside/dir/
//	mnt/hello.txt          "hello"
//	mnt/sub/inner.txt      "inner"
//	mnt/empty/
//	mnt/rel-in      -> sub/inner.txt   (relative, inside)
//	mnt/rel-in-dir  -> sub
//	mnt/dangling    -> nothere
//	mnt/rel-out     -> ../outside      (relative, climbs out)
//	mnt/abs-out     -> BASE/outside    (absolute, outside)
//	mnt/abs-etc     -> /etc
//
// With escapes false it leaves out the three links that leave mnt, so the
// tree is the same wherever it is made.
func layout(t testing.TB, escapes bool) (base, mnt string) {
	t.Helper()
	base = t.TempDir()
	mnt = filepath.Join(base, "mnt")
	for _, d := range []string{"outside/dir", "mnt/sub", "mnt/empty"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, contents := range map[string]string{
		"outside/secret.txt": "secret",
		"mnt/hello.txt":      "hello",
		"mnt/sub/inner.txt":  "inner",
	} {
		p := filepath.Join(base, name)
		if err := os.WriteFile(p, []byte(contents), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, oldTime, oldTime); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"mnt/rel-in":     "sub/inner.txt",
		"mnt/rel-in-dir": "sub",
		"mnt/dangling":   "nothere",
	}
	if escapes {
		links["mnt/rel-out"] = "../outside"
		links["mnt/abs-out"] = filepath.Join(base, "outside")
		links["mnt/abs-etc"] = "/etc"
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(base, name)); err != nil {
			t.Fatal(err)
		}
	}
	return base, mnt
}

// tree describes every entry under dir, without following links, as
// "path: type mode size contents-or-target mtime" lines keyed by path.
// Entries under skip (a path relative to dir) are left out. With
// exactTimes false, times are "old", "touched" or "new", so trees made at
// different moments compare equal, and directory times are left out.
func tree(t testing.TB, dir, skip string, exactTimes bool) map[string]string {
	t.Helper()
	entries := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if skip != "" && (rel == skip || strings.HasPrefix(rel, skip+string(filepath.Separator))) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		desc := fmt.Sprintf("%v %d", info.Mode(), info.Size())
		switch {
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" %q", b)
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			desc = fmt.Sprintf("%v -> %s", info.Mode().Type(), target)
		}
		switch mtime := info.ModTime(); {
		case exactTimes:
			desc += " " + mtime.Format(time.RFC3339Nano)
		case info.IsDir() || info.Mode()&fs.ModeSymlink != 0:
		case mtime.Equal(oldTime):
			desc += " old"
		case mtime.Equal(touchTime):
			desc += " touched"
		default:
			desc += " new"
		}
		entries[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// diffTrees returns the differences between two trees, one line per path,
// or "" if they are the same.
func diffTrees(before, after map[string]string) string {
	var lines []string
	for p, b := range before {
		switch a, ok := after[p]; {
		case !ok:
			lines = append(lines, fmt.Sprintf("removed %s (%s)", p, b))
		case a != b:
			lines = append(lines, fmt.Sprintf("changed %s: %s => %s", p, b, a))
		}
	}
	for p, a := range after {
		if _, ok := before[p]; !ok {
			lines = append(lines, fmt.Sprintf("created %s (%s)", p, a))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
