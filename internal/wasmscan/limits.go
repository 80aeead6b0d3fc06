package wasmscan

// Limits caps what a module may declare. A zero (or negative) field means
// "use the DefaultLimits value"; there is no way to forbid a construct
// outright. The package documentation gives, for each default, the
// measurements it rests on.
type Limits struct {
	// MaxModuleBytes caps the size of the whole binary.
	MaxModuleBytes int
	// MaxCustomSectionBytes caps the bytes of all custom sections
	// together (names, DWARF debug information, producers...), counting
	// each section's content including its name.
	MaxCustomSectionBytes int

	// MaxTypes caps the entries of the type section.
	MaxTypes int
	// MaxParamsPerType and MaxResultsPerType cap each function type.
	// Block types refer to function types, so these also bound the
	// values a block takes and leaves.
	MaxParamsPerType  int
	MaxResultsPerType int

	// MaxImports caps imports of every kind together.
	MaxImports int
	// MaxFunctions caps the functions the module defines (its code
	// section entries); imported functions count under MaxImports.
	MaxFunctions int
	// MaxBodyBytes caps each function body, in bytes of the code
	// section entry: local declarations and instructions.
	MaxBodyBytes int
	// MaxLocalsPerFunction caps the locals each function declares,
	// not counting its parameters.
	MaxLocalsPerFunction int
	// MaxTotalLocals caps the locals declared by all functions together.
	MaxTotalLocals int
	// MaxNestingDepth caps how deep block, loop and if instructions nest
	// in one function (the function body itself is depth 0).
	MaxNestingDepth int
	// MaxFunctionWork caps the estimated compile work of one function,
	// and MaxModuleWork that of all functions together, in units of about
	// a microsecond of wazero's compiler (see the package documentation
	// for the estimate). The per-function cap also bounds the compiler's
	// peak memory, which it spends one function at a time.
	MaxFunctionWork int
	MaxModuleWork   int

	// MaxTables caps tables, imported and defined.
	MaxTables int
	// MaxTableElements caps each table's declared minimum and, when
	// declared, its maximum.
	MaxTableElements int
	// MaxGlobals caps globals, imported and defined.
	MaxGlobals int
	// MaxExports caps the entries of the export section.
	MaxExports int

	// MaxElementSegments caps the entries of the element section, and
	// MaxElementItems the function references or expressions they hold
	// together.
	MaxElementSegments int
	MaxElementItems    int
	// MaxDataSegments caps the entries of the data section, and
	// MaxDataBytes the bytes they hold together.
	MaxDataSegments int
	MaxDataBytes    int
}

// DefaultLimits are the limits Scan applies for zero fields. They pass
// real programs up to about 30 MB (the Go toolchain's go command, 28 MB,
// uses 70% of MaxModuleWork) and bound the worst case to about 50 s of
// single-threaded compilation and 1 GiB; the package documentation gives
// the measurements. The Go compiler itself (48 MB) is refused: one of its
// generated functions has some 40,000 blocks.
var DefaultLimits = Limits{
	MaxModuleBytes:        64 << 20,
	MaxCustomSectionBytes: 32 << 20,
	MaxTypes:              100_000,
	MaxParamsPerType:      1000,
	MaxResultsPerType:     1000,
	MaxImports:            100_000,
	MaxFunctions:          1_000_000,
	MaxBodyBytes:          7_654_321,
	MaxLocalsPerFunction:  50_000,
	MaxTotalLocals:        10_000_000,
	MaxNestingDepth:       10_000,
	MaxFunctionWork:       6_000_000,
	MaxModuleWork:         60_000_000,
	MaxTables:             16,
	MaxTableElements:      1_000_000,
	MaxGlobals:            1_000_000,
	MaxExports:            100_000,
	MaxElementSegments:    100_000,
	MaxElementItems:       1_000_000,
	MaxDataSegments:       100_000,
	MaxDataBytes:          64 << 20,
}

// withDefaults returns l with every zero field set from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.MaxModuleBytes, d.MaxModuleBytes)
	set(&l.MaxCustomSectionBytes, d.MaxCustomSectionBytes)
	set(&l.MaxTypes, d.MaxTypes)
	set(&l.MaxParamsPerType, d.MaxParamsPerType)
	set(&l.MaxResultsPerType, d.MaxResultsPerType)
	set(&l.MaxImports, d.MaxImports)
	set(&l.MaxFunctions, d.MaxFunctions)
	set(&l.MaxBodyBytes, d.MaxBodyBytes)
	set(&l.MaxLocalsPerFunction, d.MaxLocalsPerFunction)
	set(&l.MaxTotalLocals, d.MaxTotalLocals)
	set(&l.MaxNestingDepth, d.MaxNestingDepth)
	set(&l.MaxFunctionWork, d.MaxFunctionWork)
	set(&l.MaxModuleWork, d.MaxModuleWork)
	set(&l.MaxTables, d.MaxTables)
	set(&l.MaxTableElements, d.MaxTableElements)
	set(&l.MaxGlobals, d.MaxGlobals)
	set(&l.MaxExports, d.MaxExports)
	set(&l.MaxElementSegments, d.MaxElementSegments)
	set(&l.MaxElementItems, d.MaxElementItems)
	set(&l.MaxDataSegments, d.MaxDataSegments)
	set(&l.MaxDataBytes, d.MaxDataBytes)
	return l
}
