package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/engine"
)

// fakeEngine records what `wisp run` asks of the engine and answers with
// a fixed exit code or error.
type fakeEngine struct {
	wasm []byte
	opts engine.CommandOptions
	code int
	err  error
}

func (f *fakeEngine) run(ctx context.Context, wasm []byte, opts engine.CommandOptions) (int, error) {
	f.wasm, f.opts = wasm, opts
	if opts.Stdout != nil {
		io.Copy(opts.Stdout, opts.Stdin) // behaves like cat
	}
	return f.code, f.err
}

// runWith runs the command line with a fake engine and the given stdin.
func runWith(t *testing.T, f *fakeEngine, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{
		stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr,
		getenv:     func(k string) string { return map[string]string{"HOME": "/home/me"}[k] },
		runCommand: f.run,
		buildInfo:  func() (*debug.BuildInfo, bool) { return nil, false },
	}
	code := e.main(t.Context(), args)
	return result{code, stdout.String(), stderr.String()}
}

func TestRunPassesEverythingToTheEngine(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"tool.wasm": module, "data/in.txt": "x"})
	t.Chdir(dir)
	f := &fakeEngine{}
	got := runWith(t, f, "from stdin", "run", "--env", "A=1", "--env", "HOME", "--dir", "data:/data:ro", "--dir", ".",
		"--memory", "64MiB", "--timeout", "2s", "tool.wasm", "--name", "x", "-v", "--", "tail").must(t, 0)

	want := engine.CommandOptions{
		Args:        []string{"tool.wasm", "--name", "x", "-v", "--", "tail"},
		Env:         []string{"A=1", "HOME=/home/me"},
		Dirs:        []engine.DirMount{{Host: "data", Guest: "/data", ReadOnly: true}, {Host: ".", Guest: "."}},
		MemoryLimit: 64 << 20,
		Timeout:     2 * time.Second,
	}
	gotOpts := f.opts
	gotOpts.Stdin, gotOpts.Stdout, gotOpts.Stderr = nil, nil, nil
	if !reflect.DeepEqual(gotOpts, want) {
		t.Errorf("engine options = %+v\nwant %+v", gotOpts, want)
	}
	if string(f.wasm) != module {
		t.Errorf("engine got module %q, want the file's content", f.wasm)
	}
	if got.stdout != "from stdin" {
		t.Errorf("stdout = %q; stdin and stdout should be passed through", got.stdout)
	}
}

func TestRunExitCodes(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.wasm": module})
	t.Chdir(dir)
	tests := []struct {
		name       string
		engine     fakeEngine
		wantCode   int
		wantStderr string
	}{
		{"success", fakeEngine{code: 0}, 0, ""},
		{"guest exit code", fakeEngine{code: 3}, 3, ""},
		{"trap", fakeEngine{code: engine.ExitCodeTrap}, engine.ExitCodeTrap, ""},
		{"timeout", fakeEngine{code: engine.ExitCodeTimeout}, 124, ""},
		{"cannot run", fakeEngine{err: errors.New("module imports env.foo, which wisp does not provide")}, 1,
			"wisp run: a.wasm: module imports env.foo, which wisp does not provide\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runWith(t, &tt.engine, "", "run", "a.wasm").must(t, tt.wantCode)
			if got.stderr != tt.wantStderr {
				t.Errorf("stderr = %q, want %q", got.stderr, tt.wantStderr)
			}
		})
	}
}

func TestRunMissingFiles(t *testing.T) {
	t.Chdir(t.TempDir())
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run", "gone.wasm"}, "wisp run: read the module: open gone.wasm: no such file or directory\n"},
		{[]string{"run", "--dir", "nodir", "gone.wasm"}, "wisp run: --dir nodir: stat nodir: no such file or directory\n"},
	}
	for _, tt := range tests {
		got := runWith(t, &fakeEngine{}, "", tt.args...).must(t, 1)
		if got.stderr != tt.want {
			t.Errorf("%v: stderr = %q, want %q", tt.args, got.stderr, tt.want)
		}
	}
}

