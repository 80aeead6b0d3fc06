package engine

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fixture reads a module from testdata/wasm (see testdata/wasm/README.md
// for sources and the build script).
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "wasm", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newEngine(t testing.TB, cacheDir string) *Engine {
	t.Helper()
	e, err := New(Config{CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

func compile(t testing.TB, e *Engine, name string, limit uint64) *Module {
	t.Helper()
	m, err := e.Compile(context.Background(), fixture(t, name), limit)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

func run(t testing.TB, m *Module, timeout time.Duration) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out bytes.Buffer
	err := mustPrepare(t, m, nil, nil).Run(ctx, Call{Args: []string{"x"}, Stdout: &out})
	return out.String(), err
}

func TestCompileRefusesInvalidModules(t *testing.T) {
	e := newEngine(t, "")
	for _, tc := range []struct {
		name, fixture string
		limit         uint64
		want          string
	}{
		{"garbage", "garbage.wasm", 64 << 20, "malformed WebAssembly module"},
		{"truncated", "truncated.wasm", 64 << 20, "the file is truncated"},
		{"no _start", "nostart.wasm", 64 << 20, "module has no exported _start function"},
		{"unknown import", "badimport.wasm", 64 << 20, "module imports env.foo, which this node does not provide"},
		{"memory over limit", "bigmem.wasm", 64 << 20, "module declares more memory than its limit of 64MiB allows"},
		{"start section that never ends", "startloop.wasm", 64 << 20, "start section did not finish within 2s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Compile(context.Background(), fixture(t, tc.fixture), tc.limit)
			if !errors.Is(err, ErrInvalidModule) {
				t.Fatalf("err = %v, want ErrInvalidModule", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestEveryRunIsAFreshInstance(t *testing.T) {
	m := compile(t, newEngine(t, ""), "counter.wasm", 64<<20)
	for i := 0; i < 3; i++ {
		out, err := run(t, m, 5*time.Second)
		if err != nil || !strings.Contains(out, "count=1\n") {
			t.Fatalf("run %d: out %q, err %v; want count=1", i, out, err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := run(t, m, 10*time.Second)
			if err != nil || !strings.Contains(out, "count=1\n") {
				errs <- out
			}
		}()
	}
	wg.Wait()
	close(errs)
	for out := range errs {
		t.Errorf("concurrent run answered %q, want count=1", out)
	}
}

func TestRunOutcomes(t *testing.T) {
	e := newEngine(t, "")
	for _, tc := range []struct {
		name, fixture string
		check         func(t *testing.T, out string, err error)
	}{
		{"trap", "trap.wasm", func(t *testing.T, _ string, err error) {
			var trap *TrapError
			if !errors.As(err, &trap) || !strings.Contains(err.Error(), "unreachable") {
				t.Fatalf("err = %v, want a TrapError about unreachable", err)
			}
		}},
		{"exit code", "exit3.wasm", func(t *testing.T, _ string, err error) {
			var exit *ExitError
			if !errors.As(err, &exit) || exit.Code != 3 {
				t.Fatalf("err = %v, want ExitError{3}", err)
			}
		}},
		{"infinite loop is killed", "loop.wasm", func(t *testing.T, _ string, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want deadline exceeded", err)
			}
		}},
		{"sleep is cut short", "sleep.wasm", func(t *testing.T, out string, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v (out %q), want deadline exceeded", err, out)
			}
		}},
		{"memory growth stops at the limit", "memgrow.wasm", func(t *testing.T, out string, err error) {
			// 4 MiB limit = 64 pages; memgrow grows 16 pages at a time from 1.
			if err != nil || !strings.Contains(out, "grew to 49 pages") {
				t.Fatalf("out %q, err %v; want growth to stop at 49 pages", out, err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := compile(t, e, tc.fixture, 4<<20)
			out, err := run(t, m, 300*time.Millisecond)
			tc.check(t, out, err)
		})
	}
}

func TestNativeCodeIsCachedOnDisk(t *testing.T) {
	dir := t.TempDir()
	e := newEngine(t, dir)
	compile(t, e, "counter.wasm", 64<<20)
	before := cacheFiles(t, dir)
	if len(before) == 0 {
		t.Fatal("no native code written to the cache directory")
	}
	e.Close(context.Background())

	// A new engine (a restarted node) finds the code and writes nothing new.
	e2 := newEngine(t, dir)
	compile(t, e2, "counter.wasm", 64<<20)
	after := cacheFiles(t, dir)
	for path, mod := range after {
		if b, ok := before[path]; !ok || !b.Equal(mod) {
			t.Errorf("cache entry %s was (re)written by the second compile", path)
		}
	}
}

func cacheFiles(t *testing.T, dir string) map[string]time.Time {
	files := map[string]time.Time{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			info, _ := d.Info()
			files[p] = info.ModTime()
		}
		return nil
	})
	return files
}

func TestSameModuleCompilesOnce(t *testing.T) {
	e := newEngine(t, "")
	a := compile(t, e, "counter.wasm", 64<<20)
	b := compile(t, e, "counter.wasm", 64<<20)
	c := compile(t, e, "counter.wasm", 32<<20)
	if a != b {
		t.Error("same bytes and limit compiled twice")
	}
	if a == c {
		t.Error("different memory limits share a module")
	}
}

// mustPrepare prepares m and closes the Prepared when the test ends.
func mustPrepare(tb testing.TB, m *Module, env []string, mounts []Mount) *Prepared {
	tb.Helper()
	p, err := m.Prepare(context.Background(), env, mounts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close(context.Background()) })
	return p
}
