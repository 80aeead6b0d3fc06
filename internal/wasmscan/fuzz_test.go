package wasmscan

import (
	"errors"
	"os"
	"testing"
)

// FuzzScan checks that Scan never panics, classifies every error as
// exactly one of ErrLimit and ErrMalformed, is deterministic, and that a
// Summary it returns respects the limits it was given. It runs Scan only:
// modules it accepts are not compiled here (see TestMeasure for that).
func FuzzScan(f *testing.F) {
	f.Add(kitchenSink())
	for _, path := range []string{"../../examples/hello/hello.wasm", "../../testdata/wasm/counter.wasm", "../../testdata/wasm/memgrow.wasm"} {
		if b, err := os.ReadFile(path); err == nil {
			f.Add(b)
		}
	}
	f.Add(oneFunc([]local{{1<<32 - 1, i64}}, opEnd))
	f.Add(oneFunc(nil, cat(repeat(opBlock(), 100), repeat(opEnd, 101))))
	f.Add(shapeModules["calls"]([]int{5, 20}))
	f.Add(shapeModules["merges"]([]int{20, 20}))
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x00\x05\x04name\x01"))

	small := Limits{
		MaxModuleBytes: 4096, MaxCustomSectionBytes: 512, MaxTypes: 8, MaxParamsPerType: 4, MaxResultsPerType: 2,
		MaxImports: 8, MaxFunctions: 8, MaxBodyBytes: 512, MaxLocalsPerFunction: 16, MaxTotalLocals: 32,
		MaxNestingDepth: 8, MaxFunctionWork: 2000, MaxModuleWork: 8000, MaxTables: 2, MaxTableElements: 64,
		MaxGlobals: 8, MaxExports: 8, MaxElementSegments: 4, MaxElementItems: 16, MaxDataSegments: 4, MaxDataBytes: 256,
	}
	f.Fuzz(func(t *testing.T, wasm []byte) {
		for _, l := range []Limits{DefaultLimits, small} {
			sum, err := Scan(wasm, l)
			sum2, err2 := Scan(wasm, l)
			if sum != sum2 || (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
				t.Fatalf("Scan is not deterministic: %v / %v", err, err2)
			}
			if err != nil {
				if errors.Is(err, ErrLimit) == errors.Is(err, ErrMalformed) {
					t.Fatalf("error %q matches both or neither of ErrLimit and ErrMalformed", err)
				}
				continue
			}
			checkWithin(t, sum, l.withDefaults(), len(wasm))
		}
	})
}

// checkWithin fails if an accepted module's summary exceeds a limit.
func checkWithin(t *testing.T, s Summary, l Limits, size int) {
	t.Helper()
	for _, c := range []struct {
		name       string
		value, max int
	}{
		{"MaxModuleBytes", size, l.MaxModuleBytes},
		{"MaxCustomSectionBytes", s.CustomSectionBytes, l.MaxCustomSectionBytes},
		{"MaxTypes", s.Types, l.MaxTypes},
		{"MaxImports", s.Imports, l.MaxImports},
		{"MaxFunctions", s.Functions, l.MaxFunctions},
		{"MaxBodyBytes", s.MaxBodyBytes, l.MaxBodyBytes},
		{"MaxLocalsPerFunction", s.MaxLocals, l.MaxLocalsPerFunction},
		{"MaxTotalLocals", s.TotalLocals, l.MaxTotalLocals},
		{"MaxNestingDepth", s.MaxNestingDepth, l.MaxNestingDepth},
		{"MaxFunctionWork", s.MaxFunctionWork, l.MaxFunctionWork},
		{"MaxModuleWork", s.ModuleWork, l.MaxModuleWork},
		{"MaxTables", s.Tables, l.MaxTables},
		{"MaxGlobals", s.Globals, l.MaxGlobals},
		{"MaxExports", s.Exports, l.MaxExports},
		{"MaxElementSegments", s.ElementSegments, l.MaxElementSegments},
		{"MaxElementItems", s.ElementItems, l.MaxElementItems},
		{"MaxDataSegments", s.DataSegments, l.MaxDataSegments},
		{"MaxDataBytes", s.DataBytes, l.MaxDataBytes},
	} {
		if c.value > c.max {
			t.Errorf("accepted a module with %s %d over %d", c.name, c.value, c.max)
		}
	}
}
