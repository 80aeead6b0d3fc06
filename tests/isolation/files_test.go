package isolation

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/testnode"
)

// deployedMounts maps each guest mount of the probe apps to the directory
// its bundle was made from.
func deployedMounts() map[string]string {
	m := map[string]string{}
	for _, mt := range mounts {
		m[mt.guest] = filepath.Join(probeDir(), mt.source)
	}
	return m
}

// checkFiles checks filesprobe's answer against the directories mounted
// (guest path to host directory): exactly those preopens, every attempt
// to create a file or directory refused, each listing and file as on the
// host, and, if ref is not "", the answer identical to ref with the
// secrets left out (so descriptor numbers and order match too).
func checkFiles(c call, body, ref string, mounted map[string]string) []string {
	var problems []string
	preopens := map[string]int{} // guest path: write attempts seen
	read := map[string]bool{}    // "DIR NAME" of every file read
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		op, rest, _ := strings.Cut(line, " ")
		switch op {
		case "preopen":
			_, dir, _ := strings.Cut(rest, " ")
			if _, ok := mounted[dir]; !ok {
				problems = append(problems, fmt.Sprintf("unexpected preopen %q", rest))
			}
			preopens[dir] = 0
		case "create", "mkdir":
			dir, _, _ := strings.Cut(rest, " ")
			preopens[dir]++
			if !strings.Contains(rest, ": errno ") {
				problems = append(problems, fmt.Sprintf("%s succeeded: %q (mounts are read-only)", op, line))
			}
		case "list":
			dir, names, _ := strings.Cut(rest, ": ")
			host, ok := mounted[dir]
			if !ok {
				continue // an unexpected preopen, reported as such
			}
			got := strings.Fields(names)
			want, err := listing(host)
			if err != nil {
				problems = append(problems, err.Error())
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				problems = append(problems, fmt.Sprintf("%s holds %q, want %q as bundled", dir, got, want))
			}
		case "read":
			name, content, ok := strings.Cut(rest, "): ")
			dir, file, _ := strings.Cut(name, " ")
			file, _, _ = strings.Cut(file, " (fd ")
			if !ok {
				problems = append(problems, fmt.Sprintf("cannot read a listed file: %q", line))
				continue
			}
			read[dir+" "+file] = true
			host, ok := mounted[dir]
			if !ok {
				continue
			}
			want, err := os.ReadFile(filepath.Join(host, file))
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s/%s is not in the bundle: %v", dir, file, err))
				continue
			}
			if content != string(want[:min(len(want), 256)]) {
				problems = append(problems, fmt.Sprintf("%s/%s holds %q, want %q as bundled", dir, file, content, want))
			}
		default:
			problems = append(problems, fmt.Sprintf("unexpected line %q", line))
		}
	}
	for _, dir := range sortedKeys(mounted) {
		attempts, ok := preopens[dir]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("no preopen for mount %s", dir))
			continue
		case attempts != 4:
			problems = append(problems, fmt.Sprintf("%d write attempts in %s, want 4", attempts, dir))
		}
		files, _ := regularFiles(mounted[dir])
		for _, f := range files {
			if !read[dir+" "+f] {
				problems = append(problems, fmt.Sprintf("no read line for bundled file %s/%s", dir, f))
			}
		}
	}
	if ref != "" {
		problems = append(problems, diffLines(strings.ReplaceAll(body, c.secret, "SECRET"), ref)...)
	}
	return problems
}

// listing returns what fd_readdir lists for dir, sorted: its entries with
// "." and "..".
func listing(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("test bug: %w", err)
	}
	names := []string{".", ".."}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names, nil
}

// regularFiles returns the names of the regular files directly in dir.
func regularFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	return names, err
}

// diffLines reports each line where got and want differ.
func diffLines(got, want string) []string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var problems []string
	for i := range max(len(g), len(w)) {
		if line(g, i) != line(w, i) {
			problems = append(problems, fmt.Sprintf("line %d is %q, want %q as in every other request", i+1, line(g, i), line(w, i)))
		}
	}
	return problems
}

// TestFilesDetectsLeaks shows that checkFiles catches files written by
// another instance: `wisp run` runs the probe twice with a writable host
// directory at /data, so the second run finds what the first created.
func TestFilesDetectsLeaks(t *testing.T) {
	bundled := deployedMounts()
	data := t.TempDir()
	for _, f := range must(regularFiles(bundled["/data"])) {
		if err := os.WriteFile(filepath.Join(data, f), must(os.ReadFile(filepath.Join(bundled["/data"], f))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(c call) string {
		res, err := testnode.CLI{Bin: wispBin, Dir: repoRoot}.Run("run", "--memory", memoryLimit,
			"--dir", bundled["/static"]+":/static:ro", "--dir", data+":/data",
			filepath.Join(probeDir(), "filesprobe.wasm"), "mode="+c.mode, "secret="+c.secret)
		if err != nil {
			t.Fatal(err)
		}
		body, ok := strings.CutPrefix(res.Stdout, "Content-Type: text/plain\n\n")
		if res.Code != 0 || !ok {
			t.Fatalf("wisp run filesprobe.wasm: exit %d\nstdout: %s\nstderr: %s", res.Code, res.Stdout, res.Stderr)
		}
		return body
	}
	wispRun := &app{probe: filesProbe, name: "filesprobe (wisp run)", route: "filesprobe.wasm"}
	first, second := newCall(wispRun, "ok"), newCall(wispRun, "ok")
	run(first)
	body := run(second)

	problems := append(foreignSecrets(second, body), checkFiles(second, body, "", bundled)...)
	all := strings.Join(problems, "\n")
	for _, want := range []string{
		"another request's secret " + first.secret,
		`create succeeded: "create /data iso-shared.txt: ok"`,
		"/data holds [",
		"/data/iso-" + first.secret + ".txt is not in the bundle",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("checkFiles on a second run over a writable directory: no problem containing %q; problems:\n%s\nbody:\n%s", want, all, body)
		}
	}
	if strings.Contains(all, "/static") {
		t.Errorf("checkFiles flags the read-only /static mount, which is as bundled:\n%s", all)
	}
}

// TestFilesAfterEachEnding tries to write in every mount, ending the
// request in each way it can end, and checks that the next request finds
// the bundles as deployed, and nothing another request did.
func TestFilesAfterEachEnding(t *testing.T) {
	f := setup(t)
	f.eachFlavor(t, filesProbe, func(t *testing.T, a *app) {
		ref := f.reference(t, a)
		for _, mode := range []string{"ok", "exit7", "trap", "ok"} {
			c := newCall(a, mode)
			expectClean(t, c, f.do(t, c), ref)
			next := newCall(a, "ok")
			expectClean(t, next, f.do(t, next), ref)
		}
	})
}

// must returns v, panicking on err: for test setup that cannot fail on a
// sane checkout.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
