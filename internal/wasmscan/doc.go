// Package wasmscan bounds what compiling an untrusted WebAssembly module
// can cost, before wazero sees it.
//
// wazero's optimizing compiler (v1.12.0) has no limits of its own and
// ignores context deadlines while it compiles: a 30-byte module declaring
// 2^32-1 locals makes it allocate tens of GiB and the Go runtime abort, a
// 45 KB module of calls passing 1000 values takes 23 s and 7.7 GiB, and a
// 128 KB chain of br_if takes 79 s. Scan walks the binary once, cheaply,
// and refuses a module that exceeds one of its Limits with a *LimitError
// (matching ErrLimit) that names the place, the value, the cap and a fix:
//
//	function 57 (main.handler) at offset 0x1e17: declares 4294967295 locals; the limit is 50000 (MaxLocalsPerFunction): build with optimizations (-O2, wasm-opt --coalesce-locals) so the compiler reuses locals, or split the function
//
// Bytes that are not a WebAssembly 2.0 binary module give an error
// matching ErrMalformed. Scan does not validate: wazero still checks
// types, indices and instructions of the modules Scan accepts.
//
// # Staying in step with wazero
//
// Scan reads every section, entry and instruction exactly as wazero's
// decoder and validator do with api.CoreFeaturesV2, so that the two agree
// on where each function, block and immediate starts (where they would
// disagree, as on a SIMD sub-opcode, which wazero reads as one byte,
// Scan follows wazero). Every vector length is checked against the bytes
// left in its section before anything else, because wazero allocates a
// slice of the announced length before reading the entries; that alone
// refuses the "count bombs" of every section, the "name" custom section
// included (wazero always decodes it). Encodings of proposals Wisp does not
// enable (threads, exceptions, tail calls, GC, memory64, extended
// constants) are refused as malformed, as wazero would refuse them.
//
// # Compile work
//
// Measurement showed that nesting depth, the obvious cap, is not what makes
// wazero slow: a chain of sequential blocks costs the same as a nest of
// the same size. wazero's time grows with the square of a function's basic
// blocks (dominators, loop detection and SSA construction walk the
// dominator tree from every block), with locals times blocks (a local read
// after many merges visits, and leaves a value at, each of them), and with
// the values that calls, branches and blocks pass (each a few SSA values,
// moves and spill slots, about 380 bytes of compiler memory). Scan counts
// the blocks wazero creates for each instruction and the values each one
// passes, and estimates a function's compile work, in units of about a
// microsecond on the reference machine, as
//
//	30 + bytes + blocks²/40 + (params+locals)×blocks/2 + 3×moves + reloads
//
// and a module's as the sum over its functions plus 25 per import, 10 per
// global, 4 per element item, 8 per name in the "name" section,
// 10×(1+params+results) per type (wazero compiles an entry trampoline for
// each) and (functions+types)×types/50 (wazero visits every type before
// compiling each function), 1 per mutable global per call (wazero reloads
// every mutable global after each call) and globals/64 per function.
// MaxFunctionWork bounds the first, and with it
// the compiler's peak memory, which it spends one function at a time;
// MaxModuleWork bounds the second. The estimate is an upper bound for
// every shape measured: real code compiles in a quarter to a half of it
// (the Go toolchain's go command, 28 MB: 43.8 M units, 11.8 s; json.wasm,
// 3.5 MB: 5.3 M units, 1.6 s), the costliest synthetic shape (locals read
// across merges) in about 0.8 of it.
//
// # Limits and the measurements behind them
//
// Measured on the reference machine (2 cores, 24 GiB, Go 1.26, wazero
// v1.12.0 compiling with one goroutine, which is its default), by
// TestMeasure (see measure_test.go, which regenerates every number here).
// "Real" maxima come from the repository's examples, the Go toolchain
// built for wasip1 (gofmt 4.9 MB, vet 14 MB, go 28 MB, compile 48 MB) and
// Rust and C modules from npm (ruff 1.2 MB, rolldown 12.6 MB, flite
// 21.5 MB).
//
//	Limit                  Default      Real maximum          At or over the cap
//	MaxModuleBytes         64 MiB       48 MB (compile)       bounds decoding: 1× copy of data and custom sections
//	MaxCustomSectionBytes  32 MiB       4 MB DWARF (flite)    33 MB of .debug_info: 0.06 s, 103 MiB
//	MaxTypes               100,000      20 (Go), ~1000 (Rust) cost counted in MaxModuleWork
//	MaxParamsPerType       1,000        < 20                  20,000 types × 1000 params: 95 s, 2.1 GiB (now counted in work)
//	MaxResultsPerType      1,000        < 5                   counted in work as moves
//	MaxImports             100,000      118 (rolldown)        100,000: 2.3 s, 38 MiB
//	MaxFunctions           1,000,000    35,521 (rolldown)     1,000,000 empty: 27 s, 291 MiB (counted in work)
//	MaxBodyBytes           7,654,321    666 KB (compile)      the work cap binds first
//	MaxLocalsPerFunction   50,000       38 (C), 20 (Go)       50,000 live at once: 0.15 s, 63 MiB
//	MaxTotalLocals         10,000,000   90,795 (compile)      1 byte each kept with the module
//	MaxNestingDepth        10,000       7,740 (compile)       20 functions nested 10,000 deep: 7.8 s, 34 MiB
//	MaxFunctionWork        6,000,000    758,000 (vet)         see below
//	MaxModuleWork          60,000,000   43.8 M (go, 28 MB)    see below
//	MaxTables              16           1                     16 tables of 1,000,000: 128 MiB at link
//	MaxTableElements       1,000,000    19,930 (compile)      8 MiB per table at link, outside the memory limit
//	MaxGlobals             1,000,000    8 (Go)                1,000,000: 9.5 s (counted in work, as are reloads)
//	MaxExports             100,000      2                     100,000: 0.03 s, 21 MiB
//	MaxElementSegments     100,000      1                     100,000: 0.04 s
//	MaxElementItems        1,000,000    19,930 (compile)      1,000,000: 0.5 s, 126 MiB (counted in work)
//	MaxDataSegments        100,000      100,000 (Go's linker cap) 100,000: 0.05 s, 65 MiB
//	MaxDataBytes           64 MiB       14.9 MB (compile)     60 MB: 0.06 s, 242 MiB
//
// At the work caps: one function at MaxFunctionWork compiles in 0.3 to
// 5 s and at most about 1 GiB, depending on its shape: nested 10,000 deep
// 0.4 s; Go-shaped dispatch over 3,790 blocks 0.3 s; a chain of 7,700
// br_if 1.2 s; 990 calls passing 1000 values 2.2 s and 794 MiB; 590 calls
// with 10,000 mutable globals 1.6 s and 993 MiB; 1000 locals read after
// 2,800 merges 4.8 s and 318 MiB. A module at MaxModuleWork made of ten
// of the last, the costliest shape per unit, compiles in 48.5 s (318 MiB
// peak RSS); one mixing every costly shape, each function near
// MaxFunctionWork, with 2,000 types, 50,000 globals and 500,000 element
// items besides ("atcaps" in measure_test.go, 55.7 M units), in 18.3 s
// and 1.1 GiB;
// 10,000 types and 200,000 functions in 31.8 s. Real programs of 20 to
// 30 MB take 10 to 20 s here whatever the caps: wazero compiles about
// 2 MB of real code a second.
//
// To cap the worst case lower, lower MaxModuleWork: it costs at most about
// 0.8 s per million units, real code 0.25 to 0.5 s; 12,000,000 would bound
// the worst case near 10 s but refuse Go programs above about 8 MB. Compiling
// with several goroutines (experimental.WithCompilationWorkers) divides
// the time by the cores and makes wazero check the context between
// functions, so a deadline then holds to within one function, which
// MaxFunctionWork bounds.
//
// # What Scan does not bound
//
// Linear memory (wazero's memory limit does that), what a guest does at
// run time, and table.grow: a table without a declared maximum can grow to
// 2^32-1 elements, 32 GiB of node memory, so Scan refuses a module that
// uses table.grow on such a table (Go and C modules declare no maximum but
// never grow their table).
package wasmscan
