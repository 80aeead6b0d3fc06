package meter_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wisphq/wisp/internal/meter"
	"github.com/wisphq/wisp/internal/wasmscan"
)

// repoModules lists every .wasm file under the repository's testdata
// directories and examples/.
func repoModules(t testing.TB) []string {
	t.Helper()
	root := filepath.Join("..", "..")
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".wasm") || strings.HasSuffix(path, ".metered.wasm") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if strings.HasPrefix(rel, "examples"+string(filepath.Separator)) || strings.Contains(rel, "testdata"+string(filepath.Separator)) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("found only %d modules under testdata and examples", len(files))
	}
	return files
}

// outcome is what a run of a module shows: its output and how it ended.
type outcome struct {
	stdout, stderr string
	end            string // "ok", "exit N" or the trap's first line
	timedOut       bool
	overBudget     bool
}

// A metered run stops at differentialBudget fuel; a run that does is not
// compared (the spinning fixtures). An unmetered run of a module whose
// metered run finished in budget has runTimeout, far more than it needs.
const (
	differentialBudget = 100_000_000
	runTimeout         = 20 * time.Second
)

// run instantiates wasm (a command: _start; a reactor: _initialize then
// wisp_handle) with WASI, deterministic clocks and randomness, and stubs
// returning zeros for any other import. With metered, wasm is instrumented
// first and refuelled without a limit.
func run(t testing.TB, wasm []byte, metered bool) outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().
		WithCoreFeatures(api.CoreFeaturesV2).WithCloseOnContextDone(true).WithMemoryLimitPages(4096))
	defer rt.Close(context.Background())
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	if metered {
		var err error
		if wasm, err = meter.Instrument(wasm); err != nil {
			t.Fatalf("instrument: %v", err)
		}
		h := &meterHost{quantum: 1 << 16, budget: differentialBudget}
		rt.NewHostModuleBuilder(meter.ImportModule).NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(h.refuel), nil, nil).Export(meter.ImportName).Instantiate(ctx)
	}
	compiled, err := rt.CompileModule(ctx, wasm)
	if err != nil && strings.Contains(err.Error(), "over limit") {
		t.Skipf("over this test's memory limit: %v", err)
	}
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	stubs := map[string]wazero.HostModuleBuilder{}
	for _, f := range compiled.ImportedFunctions() {
		mod, name, _ := f.Import()
		if mod == wasi_snapshot_preview1.ModuleName || mod == meter.ImportModule {
			continue
		}
		b, ok := stubs[mod]
		if !ok {
			b = rt.NewHostModuleBuilder(mod)
			stubs[mod] = b
		}
		results := len(f.ResultTypes())
		b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, _ api.Module, stack []uint64) {
			clear(stack[:results])
		}), f.ParamTypes(), f.ResultTypes()).Export(name)
	}
	for mod, b := range stubs {
		if _, err := b.Instantiate(ctx); err != nil {
			t.Fatalf("stub %s: %v", mod, err)
		}
	}
	var stdout, stderr digest
	cfg := wazero.NewModuleConfig().WithName("").WithStdout(&stdout).WithStderr(&stderr).WithArgs("guest")
	_, reactor := compiled.ExportedFunctions()["wisp_handle"]
	if reactor {
		cfg = cfg.WithStartFunctions()
	}
	mod, err := rt.InstantiateModule(ctx, compiled, cfg)
	if err == nil && reactor {
		if init := mod.ExportedFunction("_initialize"); init != nil {
			_, err = init.Call(ctx)
		}
		if err == nil {
			_, err = mod.ExportedFunction("wisp_handle").Call(ctx)
		}
	}
	o := outcome{stdout: stdout.String(), stderr: stderr.String(), end: "ok"}

	var exit *sys.ExitError
	switch {
	case ctx.Err() != nil:
		o.timedOut = true
	case errors.Is(err, errStop):
		o.overBudget = true
	case errors.As(err, &exit):
		o.end = fmt.Sprintf("exit %d", exit.ExitCode())
	case err != nil:
		o.end, _, _ = strings.Cut(err.Error(), "\n")
	}
	return o
}

// TestDifferential runs every module under testdata and examples that
// wazero accepts as a core module, instrumented and not, and requires the
// same output and the same ending. Modules that run past runTimeout
// metered past differentialBudget or runTimeout (the spinning and
// flooding fixtures) are skipped.
func TestDifferential(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every module twice; skipped with -short")
	}
	compared := 0
	for _, path := range repoModules(t) {
		wasm, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wasmscan.Scan(wasm, wasmscan.DefaultLimits); err != nil {
			continue // a bomb the engine refuses before wazero sees it
		}
		ctx := context.Background()
		probe := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(api.CoreFeaturesV2))
		ok := accepts(ctx, probe, wasm)
		probe.Close(ctx)
		if !ok {
			continue // a component, or a deliberately broken fixture
		}
		t.Run(strings.TrimPrefix(path, "../../"), func(t *testing.T) {
			metered := run(t, wasm, true)
			switch {
			case metered.overBudget:
				t.Skipf("runs past %d fuel: not compared", differentialBudget)
			case metered.timedOut: // the host calls take the time (stderrflood)
				t.Skipf("runs past %s: not compared", runTimeout)
			}
			plain := run(t, wasm, false)
			if plain != metered {
				t.Fatalf("outcomes differ:\nplain:   %+v\nmetered: %+v", plain, metered)
			}
			compared++
		})
	}
	if compared < 20 {
		t.Fatalf("compared only %d modules", compared)
	}
	t.Logf("%d modules give the same output instrumented and not", compared)
}

// digest keeps the first KiB written to it and a hash of everything.
type digest struct {
	head bytes.Buffer
	sum  [sha256.Size]byte
	h    hash.Hash
	n    int64
}

func (d *digest) Write(p []byte) (int, error) {
	if d.h == nil {
		d.h = sha256.New()
	}
	if room := 1024 - d.head.Len(); room > 0 {
		d.head.Write(p[:min(room, len(p))])
	}
	d.h.Write(p)
	d.n += int64(len(p))
	return len(p), nil
}

func (d *digest) String() string {
	if d.h == nil {
		return ""
	}
	return fmt.Sprintf("%q... (%d bytes, sha256 %x)", d.head.String(), d.n, d.h.Sum(nil))
}
