package wasmscan

import (
	"errors"
	"fmt"
)

// ErrLimit is matched (errors.Is) by every error Scan returns because the
// module exceeds one of its Limits. Such errors are *LimitError values.
var ErrLimit = errors.New("module exceeds a compile-time limit")

// ErrMalformed is matched (errors.Is) by every error Scan returns because
// the bytes are not a WebAssembly 2.0 binary module: wrong header,
// truncated, inconsistent sizes, or an instruction or encoding outside
// the core 2.0 specification.
var ErrMalformed = errors.New("malformed WebAssembly module")

// LimitError reports the first cap a module exceeds. Its message names the
// place, the value, the cap and a way to fix the module, for example:
//
//	function 57 at offset 0x1e17: declares 4294967295 locals; the limit is 50000 (MaxLocalsPerFunction): split the function or build with optimizations (-O2, wasm-opt --coalesce-locals) so locals are reused
type LimitError struct {
	// Limit is the name of the Limits field that was exceeded, such as
	// "MaxLocalsPerFunction".
	Limit string
	// Max is the value of that field.
	Max uint64
	// Actual is the value the module has. For caps on totals (such as
	// MaxTotalLocals) it is the total up to the point where the scan
	// stopped, which is over Max but may be below the module's total.
	Actual uint64
	// Where names the part of the module, such as "module",
	// "import section" or "function 57 (main.main)". Functions are
	// numbered in the function index space, imports first, as
	// wasm-objdump and wasm-tools print them.
	Where string
	// Offset is the byte offset in the module of the section, function or
	// instruction concerned.
	Offset int
}

func (e *LimitError) Error() string {
	format, hint := describeCap(e.Limit)
	what := fmt.Sprintf(format, e.Actual)
	return fmt.Sprintf("%s at offset %#x: %s; the limit is %d (%s): %s", e.Where, e.Offset, what, e.Max, e.Limit, hint)
}

// Is reports whether target is ErrLimit.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

const (
	hintStrip    = "strip debug information and other custom sections (go build -ldflags='-s -w', wasm-strip, wasm-opt --strip-debug)"
	hintSplit    = "remove unused code (build with -Os, wasm-opt -Oz --dce) or split the program into several apps"
	hintSplitFn  = "split the function; functions this large usually come from generated code, huge switch statements or aggressive inlining"
	hintCoalesce = "build with optimizations (-O2, wasm-opt --coalesce-locals) so the compiler reuses locals, or split the function"
)

// describeCap returns, for a Limits field name, the phrase that states
// the module's value ("declares %d locals") and how to get under the cap.
func describeCap(limit string) (format, hint string) {
	switch limit {
	case "MaxModuleBytes":
		return "is %d bytes", hintStrip + " and build for size (-Os, wasm-opt -Oz)"
	case "MaxCustomSectionBytes":
		return "custom sections hold %d bytes", hintStrip
	case "MaxTypes":
		return "declares %d function types", "deduplicate function types (wasm-opt) or " + hintSplit
	case "MaxParamsPerType":
		return "declares %d parameters", "pass long argument lists through memory (a pointer to a struct)"
	case "MaxResultsPerType":
		return "declares %d results", "return large results through memory instead of as multiple values"
	case "MaxImports":
		return "declares %d imports", "Wisp provides only the WASI preview1 functions (wasi_snapshot_preview1.*): remove other imports"
	case "MaxFunctions":
		return "defines %d functions", hintSplit
	case "MaxBodyBytes":
		return "has a body of %d bytes", hintSplitFn
	case "MaxLocalsPerFunction":
		return "declares %d locals", hintCoalesce
	case "MaxTotalLocals":
		return "functions declare %d locals in total", hintCoalesce
	case "MaxNestingDepth":
		return "nests blocks %d deep", "flatten the control flow (wasm-opt -O2) or " + hintSplitFn
	case "MaxFunctionWork":
		return "would take about %d units (µs) of compile work", hintSplitFn + "; the estimate grows with the square of the number of blocks and branches, with locals times blocks, and with the values passed by calls and branches"
	case "MaxModuleWork":
		return "functions would take about %d units (µs) of compile work in total", hintSplit
	case "MaxTables":
		return "declares %d tables", "use one table; C, Rust and Go toolchains emit one"
	case "MaxTableElements":
		return "declares a table of %d elements", "declare a smaller maximum: each element costs 8 bytes of node memory outside the memory limit"
	case "MaxGlobals":
		return "declares %d globals", hintSplit
	case "MaxExports":
		return "declares %d exports", "export only _start (and memory); Wisp calls nothing else"
	case "MaxElementSegments":
		return "declares %d element segments", "merge element segments (wasm-opt -O2 does)"
	case "MaxElementItems":
		return "element segments hold %d items", "put fewer functions in tables (wasm-opt -Oz --dce) or " + hintSplit
	case "MaxDataSegments":
		return "declares %d data segments", "merge data segments (wasm-opt --memory-packing)"
	case "MaxDataBytes":
		return "data segments hold %d bytes", "load large data at run time from a bundled file instead of compiling it into the module"
	}
	return "has %d", "reduce it"
}

// malformedError is the error for bytes that are not a module Scan
// understands. It matches ErrMalformed.
type malformedError struct {
	where   string
	offset  int
	problem string
}

func (e *malformedError) Error() string {
	return fmt.Sprintf("malformed WebAssembly module: %s at offset %#x: %s", e.where, e.offset, e.problem)
}

func (e *malformedError) Is(target error) bool { return target == ErrMalformed }