func TestParseDirMount(t *testing.T) {
	tests := []struct {
		in      string
		want    engine.DirMount
		wantErr bool
	}{
		{"data", engine.DirMount{Host: "data", Guest: "data"}, false},
		{"data:/d", engine.DirMount{Host: "data", Guest: "/d"}, false},
		{"data:/d:ro", engine.DirMount{Host: "data", Guest: "/d", ReadOnly: true}, false},
		{"data:ro", engine.DirMount{Host: "data", Guest: "data", ReadOnly: true}, false},
		{"data:/d:rw", engine.DirMount{Host: "data", Guest: "/d"}, false},
		{"/a:/b:/c", engine.DirMount{}, true},
		{":/d", engine.DirMount{}, true},
		{"data:", engine.DirMount{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseDirMount(tt.in)
			if (err != nil) != tt.wantErr || err == nil && got != tt.want {
				t.Errorf("parseDirMount(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// The tests below run real modules through Run and the engine. The modules
// are assembled by hand: no toolchain is needed to build them.

// section encodes a module section; every size here fits one LEB128 byte.
func section(id byte, items ...[]byte) []byte {
	body := []byte{byte(len(items))}
	for _, it := range items {
		body = append(body, it...)
	}
	return append([]byte{id, byte(len(body))}, body...)
}

// str encodes a name.
func str(s string) []byte { return append([]byte{byte(len(s))}, s...) }

// cat concatenates byte slices.
func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// helloModule writes "hi\n" to stdout with fd_write, then exits with
// proc_exit(7).
func helloModule() []byte {
	const wasi = "wasi_snapshot_preview1"
	code := []byte{
		0x00,                                              // no locals
		0x41, 1, 0x41, 0, 0x41, 1, 0x41, 8, 0x10, 1, 0x1a, // fd_write(1, iovs=0, 1, nwritten=8); drop
		0x41, 7, 0x10, 0, // proc_exit(7)
		0x0b,
	}
	data := cat([]byte{16, 0, 0, 0, 3, 0, 0, 0}, make([]byte, 8), []byte("hi\n")) // iovec{16, 3} at 0, "hi\n" at 16
	return cat(
		[]byte("\x00asm\x01\x00\x00\x00"),
		section(1, // types
			[]byte{0x60, 1, 0x7f, 0},                         // 0: (i32) -> ()
			[]byte{0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f}, // 1: (i32 i32 i32 i32) -> i32
			[]byte{0x60, 0, 0}),                              // 2: () -> ()
		section(2, // imports
			cat(str(wasi), str("proc_exit"), []byte{0, 0}),
			cat(str(wasi), str("fd_write"), []byte{0, 1})),
		section(3, []byte{2}),    // one function of type 2
		section(5, []byte{0, 1}), // one memory of at least 1 page
		section(7, // exports
			cat(str("_start"), []byte{0, 2}),
			cat(str("memory"), []byte{2, 0})),
		section(10, cat([]byte{byte(len(code))}, code)),
		section(11, cat([]byte{0, 0x41, 0, 0x0b, byte(len(data))}, data)), // active segment at offset 0
	)
}

func TestRunRealModule(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("hello.wasm", helloModule(), 0o644); err != nil {
		t.Fatal(err)
	}
	got := invoke(t, "run", "hello.wasm").must(t, 7)
	if got.stdout != "hi\n" || got.stderr != "" {
		t.Errorf("stdout = %q, stderr = %q; want \"hi\\n\" and nothing", got.stdout, got.stderr)
	}

	if err := os.WriteFile("junk.wasm", []byte("not wasm"), 0o644); err != nil {
		t.Fatal(err)
	}
	got = invoke(t, "run", filepath.Join(".", "junk.wasm")).must(t, 1)
	if !strings.HasPrefix(got.stderr, "wisp run: junk.wasm: ") {
		t.Errorf("stderr = %q", got.stderr)
	}
}

// TestRunExitStatusLikeWasmtime runs fixtures from testdata/wasm through
// the real engine: a trap exits with wasmtime's status, 128+SIGABRT; a
// guest's own status passes through up to 125, and from 126 up (where it
// could pass for a trap, a signal or --timeout) is refused with 1, as
// wasmtime refuses it.
func TestRunExitStatusLikeWasmtime(t *testing.T) {
	fixtures, err := filepath.Abs(filepath.Join("..", "..", "testdata", "wasm"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	trapStatus := 128 + 6 // SIGABRT
	if runtime.GOOS == "windows" {
		trapStatus = 3
	}
	const refused = "wisp run: module exited with status %s; statuses above 125 are reserved"
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string // prefix
	}{
		{"trap", []string{"trap.wasm"}, trapStatus, "wisp run: module trapped: "},
		{"exit 0", []string{"exitcode.wasm", "0"}, 0, ""},
		{"exit 3", []string{"exitcode.wasm", "3"}, 3, ""},
		{"exit 125", []string{"exitcode.wasm", "125"}, 125, ""},
		{"exit 126", []string{"exitcode.wasm", "126"}, 1, fmt.Sprintf(refused, "126")},
		{"exit 134 is not a trap", []string{"exitcode.wasm", "134"}, 1, fmt.Sprintf(refused, "134")},
		{"exit 256 is not a success", []string{"exitcode.wasm", "256"}, 1, fmt.Sprintf(refused, "256")},
		{"the runtime's deadline code is not a timeout", []string{"exitcode.wasm", "4026531839"}, 1, fmt.Sprintf(refused, "4026531839")},
		{"the runtime's cancel code is not an interrupt", []string{"exitcode.wasm", "4294967295"}, 1, fmt.Sprintf(refused, "4294967295")},
		{"timeout", []string{"--timeout", "100ms", "loop.wasm"}, engine.ExitCodeTimeout, "wisp run: module killed after its 100ms timeout\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := slices.Clone(tt.args)
			for i, a := range args {
				if strings.HasSuffix(a, ".wasm") {
					args[i] = filepath.Join(fixtures, a)
				}
			}
			got := invoke(t, append([]string{"run"}, args...)...).must(t, tt.wantCode)
			if !strings.HasPrefix(got.stderr, tt.wantStderr) || tt.wantStderr == "" && got.stderr != "" {
				t.Errorf("stderr = %q, want it to start with %q", got.stderr, tt.wantStderr)
			}
		})
	}
}
