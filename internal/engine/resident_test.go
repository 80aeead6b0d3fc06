package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
)

// variant returns fixture name with a custom section naming i appended: a
// distinct module (its own hash, its own compiled code) that runs the same.
func variant(t testing.TB, name string, i int) []byte {
	t.Helper()
	payload := fmt.Sprintf("variant-%d", i)
	section := append([]byte{byte(len("wisp"))}, "wisp"...)
	section = append(section, payload...)
	wasm := append(fixture(t, name), 0, byte(len(section))) // id 0: custom
	return append(wasm, section...)
}

// budgetEngine returns an engine with a disk cache keeping at most budget
// bytes of compiled code in memory.
func budgetEngine(t testing.TB, budget int64) *Engine {
	t.Helper()
	e, err := New(Config{CacheDir: t.TempDir(), CodeCache: budget})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

func compileBytes(t testing.TB, e *Engine, wasm []byte) *Module {
	t.Helper()
	m, err := e.Compile(context.Background(), wasm, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

// resident reports whether m's code is in memory.
func resident(m *Module) bool { return m.pins.Load() != evicted }

func TestReleasedModuleRunsAgain(t *testing.T) {
	e := budgetEngine(t, 1) // smaller than any module: none stays once idle
	m := compileBytes(t, e, variant(t, "version1.wasm", 0))
	if resident(m) {
		t.Fatal("module still in memory after Compile with a 1-byte budget")
	}
	for i := range 3 {
		out, err := run(t, m, 5*time.Second)
		if err != nil || !strings.Contains(out, "v1") {
			t.Fatalf("run %d of a released module: out %q, err %v; want v1", i, out, err)
		}
		if resident(m) {
			t.Fatalf("run %d: module still in memory once its instance finished", i)
		}
	}
	if s := e.Stats(); s.Loads != 3 || s.Evictions != 4 || s.Resident != 0 || s.ResidentBytes != 0 {
		t.Errorf("Stats = %+v; want 3 loads, 4 evictions (compile + 3 runs), nothing resident", s)
	}
}

func TestReleasedReactorRunsAgainFromItsBytesOnDisk(t *testing.T) {
	e := budgetEngine(t, 1)
	m := compileBytes(t, e, fixture(t, "reactor.wasm"))
	p := mustPrepare(t, m, nil, nil) // compiles the pre-initialized copy
	if _, err := os.Stat(sourcePath(e.resident.sources, m.key.sum)); err != nil || m.wasm != nil {
		t.Errorf("a reactor's bytes are not on disk only (stat: %v, in memory: %d bytes); with a cache directory they stay on disk", err, len(m.wasm))
	}
	before := e.Stats().Loads
	for i := range 3 {
		var out bytes.Buffer
		if err := p.Run(context.Background(), Call{Args: []string{"r"}, Stdout: &out}); err != nil || !strings.HasSuffix(out.String(), "\n\n6I\n") {
			t.Fatalf("run %d of a released reactor: %q, %v; want 6I", i, out.String(), err)
		}
	}
	if s := e.Stats(); s.Loads-before != 3 || s.Resident != 0 {
		t.Errorf("Stats = %+v, %d loads before the runs; want 3 more loads and nothing in memory", s, before)
	}
}

func TestBudgetIsRespected(t *testing.T) {
	probe := budgetEngine(t, -1)
	cost := compileBytes(t, probe, variant(t, "version1.wasm", 0)).cost
	e := budgetEngine(t, 3*cost) // room for three

	var mods []*Module
	for i := range 8 {
		mods = append(mods, compileBytes(t, e, variant(t, "version1.wasm", i)))
		if s := e.Stats(); s.ResidentBytes > s.Budget || s.Resident > 3 {
			t.Fatalf("after compiling %d modules: %+v, over the budget", i+1, s)
		}
	}
	for round := range 2 {
		for i, m := range mods {
			if out, err := run(t, m, 5*time.Second); err != nil || !strings.Contains(out, "v1") {
				t.Fatalf("round %d, module %d: out %q, err %v", round, i, out, err)
			}
			if !resident(m) {
				t.Errorf("round %d: module %d, just run, is not in memory", round, i)
			}
			if s := e.Stats(); s.ResidentBytes > s.Budget || s.Resident != 3 {
				t.Fatalf("round %d, after running module %d: %+v; want 3 resident within the budget", round, i, s)
			}
		}
	}
	if s := e.Stats(); s.Modules != 8 || s.Loads == 0 || s.Evictions != s.Loads+5 {
		t.Errorf("Stats = %+v; want 8 modules, and every load but the 3 that fit matched by an eviction", s)
	}
}

func TestRecentlyRunModulesStay(t *testing.T) {
	probe := budgetEngine(t, -1)
	cost := compileBytes(t, probe, variant(t, "version1.wasm", 0)).cost
	e := budgetEngine(t, 4*cost)
	hot := compileBytes(t, e, variant(t, "version1.wasm", 0))
	var cold []*Module
	for i := 1; i <= 12; i++ {
		cold = append(cold, compileBytes(t, e, variant(t, "version1.wasm", i)))
	}
	before := e.Stats().Loads
	for i, m := range cold {
		if _, err := run(t, hot, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if _, err := run(t, m, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if !resident(hot) {
			t.Fatalf("the module run between every other one was released after %d others", i+1)
		}
	}
	// The hot module was loaded at most once (it was released while the
	// others were compiled); each cold one once.
	if loads := e.Stats().Loads - before; loads > uint64(len(cold))+1 {
		t.Errorf("%d loads for %d cold modules and one hot one; the hot one was reloaded", loads, len(cold))
	}
}

// blockingReader blocks its first Read until release is closed, after
// closing started; then it reads body.
type blockingReader struct {
	started, release chan struct{}
	once             sync.Once
	body             io.Reader
}

func (r *blockingReader) Read(p []byte) (int, error) {
	r.once.Do(func() {
		close(r.started)
		<-r.release
	})
	return r.body.Read(p)
}

func TestRunningModuleIsNotReleased(t *testing.T) {
	e := budgetEngine(t, 1)
	m := compileBytes(t, e, fixture(t, "../../examples/echo/echo.wasm"))
	p := mustPrepare(t, m, nil, nil)
	stdin := &blockingReader{started: make(chan struct{}), release: make(chan struct{}), body: strings.NewReader("abc")}
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- p.Run(context.Background(), Call{Args: []string{"echo"}, Stdin: stdin, Stdout: &out})
	}()
	<-stdin.started // the instance is running, blocked reading its body

	// Sweep many times over budget: the running module must stay.
	for i := range 5 {
		other := compileBytes(t, e, variant(t, "version1.wasm", i))
		if _, err := run(t, other, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if !resident(m) {
		t.Fatal("the code of a running instance was released")
	}
	close(stdin.release)
	if err := <-done; err != nil || !strings.Contains(out.String(), "body (3 bytes):\nabc") {
		t.Fatalf("run = %v, output %q; want the body echoed", err, out.String())
	}
	if resident(m) {
		t.Error("module still in memory after its last instance finished, over budget")
	}
	if s := e.Stats(); s.Resident != 0 {
		t.Errorf("Stats = %+v; want nothing resident once idle with a 1-byte budget", s)
	}
}

func TestClosedWhileRunningIsReleasedByTheLastInstance(t *testing.T) {
	e := budgetEngine(t, -1)
	m, err := e.Compile(context.Background(), fixture(t, "../../examples/echo/echo.wasm"), 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	compiled, release, err := m.compiledModule(context.Background()) // as a running instance does
	if err != nil {
		t.Fatal(err)
	}
	m.Close(context.Background())
	if !resident(m) {
		t.Fatal("closing the last reference released code an instance runs on")
	}
	mod, err := m.rt.rt.InstantiateModule(context.Background(), compiled, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		t.Fatalf("instantiate pinned code after Close: %v", err)
	}
	mod.Close(context.Background())
	release()
	if resident(m) {
		t.Error("code still in memory after the last instance of a closed module finished")
	}
	if s := e.Stats(); s.Modules != 0 || s.Resident != 0 {
		t.Errorf("Stats = %+v; want no modules", s)
	}
	if _, _, err := m.compiledModule(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("compiledModule of a closed, released module = %v, want ErrClosed", err)
	}
}

func TestConcurrentFirstRunsLoadOnce(t *testing.T) {
	probe := budgetEngine(t, -1)
	cost := compileBytes(t, probe, fixture(t, "../../examples/echo/echo.wasm")).cost
	e := budgetEngine(t, cost) // one echo fits; compiling a second releases the first
	m := compileBytes(t, e, fixture(t, "../../examples/echo/echo.wasm"))
	compileBytes(t, e, variant(t, "../../examples/echo/echo.wasm", 1))
	if resident(m) {
		t.Fatal("module still in memory after another filled the budget")
	}
	p := mustPrepare(t, m, nil, nil)
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			<-start
			var out bytes.Buffer
			err := p.Run(context.Background(), Call{Args: []string{"echo"}, Stdout: &out})
			if err == nil && !strings.Contains(out.String(), "body (0 bytes)") {
				err = fmt.Errorf("output %q", out.String())
			}
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if s := e.Stats(); s.Loads != 1 {
		t.Errorf("16 concurrent first runs loaded the module %d times, want once", s.Loads)
	}
}

func TestWaitingForALoadEndsWithTheContext(t *testing.T) {
	e := budgetEngine(t, 1)
	m := compileBytes(t, e, variant(t, "version1.wasm", 0))
	// Pretend another call is loading the module and never finishes.
	e.resident.mu.Lock()
	m.loading = &reload{done: make(chan struct{})}
	e.resident.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := m.compiledModule(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("compiledModule while another call loads, with a cancelled context = %v, want context.Canceled", err)
	}
	e.resident.mu.Lock()
	m.loading = nil
	e.resident.mu.Unlock()
}

func TestWithoutCacheDirNothingIsReleased(t *testing.T) {
	e, err := New(Config{CodeCache: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	var mods []*Module
	for i := range 3 {
		mods = append(mods, compileBytes(t, e, variant(t, "version1.wasm", i)))
	}
	for i, m := range mods {
		if _, err := run(t, m, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if !resident(m) {
			t.Errorf("module %d released without a disk cache to load it from", i)
		}
	}
	if s := e.Stats(); s.Budget != 0 || s.Evictions != 0 {
		t.Errorf("Stats = %+v; want no budget and no evictions without a CacheDir", s)
	}
}

func TestLoadFailsClearlyWithoutItsSource(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(path string) error
		want   string
	}{
		{"deleted", os.Remove, "was deleted while the node ran; restart the node"},
		{"changed", func(path string) error { return os.WriteFile(path, fixture(t, "version2.wasm"), 0o600) }, "holds other bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := budgetEngine(t, 1)
			m := compileBytes(t, e, variant(t, "version1.wasm", 0))
			if err := tc.damage(sourcePath(e.resident.sources, m.key.sum)); err != nil {
				t.Fatal(err)
			}
			_, err := run(t, m, 5*time.Second)
			if !errors.Is(err, errNoSource) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run = %v; want an error matching errNoSource saying %q", err, tc.want)
			}
		})
	}
}

func TestSourcesAreWrittenOnceAndTempDebrisIsCleaned(t *testing.T) {
	dir := t.TempDir()
	e, err := New(Config{CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	wasm := variant(t, "version1.wasm", 0)
	m := compileBytes(t, e, wasm)
	path := sourcePath(e.resident.sources, m.key.sum)
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, wasm) {
		t.Fatalf("source file: %v; want the module's bytes", err)
	}
	e.Close(context.Background())

	sources := filepath.Join(dir, sourceDirName)
	stale, fresh := filepath.Join(sources, tempPrefix+"stale"), filepath.Join(sources, tempPrefix+"fresh")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleTempAge)
	os.Chtimes(stale, old, old)
	e2, err := New(Config{CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close(context.Background())
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temporary file survived New: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("recent temporary file (maybe another engine's write in progress) was deleted: %v", err)
	}
}

// BenchmarkColdRun measures a run whose compiled code is not in memory:
// load it from disk (read the module, decode it, map the native code from
// wazero's cache), instantiate, run, and release it again.
func BenchmarkColdRun(b *testing.B) {
	e := budgetEngine(b, 1)
	const modules = 64
	var prepared []*Prepared
	for i := range modules {
		m := compileBytes(b, e, variant(b, "../../examples/hello/hello.wasm", i))
		prepared = append(prepared, mustPrepare(b, m, nil, nil))
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := prepared[i%modules].Run(ctx, Call{Args: []string{"/x"}, Stdout: io.Discard}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if s := e.Stats(); s.Loads < uint64(b.N) {
		b.Fatalf("%d loads for %d runs: not every run was cold", s.Loads, b.N)
	}
}

// BenchmarkPinResident measures what residency adds to a run whose code is
// in memory: pin, mark recently used, unpin, from every core at once.
func BenchmarkPinResident(b *testing.B) {
	e := budgetEngine(b, 0)
	m := compileBytes(b, e, fixture(b, "version1.wasm"))
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, release, err := m.compiledModule(ctx)
			if err != nil {
				b.Fatal(err)
			}
			release()
		}
	})
}
