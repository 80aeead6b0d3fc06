package wasmscan

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// wasmFiles returns the .wasm files of the repository's examples and test
// fixtures.
func wasmFiles(t testing.TB) []string {
	var files []string
	for _, pattern := range []string{"../../examples/*/*.wasm", "../../testdata/wasm/*.wasm"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("found only %d .wasm files; run the tests from the package directory", len(files))
	}
	return files
}

// malformedFixtures are the fixtures that are broken on purpose.
var malformedFixtures = map[string]bool{"garbage.wasm": true, "truncated.wasm": true, "corrupt.wasm": true}

func TestScanAcceptsRepositoryModules(t *testing.T) {
	for _, path := range wasmFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			wasm, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(wasm) >= 8 && string(wasm[4:8]) == "\x0d\x00\x01\x00" {
				// A component (examples/hello-js): the node decodes it with
				// internal/component/binary and scans each core module in it.
				return
			}
			sum, err := Scan(wasm, DefaultLimits)
			if malformedFixtures[filepath.Base(path)] {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("Scan = %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Scan refused a module the repository ships: %v", err)
			}
			if sum.Functions == 0 || sum.Memories != 1 {
				t.Errorf("summary %+v: want functions and one memory", sum)
			}
		})
	}
}

func TestScanSummary(t *testing.T) {
	sum, err := Scan(kitchenSink(), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	want := Summary{
		Types: 4, Imports: 4, ImportedFunctions: 1, Functions: 2, Tables: 2, Globals: 8,
		Memories: 1, MemoryMinPages: 1, Exports: 3, HasStartSection: true,
		ElementSegments: 8, ElementItems: 9, DataSegments: 3, DataBytes: 16, CustomSectionBytes: sum.CustomSectionBytes, Names: 5,
		MaxBodyBytes: sum.MaxBodyBytes, MaxLocals: 3, MaxNestingDepth: 3, TotalLocals: 3,
		MaxFunctionWork: sum.MaxFunctionWork, ModuleWork: sum.ModuleWork,
		ChangesTables: true, DropsData: true,
	}
	if sum != want {
		t.Errorf("Scan summary\n got %+v\nwant %+v", sum, want)
	}
	if sum.CustomSectionBytes < 50 || sum.MaxBodyBytes < 200 || sum.MaxFunctionWork < sum.MaxBodyBytes {
		t.Errorf("implausible sizes in %+v", sum)
	}
}

// TestScanChangesTables checks that every instruction that can change a
// table or drop a data segment is reported, and that nothing else is: the
// engine reuses instances of modules that have none (see Summary).
func TestScanChangesTables(t *testing.T) {
	zero := opI32Const(0)
	for _, tc := range []struct {
		name          string
		code          []byte
		tables, drops bool
	}{
		{"no table code", cat(zero, 0x25, 0x00, 0x1a, 0xfc, 0x10, 0x00, 0x1a, zero, 0x11, 0x00, 0x00, opEnd), false, false},
		{"memory bulk ops", cat(zero, zero, zero, 0xfc, 0x0b, 0x00, zero, zero, zero, 0xfc, 0x0a, 0x00, 0x00, zero, zero, zero, 0xfc, 0x08, 0x00, 0x00, opEnd), false, false},
		{"table.set", cat(zero, 0xd0, 0x70, 0x26, 0x00, opEnd), true, false},
		{"table.grow", cat(0xd0, 0x70, zero, 0xfc, 0x0f, 0x00, 0x1a, opEnd), true, false},
		{"table.fill", cat(zero, 0xd0, 0x70, zero, 0xfc, 0x11, 0x00, opEnd), true, false},
		{"table.copy", cat(zero, zero, zero, 0xfc, 0x0e, 0x00, 0x00, opEnd), true, false},
		{"table.init", cat(zero, zero, zero, 0xfc, 0x0c, 0x00, 0x00, opEnd), true, false},
		{"elem.drop", cat(0xfc, 0x0d, 0x00, opEnd), true, false},
		{"data.drop", cat(0xfc, 0x09, 0x00, opEnd), false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &builder{tables: [][]byte{cat(funcref, 0x01, 0x01, 0x08)}}
			m.addFunc(m.addType(nil, nil), nil, tc.code)
			sum, err := Scan(m.wasm(), DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			if sum.ChangesTables != tc.tables || sum.DropsData != tc.drops {
				t.Errorf("ChangesTables, DropsData = %v, %v; want %v, %v", sum.ChangesTables, sum.DropsData, tc.tables, tc.drops)
			}
		})
	}
}

// capCase builds a module whose value for one cap is n.
type capCase struct {
	limit string
	n     int                    // the module's value, which must be above the limit's minimum
	build func(n int) []byte     // a module with value n
	set   func(l *Limits, v int) // sets the cap to v
}

// oneFunc returns a module with one function of type [] -> [] and the given locals and code.
func oneFunc(locals []local, code []byte) []byte {
	m := &builder{}
	m.addFunc(m.addType(nil, nil), locals, code)
	return m.wasm()
}

func capCases() []capCase {
	return []capCase{
		{"MaxModuleBytes", 300, func(n int) []byte {
			m := &builder{customs: [][]byte{customSection("pad", nil)}}
			pad := n - len(m.wasm())
			m.customs = [][]byte{customSection("pad", make([]byte, pad-1))} // the section size grows by a byte
			return m.wasm()
		}, func(l *Limits, v int) { l.MaxModuleBytes = v }},
		{"MaxCustomSectionBytes", 300, func(n int) []byte {
			// Two sections: the cap is on their total.
			return (&builder{customs: [][]byte{customSection("a", make([]byte, 98)), customSection("b", make([]byte, n-100-2))}}).wasm()
		}, func(l *Limits, v int) { l.MaxCustomSectionBytes = v }},
		{"MaxTypes", 50, func(n int) []byte {
			m := &builder{}
			for i := 0; i < n; i++ {
				m.addType(nil, nil)
			}
			return m.wasm()
		}, func(l *Limits, v int) { l.MaxTypes = v }},
		{"MaxParamsPerType", 50, func(n int) []byte {
			m := &builder{}
			m.addType(bytes.Repeat([]byte{i32}, n), nil)
			return m.wasm()
		}, func(l *Limits, v int) { l.MaxParamsPerType = v }},
		{"MaxResultsPerType", 50, func(n int) []byte {
			m := &builder{}
			m.addType(nil, bytes.Repeat([]byte{i64}, n))
			return m.wasm()
		}, func(l *Limits, v int) { l.MaxResultsPerType = v }},
		{"MaxImports", 50, func(n int) []byte {
			m := &builder{}
			t := m.addType(nil, nil)
			for i := 0; i < n; i++ {
				m.imports = append(m.imports, cat(name("m"), name(fmt.Sprint(i)), 0x00, uleb(uint64(t))))
			}
			return m.wasm()
		}, func(l *Limits, v int) { l.MaxImports = v }},
		{"MaxFunctions", 50, func(n int) []byte {
			m := &builder{}
			t := m.addType(nil, nil)
			for i := 0; i < n; i++ {
				m.addFunc(t, nil, opEnd)
			}
			return m.wasm()
		}, func(l *Limits, v int) { l.MaxFunctions = v }},
		{"MaxBodyBytes", 100, func(n int) []byte {
			return oneFunc(nil, cat(repeat([]byte{0x01}, n-2), opEnd)) // n bytes: no locals, nops, end
		}, func(l *Limits, v int) { l.MaxBodyBytes = v }},
		{"MaxLocalsPerFunction", 100, func(n int) []byte {
			return oneFunc([]local{{uint64(n - 1), i32}, {1, f64}}, opEnd)
		}, func(l *Limits, v int) { l.MaxLocalsPerFunction = v }},
		{"MaxTotalLocals", 100, func(n int) []byte {
			m := &builder{}
			t := m.addType(nil, nil)
			m.addFunc(t, []local{{60, i32}}, opEnd)
			m.addFunc(t, []local{{uint64(n - 60), i64}}, opEnd)
			return m.wasm()
		}, func(l *Limits, v int) { l.MaxTotalLocals = v }},
		{"MaxNestingDepth", 100, func(n int) []byte {
			return oneFunc(nil, cat(repeat(opBlock(), n/2), repeat(opEnd, n/2), repeat(opLoop(), n), repeat(opEnd, n), opEnd))
		}, func(l *Limits, v int) { l.MaxNestingDepth = v }},
		{"MaxTables", 5, func(n int) []byte {
			m := &builder{}
			m.imports = [][]byte{cat(name("m"), name("t"), 0x01, funcref, 0x00, 0x01)}
			for i := 1; i < n; i++ {
				m.tables = append(m.tables, cat(funcref, 0x00, 0x01))
			}
			return m.wasm()
		}, func(l *Limits, v int) { l.MaxTables = v }},
		{"MaxTableElements", 1000, func(n int) []byte {
			return (&builder{tables: [][]byte{cat(funcref, 0x00, uleb(uint64(n)))}}).wasm()
		}, func(l *Limits, v int) { l.MaxTableElements = v }},
		{"MaxGlobals", 50, func(n int) []byte {
			m := &builder{}
			m.imports = [][]byte{cat(name("m"), name("g"), 0x03, i32, 0x00)}
			for i := 1; i < n; i++ {
				m.globals = append(m.globals, cat(i32, 0x01, opI32Const(int32(i)), opEnd))
			}
			return m.wasm()
		}, func(l *Limits, v int) { l.MaxGlobals = v }},
		{"MaxExports", 50, func(n int) []byte {
			m := &builder{}
			m.addFunc(m.addType(nil, nil), nil, opEnd)
			for i := 0; i < n; i++ {
				m.exportFunc(fmt.Sprint("f", i), 0)
			}
			return m.wasm()
		}, func(l *Limits, v int) { l.MaxExports = v }},
		{"MaxElementSegments", 50, func(n int) []byte {
			m := &builder{}
			m.addFunc(m.addType(nil, nil), nil, opEnd)
			for i := 0; i < n; i++ {
				m.elems = append(m.elems, cat(0x01, 0x00, 0x01, 0x00))
			}
			return m.wasm()
		}, func(l *Limits, v int) { l.MaxElementSegments = v }},
		{"MaxElementItems", 100, func(n int) []byte {
			m := &builder{}
			m.addFunc(m.addType(nil, nil), nil, opEnd)
			m.elems = [][]byte{cat(0x01, 0x00, uleb(40), make([]byte, 40)), cat(0x05, funcref, uleb(uint64(n-40)), repeat(cat(0xd2, 0x00, opEnd), n-40))}
			return m.wasm()
		}, func(l *Limits, v int) { l.MaxElementItems = v }},
		{"MaxDataSegments", 50, func(n int) []byte {
			m := &builder{}
			for i := 0; i < n; i++ {
				m.datas = append(m.datas, cat(0x01, name("x")))
			}
			return m.wasm()
		}, func(l *Limits, v int) { l.MaxDataSegments = v }},
		{"MaxDataBytes", 1000, func(n int) []byte {
			m := (&builder{}).withMemory(1)
			m.datas = [][]byte{cat(0x01, name(strings.Repeat("a", 400))), cat(0x00, opI32Const(0), opEnd, name(strings.Repeat("b", n-400)))}
			return m.wasm()
		}, func(l *Limits, v int) { l.MaxDataBytes = v }},
		{"MaxFunctionWork", 0, func(int) []byte {
			return oneFunc([]local{{10, i32}}, cat(repeat(cat(opBlock(), opLocalGet(0), opBrIf(0), opEnd), 50), opEnd))
		}, func(l *Limits, v int) { l.MaxFunctionWork = v }},
		{"MaxModuleWork", 0, func(int) []byte {
			m := &builder{}
			t := m.addType(nil, nil)
			m.addFunc(t, []local{{10, i32}}, cat(repeat(cat(opBlock(), opLocalGet(0), opBrIf(0), opEnd), 50), opEnd))
			m.addFunc(t, nil, opEnd)
			return m.wasm()
		}, func(l *Limits, v int) { l.MaxModuleWork = v }},
	}
}

// TestScanCaps checks each cap at its boundary: a module with value n
// passes a cap of n and is refused by a cap of n-1 with an error that
// names the cap, the value and the cap's value. The work caps, whose
// value is an estimate, take n from the Summary.
func TestScanCaps(t *testing.T) {
	for _, c := range capCases() {
		t.Run(c.limit, func(t *testing.T) {
			wasm := c.build(c.n)
			n := c.n
			if n == 0 {
				sum, err := Scan(wasm, Limits{})
				if err != nil {
					t.Fatal(err)
				}
				n = map[string]int{"MaxFunctionWork": sum.MaxFunctionWork, "MaxModuleWork": sum.ModuleWork}[c.limit]
			}
			var atCap Limits
			c.set(&atCap, n)
			if _, err := Scan(wasm, atCap); err != nil {
				t.Fatalf("with %s = %d (the module's value): %v", c.limit, n, err)
			}
			var under Limits
			c.set(&under, n-1)
			_, err := Scan(wasm, under)
			var le *LimitError
			if !errors.Is(err, ErrLimit) || !errors.As(err, &le) {
				t.Fatalf("with %s = %d: err = %v, want a *LimitError", c.limit, n-1, err)
			}
			if le.Limit != c.limit || le.Max != uint64(n-1) || le.Actual != uint64(n) {
				t.Errorf("LimitError{Limit: %q, Max: %d, Actual: %d}, want {%q, %d, %d}", le.Limit, le.Max, le.Actual, c.limit, n-1, n)
			}
			msg := err.Error()
			for _, want := range []string{fmt.Sprint(n), fmt.Sprintf("the limit is %d (%s): ", n-1, c.limit)} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not contain %q", msg, want)
				}
			}
			if errors.Is(err, ErrMalformed) {
				t.Errorf("a limit error matches ErrMalformed")
			}
		})
	}
}

