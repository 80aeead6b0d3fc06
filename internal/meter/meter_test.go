package meter_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wisphq/wisp/internal/golden"
	"github.com/wisphq/wisp/internal/meter"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestInstrumentGolden instruments each testdata/NAME.wasm (built from
// NAME.wat by testdata/build.sh) and compares the result with
// testdata/NAME.metered.wasm. With -update it rewrites that file and, when
// wasm2wat is installed, NAME.metered.wat beside it for review.
func TestInstrumentGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.wasm")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, in := range inputs {
		if strings.HasSuffix(in, ".metered.wasm") {
			continue
		}
		n++
		name := strings.TrimSuffix(filepath.Base(in), ".wasm")
		t.Run(name, func(t *testing.T) {
			wasm, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			out, err := meter.Instrument(wasm)
			if err != nil {
				t.Fatal(err)
			}
			compile(t, out) // wazero accepts it
			path := filepath.Join("testdata", name+".metered.wasm")
			golden.Check(t, path, string(out), *update)
			if *update {
				if wat, err := exec.Command("wasm2wat", "--no-check", path).Output(); err == nil {
					os.WriteFile(filepath.Join("testdata", name+".metered.wat"), wat, 0o644)
				}
			}
		})
	}
	if n < 4 {
		t.Fatalf("found %d inputs in testdata; run testdata/build.sh", n)
	}
}

func compile(t testing.TB, wasm []byte) {
	t.Helper()
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(api.CoreFeaturesV2))
	defer rt.Close(ctx)
	if _, err := rt.CompileModule(ctx, wasm); err != nil {
		t.Fatalf("wazero refuses the instrumented module: %v", err)
	}
}

// meterHost is a refuel host function: it gives quantum fuel at a time
// and stops the instance (returning errStop) past budget.
type meterHost struct {
	quantum, budget int64
	granted, used   int64
	refuels         int
}

var errStop = errors.New("over budget")

func (h *meterHost) refuel(_ context.Context, mod api.Module, _ []uint64) {
	g := mod.ExportedGlobal(meter.FuelExport).(api.MutableGlobal)
	h.used += h.granted - int64(g.Get())
	h.refuels++
	if h.budget > 0 && h.used > h.budget {
		panic(errStop)
	}
	grant := h.quantum
	if h.budget > 0 {
		grant = min(grant, h.budget-h.used)
	}
	g.Set(uint64(grant))
	h.granted = grant
}

// finish returns the fuel used, counting what is left in the counter.
func (h *meterHost) finish(mod api.Module) int64 {
	return h.used + h.granted - int64(mod.ExportedGlobal(meter.FuelExport).Get())
}

// instantiate instruments wasm and instantiates it with h as the refuel
// function and the given host functions under module "env".
func instantiate(t testing.TB, rt wazero.Runtime, wasm []byte, h *meterHost) api.Module {
	t.Helper()
	ctx := context.Background()
	out, err := meter.Instrument(wasm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.NewHostModuleBuilder(meter.ImportModule).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(h.refuel), nil, nil).Export(meter.ImportName).
		Instantiate(ctx); err != nil {
		t.Fatal(err)
	}
	mod, err := rt.InstantiateWithConfig(ctx, out, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		t.Fatal(err)
	}
	return mod
}

func newRuntime(t testing.TB) wazero.Runtime {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCoreFeatures(api.CoreFeaturesV2))
	t.Cleanup(func() { rt.Close(ctx) })
	if _, err := rt.NewHostModuleBuilder("wasi_snapshot_preview1").
		NewFunctionBuilder().WithFunc(func() int32 { return 0 }).Export("sched_yield").
		Instantiate(ctx); err != nil {
		t.Fatal(err)
	}
	return rt
}

func read(t testing.TB, name string) []byte {
	t.Helper()
	wasm, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return wasm
}

