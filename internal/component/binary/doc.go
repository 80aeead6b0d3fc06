// Package binary decodes the WebAssembly component binary format (the
// component model's Binary.md, layer 1, version 0x0d) as real toolchains
// emit it: wit-component behind jco new and componentize-js, wasm-tools,
// cargo component.
//
// Decode reads every section of a component (custom, core module, core
// instance, core type, nested component, instance, alias, type, canon,
// start, import, export), nested components recursively, and builds the
// index spaces each definition extends, so later stages (instantiation,
// the canonical ABI) can resolve an index to the definition behind it.
// Core modules are not decoded: each is kept as a sub-slice of the input
// for wazero to compile.
//
// Validation covers the encoding (every opcode, length and count), UTF-8
// names, extern names (interface names with their semver versions), and
// index bounds: every index a definition uses must name an earlier entry
// of its sort's index space, outer aliases included. Where the kind of
// type an index names is known, it must fit its use (a value type for a
// field, a resource for a handle or resource.new, a function type for a
// lift or a func import); types aliased from instance exports are not
// followed. Duplicate import, export and label names are refused (case
// insensitively). Type checking proper (that
// an instantiation's arguments match the imports, that a lifted core
// function has the flattened signature) is left to instantiation.
//
// A component is untrusted input. Decoding is bounded by the exported
// Max constants: nesting depth, input size, counts of sections and of
// definitions, lengths of names and of type lists. Nothing is allocated
// by a count read from the input before the bytes that count claims have
// been seen, so a lying count costs no memory. Every failure is a *Error
// naming the section, the byte offset and what was wrong.
//
// The async (🔀), thread (🧵), error-context (📝), value (🪙) and fixed-size
// list (🔧) features gated in the specification are refused with an error
// saying they are unsupported.
package binary

// Caps on the work one Decode does. The largest component a toolchain
// emits today is componentize-js's JavaScript wasi:http handler: 12.8 MB,
// one nested component, 332 sections, 1,682 definitions in all (see
// TestComponentizeJS). Each cap leaves a wide margin above that, while a
// hostile input within the caps costs at most some tens of megabytes and
// milliseconds.
const (
	// MaxSize is the largest input Decode accepts, in bytes: ten times a
	// componentize-js output.
	MaxSize = 128 << 20

	// MaxDepth bounds nesting: nested components, component and instance
	// types inside each other, and core module types all count one level.
	// Toolchains nest three or four levels.
	MaxDepth = 16

	// MaxSections is the most sections one component (nested ones
	// counted apart) may have: 30 times componentize-js's 332.
	MaxSections = 10_000

	// MaxItems is the most definitions of all kinds (sections, entries of
	// vectors: section items, declarations, fields, cases, parameters,
	// labels) one Decode reads in total, over all nesting levels: about
	// 60 times componentize-js's 1,682. Every item takes at least one
	// byte of input and at most a few hundred bytes of memory, so a
	// hostile input costs at most some tens of megabytes.
	MaxItems = 100_000

	// MaxVecLen is the most entries one vector in the binary may claim
	// (the items of a section, the declarations of a type).
	MaxVecLen = 50_000

	// MaxFields is the most fields of a record, cases of a variant or
	// enum, elements of a tuple, or parameters of a function.
	MaxFields = 10_000

	// MaxFlags is the most labels of a flags type (the specification's
	// own limit).
	MaxFlags = 32

	// MaxNameLen is the longest name (import, export, label, custom
	// section name) in bytes.
	MaxNameLen = 64 << 10
)