// TestScanDefaults checks a few caps at their default values, where
// modules are cheap to build.
func TestScanDefaults(t *testing.T) {
	d := DefaultLimits
	tests := []struct {
		name  string
		wasm  []byte
		limit string // "" if the module passes
	}{
		{"LocalsAtCap", oneFunc([]local{{uint64(d.MaxLocalsPerFunction), i32}}, opEnd), ""},
		{"LocalsOverCap", oneFunc([]local{{uint64(d.MaxLocalsPerFunction), i32}, {1, i32}}, opEnd), "MaxLocalsPerFunction"},
		{"NestingAtCap", oneFunc(nil, cat(repeat(opBlock(), d.MaxNestingDepth), repeat(opEnd, d.MaxNestingDepth+1))), ""},
		{"NestingOverCap", oneFunc(nil, cat(repeat(opBlock(), d.MaxNestingDepth+1), repeat(opEnd, d.MaxNestingDepth+2))), "MaxNestingDepth"},
		{"TableAtCap", shapeModules["table"]([]int{d.MaxTableElements, d.MaxTableElements}), ""},
		{"TableMaxOverCap", shapeModules["table"]([]int{1, d.MaxTableElements + 1}), "MaxTableElements"},
		{"ParamsAtCap", shapeModules["types"]([]int{1, d.MaxParamsPerType}), ""},
		{"ParamsOverCap", shapeModules["types"]([]int{1, d.MaxParamsPerType + 1}), "MaxParamsPerType"},
		{"UnboundedTableGrow", func() []byte {
			m := &builder{tables: [][]byte{cat(funcref, 0x00, 0x01)}}
			m.addFunc(m.addType(nil, nil), nil, cat(0xd0, funcref, opI32Const(1), 0xfc, 0x0f, 0x00, opDrop, opEnd))
			return m.wasm()
		}(), "MaxTableElements"},
		{"BoundedTableGrow", func() []byte {
			m := &builder{tables: [][]byte{cat(funcref, 0x01, 0x01, 0x10)}}
			m.addFunc(m.addType(nil, nil), nil, cat(0xd0, funcref, opI32Const(1), 0xfc, 0x0f, 0x00, opDrop, opEnd))
			return m.wasm()
		}(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Scan(tt.wasm, DefaultLimits)
			var le *LimitError
			switch {
			case tt.limit == "" && err != nil:
				t.Fatalf("Scan = %v, want nil", err)
			case tt.limit != "" && (!errors.As(err, &le) || le.Limit != tt.limit):
				t.Fatalf("Scan = %v, want a %s error", err, tt.limit)
			}
		})
	}
}