// TestFuelIsDeterministicAndGrowsWithWork runs loops.wasm's sum: the same
// argument uses the same fuel on every run, whatever the quantum, and
// more iterations use more fuel, at least one per instruction executed.
func TestFuelIsDeterministicAndGrowsWithWork(t *testing.T) {
	ctx := context.Background()
	fuel := func(n uint64, quantum int64) int64 {
		h := &meterHost{quantum: quantum}
		mod := instantiate(t, newRuntime(t), read(t, "loops.wasm"), h)
		res, err := mod.ExportedFunction("sum").Call(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if want := 4 * n; res[0] != want {
			t.Fatalf("sum(%d) = %d, want %d: the instrumented module computes something else", n, res[0], want)
		}
		return h.finish(mod)
	}
	a, b, c := fuel(1000, 1<<20), fuel(1000, 7), fuel(1000, 1<<20)
	if a != b || a != c {
		t.Fatalf("fuel for the same call differs: %d, %d (quantum 7), %d", a, b, c)
	}
	if big := fuel(100000, 1<<20); big < 50*a {
		t.Fatalf("100x the work used %d fuel against %d", big, a)
	}
	// Each inner iteration runs at least 7 instructions.
	if a < 7*1000 {
		t.Fatalf("sum(1000) used %d fuel, less than the instructions it ran", a)
	}
}

// TestBudgetStops checks that the refuel function stops a call past its
// budget, and that the fuel counted when it stops is just past the budget.
func TestBudgetStops(t *testing.T) {
	ctx := context.Background()
	for _, quantum := range []int64{1, 1000, 1 << 40} {
		h := &meterHost{quantum: quantum, budget: 50_000}
		mod := instantiate(t, newRuntime(t), read(t, "loops.wasm"), h)
		_, err := mod.ExportedFunction("sum").Call(ctx, 1<<30)
		if !errors.Is(err, errStop) {
			t.Fatalf("quantum %d: sum(2^30) returned %v, want the budget stop", quantum, err)
		}
		if h.used <= h.budget || h.used > h.budget+200 {
			t.Fatalf("quantum %d: stopped after %d fuel for a budget of %d", quantum, h.used, h.budget)
		}
	}
}

// TestBulkCharges checks that bulk operations cost by their size: a
// memory.fill of 64 KiB costs 4096 fuel more than one of 0 bytes.
func TestBulkCharges(t *testing.T) {
	ctx := context.Background()
	fuel := func(n uint64) int64 {
		h := &meterHost{quantum: 1 << 40}
		mod := instantiate(t, newRuntime(t), read(t, "bulk.wasm"), h)
		if _, err := mod.ExportedFunction("bulk").Call(ctx, n); err != nil {
			t.Fatal(err)
		}
		return h.finish(mod)
	}
	small, big := fuel(0), fuel(32<<10)
	// fill and copy of 32 KiB each: 2 * 32Ki / 16.
	if big-small != 2*(32<<10)/meter.MemoryBytesPerFuel {
		t.Fatalf("64 KiB of fill and copy cost %d fuel more than 0 bytes, want %d", big-small, 2*(32<<10)/meter.MemoryBytesPerFuel)
	}
}

func TestInstrumentRefusesReservedNames(t *testing.T) {
	metered, err := meter.Instrument(read(t, "loops.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := meter.Instrument(metered); !errors.Is(err, meter.ErrReserved) {
		t.Fatalf("instrumenting twice: %v, want ErrReserved", err)
	}
	// An import of another module's fuel counter (in a component, another
	// step's): (import "step" "wisp.meter.fuel" (global (mut i64))).
	imp := append([]byte{0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x02, 0x19, 0x01, 0x04, 's', 't', 'e', 'p', 0x0F},
		append([]byte(meter.FuelExport), 0x03, 0x7E, 0x01)...)
	if _, err := meter.Instrument(imp); !errors.Is(err, meter.ErrReserved) {
		t.Fatalf("importing %s: %v, want ErrReserved", meter.FuelExport, err)
	}
}

func TestInstrumentRefusesGarbage(t *testing.T) {
	for name, wasm := range map[string][]byte{
		"empty":     nil,
		"not wasm":  []byte("hello world"),
		"truncated": read(t, "loops.wasm")[:40],
	} {
		if _, err := meter.Instrument(wasm); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
