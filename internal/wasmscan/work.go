package wasmscan

// work estimates the time wazero's optimizing compiler takes for a
// function, in microseconds on the reference machine (2 cores, wazero
// v1.12.0), as an upper bound for the shapes measured (see the package
// documentation):
//
//   - bytes: about 1 µs per byte of body is the linear part;
//   - blocks²/40: SSA construction, dominators and loop detection walk
//     the dominator tree from every block;
//   - variables×blocks/2: looking up a local that was last set many
//     blocks back visits every merge in between, and each visit leaves an
//     entry and a value behind;
//   - moves×3: every value a call, branch or block passes becomes SSA
//     values, moves and, past the registers, spill slots (about 380 bytes
//     of compiler memory each);
//   - reloads: after every call wazero reloads every mutable global
//     (0.3 µs and 170 bytes each: 10,000 globals and 1,000 calls take
//     2.9 s and 1.7 GiB);
//   - globals/64: every function declares a variable per global (12 ns).
//
// None of the terms can overflow: blocks, moves and reloads grow at most
// a few per body byte times a type's arity or the number of globals.
func work(bytes, blocks, variables, moves, reloads, globals uint64) uint64 {
	return workPerFunction + globals/64 + bytes + blocks*blocks/40 + variables*blocks/2 + moves*3 + reloads
}

// workPerFunction is the fixed cost of compiling a function, however
// small: a million empty functions take 27 s.
const workPerFunction = 30

// typeWork estimates the cost of a function type: wazero compiles an entry
// trampoline for each, at about 5 µs and 100 bytes per parameter and
// result (20,000 types of 1,000 parameters take 95 s and 2.1 GiB).
func typeWork(params, results int) uint64 {
	return 10 * uint64(1+params+results)
}

// Module-wide costs, in the same units (measured with 100,000 imports,
// 1,000,000 globals, 10,000,000 element items and a million names).
const (
	workPerImport      = 25 // 2.3 s for 100,000 function imports
	workPerGlobal      = 10 // 9.5 s for a million globals
	workPerElementItem = 4  // 31.8 s to compile and 9.2 s to link 10 million items, 1.1 GiB
	workPerName        = 8  // 7.0 s for a million function names
)

// signatureWork is the cost of wazero's per-function and per-type passes
// over all the module's types: it resets a map of every signature before
// compiling each function and each type's entry trampoline, about 20 ns a
// signature.
func signatureWork(functions, types int) uint64 {
	return uint64(functions+types) * uint64(types) / 50
}