// TestScanBombs checks that modules known to exhaust wazero are refused,
// in microseconds. wazero never sees them: compiling the first would kill
// the test process.
func TestScanBombs(t *testing.T) {
	hugeTable := &builder{tables: [][]byte{cat(funcref, 0x00, uleb(1<<27))}}
	tests := []struct {
		name    string
		wasm    []byte
		limit   string // "" for ErrMalformed
		message string
	}{
		// 30 bytes: wazero allocates 2^32-1 local types, then SSA variables.
		{"FourBillionLocals", oneFunc([]local{{1<<32 - 1, i64}}, opEnd), "MaxLocalsPerFunction", "declares 4294967295 locals"},
		// The sum of the runs is computed without overflow.
		{"LocalRunsOverflowingUint32", oneFunc([]local{{1<<32 - 1, i32}, {1<<32 - 1, i32}, {2, i32}}, opEnd), "MaxLocalsPerFunction", "declares 8589934592 locals"},
		{"DeepNesting", oneFunc(nil, cat(repeat(opBlock(), 1_000_000), repeat(opEnd, 1_000_001))), "MaxNestingDepth", "nests blocks 1000000 deep"},
		{"HugeTable", hugeTable.wasm(), "MaxTableElements", "declares a table of 134217728 elements"},
		// A chain of br_if: 128 KB that take wazero 79 s.
		{"BranchChain", shapeModules["brifs"]([]int{32000}), "MaxFunctionWork", ""},
		// 1000 locals read after 4000 merges: 32 KB, 8 s and 400 MiB.
		{"LocalsAcrossMerges", shapeModules["merges"]([]int{1000, 4000}), "MaxFunctionWork", ""},
		// Calls passing 1000 values: 45 KB, 23 s and 7.7 GiB.
		{"MultiValueCalls", shapeModules["calls"]([]int{10000, 1000}), "MaxFunctionWork", ""},
		// Vector headers announcing 2^32-1 entries, which wazero allocates before reading them.
		{"ImportCount", cat("\x00asm\x01\x00\x00\x00", 0x02, 0x05, uleb(1<<32-1)), "", "vector length is unreadable or larger than the rest of the section"},
		{"FunctionCount", cat("\x00asm\x01\x00\x00\x00", 0x03, 0x05, uleb(1<<32-1)), "", "larger than the rest"},
		{"DataSize", cat("\x00asm\x01\x00\x00\x00", 0x0b, 0x07, 0x01, 0x01, uleb(1<<32-1)), "", "data size is unreadable or larger"},
		{"NameMapCount", (&builder{customs: [][]byte{customSection("name", cat(0x01, 0x05, uleb(1<<32-1)))}}).wasm(), "", `"name" section`},
		{"CustomNameLength", cat("\x00asm\x01\x00\x00\x00", 0x00, 0x05, uleb(1<<32-1)), "", "custom section name runs past"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := Scan(tt.wasm, DefaultLimits)
			elapsed := time.Since(start)
			var le *LimitError
			switch {
			case tt.limit == "" && !errors.Is(err, ErrMalformed):
				t.Fatalf("Scan = %v, want ErrMalformed", err)
			case tt.limit != "" && (!errors.As(err, &le) || le.Limit != tt.limit):
				t.Fatalf("Scan = %v, want a %s error", err, tt.limit)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("message %q does not contain %q", err, tt.message)
			}
			t.Logf("%d bytes refused in %s: %v", len(tt.wasm), elapsed, err)
		})
	}
}

// TestScanTruncated cuts modules at every byte: each prefix is either
// malformed or a valid module that ends at a section boundary.
func TestScanTruncated(t *testing.T) {
	modules := map[string][]byte{"kitchen sink": kitchenSink()}
	for _, f := range []string{"../../testdata/wasm/printenv.wasm", "../../testdata/wasm/counter.wasm"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		modules[filepath.Base(f)] = b
	}
	for name, wasm := range modules {
		t.Run(name, func(t *testing.T) {
			accepted := 0
			for i := 0; i < len(wasm); i++ {
				_, err := Scan(wasm[:i], DefaultLimits)
				switch {
				case err == nil:
					accepted++
				case !errors.Is(err, ErrMalformed):
					t.Fatalf("prefix of %d bytes: %v, want ErrMalformed or nil", i, err)
				case !strings.HasPrefix(err.Error(), "malformed WebAssembly module: "):
					t.Fatalf("prefix of %d bytes: message %q", i, err)
				}
			}
			if accepted > 10 {
				t.Errorf("%d of %d prefixes accepted; only those ending at a section boundary after the code may be", accepted, len(wasm))
			}
		})
	}
}

func TestScanMalformed(t *testing.T) {
	header := "\x00asm\x01\x00\x00\x00"
	tests := []struct {
		name    string
		wasm    []byte
		message string
	}{
		{"Empty", nil, `does not start with "\0asm"`},
		{"Text", []byte("(module)"), "not source code or .wat text"},
		{"Component", []byte("\x00asm\x0d\x00\x01\x00"), "WebAssembly component"},
		{"UnknownSection", cat(header, 0x0d, 0x00), "unknown section id 13"},
		{"OutOfOrder", cat(header, 0x03, 0x01, 0x00, 0x01, 0x01, 0x00), "type section after the function section"},
		{"Repeated", cat(header, 0x01, 0x01, 0x00, 0x01, 0x01, 0x00), "out of order or repeated"},
		{"SectionTooLong", cat(header, 0x01, 0x10, 0x00), "section declares 16 bytes but only 1 remain"},
		{"LeftOver", cat(header, 0x01, 0x02, 0x00, 0x00), "1 bytes left over"},
		{"NoCode", (&builder{funcs: [][]byte{{0}}, types: [][]byte{funcType(nil, nil)}}).wasm(), "declares 1 functions but the code section has 0"},
		{"RecursiveType", cat(header, 0x01, 0x04, 0x01, 0x4e, 0x00, 0x00), "type form 0x4e"},
		{"SharedMemory", (&builder{memories: [][]byte{{0x03, 0x01, 0x01}}}).wasm(), "limits flags 0x3"},
		{"NoEnd", oneFunc(nil, []byte{0x01}), "does not finish with an end"},
		{"EarlyEnd", oneFunc(nil, []byte{0x0b, 0x01, 0x0b}), "final end comes before"},
		{"UnclosedBlock", oneFunc(nil, cat(opBlock(), opEnd)), "does not finish with an end"},
		{"TailCall", oneFunc(nil, []byte{0x12, 0x00, 0x0b}), "opcode 0x12 is not a WebAssembly 2.0 instruction"},
		{"Atomics", oneFunc(nil, []byte{0xfe, 0x00, 0x0b}), "opcode 0xfe"},
		{"UnknownMisc", oneFunc(nil, []byte{0xfc, 0x12, 0x0b}), "instruction 0xfc is cut short or has a malformed immediate"},
		{"LongLEB", oneFunc(nil, []byte{0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x1a, 0x0b}), "instruction 0x41"},
		{"OverflowingLEB", oneFunc(nil, []byte{0x20, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x1a, 0x0b}), "instruction 0x20"},
		{"TypedSelectOfTwo", oneFunc(nil, []byte{0x1c, 0x02, 0x7f, 0x7f, 0x0b}), "instruction 0x1c"},
		{"ExtendedConst", (&builder{globals: [][]byte{cat(i32, 0x00, opI32Const(1), opI32Const(1), 0x6a, opEnd)}}).wasm(), "instruction 0x6a is not allowed"},
		{"SecondNameSection", (&builder{customs: [][]byte{customSection("name", nil), customSection("name", nil)}}).wasm(), `second "name" section`},
		{"NameSubsectionPastEnd", (&builder{customs: [][]byte{customSection("name", []byte{0x07, 0x09, 0x00})}, types: [][]byte{funcType(nil, nil)}}).wasm(), "subsection runs past the end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Scan(tt.wasm, DefaultLimits)
			if !errors.Is(err, ErrMalformed) || errors.Is(err, ErrLimit) {
				t.Fatalf("Scan = %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("message %q does not contain %q", err, tt.message)
			}
		})
	}
}

// TestScanNamesFunction checks that errors in code name the function from
// the name section, in the function index space.
func TestScanNamesFunction(t *testing.T) {
	m := &builder{}
	ty := m.addType(nil, nil)
	m.imports = [][]byte{cat(name("m"), name("f"), 0x00, 0x00)}
	m.addFunc(ty, nil, opEnd)
	m.addFunc(ty, []local{{1 << 20, i32}}, opEnd)
	names := vec([][]byte{cat(0x02, name("main.handler"))})
	m.customsLast = [][]byte{customSection("name", cat(0x01, uleb(uint64(len(names))), names))}
	_, err := Scan(m.wasm(), DefaultLimits)
	if err == nil || !strings.HasPrefix(err.Error(), "function 2 (main.handler) at offset 0x") {
		t.Fatalf("Scan = %v, want an error about function 2 (main.handler)", err)
	}
}

func TestScanZeroLimitsAreDefaults(t *testing.T) {
	wasm := oneFunc([]local{{uint64(DefaultLimits.MaxLocalsPerFunction) + 1, i32}}, opEnd)
	_, errZero := Scan(wasm, Limits{})
	_, errDefault := Scan(wasm, DefaultLimits)
	if errZero == nil || errDefault == nil || errZero.Error() != errDefault.Error() {
		t.Fatalf("Scan with zero limits = %v, with DefaultLimits = %v; want the same error", errZero, errDefault)
	}
}
