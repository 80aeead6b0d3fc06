package canon

// CoreType is a core WebAssembly value type, as a flattened component value
// is passed.
type CoreType uint8

// The core value types. A core value travels as a uint64 holding its bits
// the way wazero's api package encodes them: an i32 zero-extended, an f32's
// bits in the low 32 bits, an f64's bits.
const (
	I32 CoreType = iota + 1
	I64
	F32Core
	F64Core
)

// String returns the WebAssembly text name of the core type.
func (c CoreType) String() string {
	switch c {
	case I32:
		return "i32"
	case I64:
		return "i64"
	case F32Core:
		return "f32"
	case F64Core:
		return "f64"
	}
	return "invalid"
}

// The spec's limits on flattened signatures of synchronous functions: more
// parameters than MaxFlatParams are passed in memory through one pointer,
// more results than MaxFlatResults are returned in memory.
const (
	MaxFlatParams  = 16
	MaxFlatResults = 1
)

// join is the core type that can carry both a and b, for the shared payload
// slots of a flattened variant.
func join(a, b CoreType) CoreType {
	if a == b {
		return a
	}
	if (a == I32 && b == F32Core) || (a == F32Core && b == I32) {
		return I32
	}
	return I64
}

// FuncType is a component function type.
type FuncType struct {
	Params  []*Type
	Results []*Type
}

// Err reports why ft is not a valid component function type: an invalid
// parameter or result type, a borrow handle in a result, or more than one
// result.
func (ft *FuncType) Err() error {
	for _, p := range ft.Params {
		if p == nil {
			return &TypeError{Kind: 0, Msg: "is a nil parameter type"}
		}
		if p.err != nil {
			return p.err
		}
	}
	if len(ft.Results) > 1 {
		return &TypeError{Kind: 0, Msg: "has more than one result; a component function returns at most one value"}
	}
	for _, r := range ft.Results {
		if r == nil {
			return &TypeError{Kind: 0, Msg: "is a nil result type"}
		}
		if r.err != nil {
			return r.err
		}
		if r.borrow {
			return &TypeError{Kind: KindBorrow, Msg: "appears in a function result; borrowed handles may only be parameters"}
		}
	}
	return nil
}

// CoreFuncType is a core function signature.
type CoreFuncType struct {
	Params  []CoreType
	Results []CoreType
}

// Direction says which side of the boundary a core function sits on.
type Direction uint8

const (
	// Lift is a core function exported by the guest and lifted into a
	// component function (canon lift): results that do not fit are returned
	// as one pointer to them.
	Lift Direction = iota + 1
	// Lower is a core function the guest imports, lowered from a component
	// function (canon lower): results that do not fit are written where a
	// pointer passed as the last parameter says.
	Lower
)

// Flatten returns the core signature of the synchronous component function
// ft seen from direction d, with the spec's limits: parameters beyond
// MaxFlatParams travel in memory behind one i32 pointer, and so do results
// beyond MaxFlatResults (returned for Lift, an extra pointer parameter for
// Lower).
func Flatten(ft *FuncType, d Direction) CoreFuncType {
	params := flattenTypes(ft.Params)
	results := flattenTypes(ft.Results)
	if len(params) > MaxFlatParams {
		params = []CoreType{I32}
	}
	if len(results) > MaxFlatResults {
		if d == Lift {
			results = []CoreType{I32}
		} else {
			params = append(params, I32)
			results = nil
		}
	}
	return CoreFuncType{Params: params, Results: results}
}

// FlattenType returns the core types a value of type t flattens to; for a
// type with more than MaxFlatParams of them, only the first
// MaxFlatParams+1 are returned, which is enough to know it spills.
func FlattenType(t *Type) []CoreType { return append([]CoreType(nil), t.flat...) }

// flatCount is len(flattenTypes(ts)), counted without building the list
// (it is asked on every call).
func flatCount(ts []*Type) int {
	n := 0
	for _, t := range ts {
		if n >= maxFlatCount {
			break
		}
		if t != nil {
			n += min(maxFlatCount-n, len(t.flat))
		}
	}
	return n
}

// flattenTypes flattens ts in order, stopping once it is past every limit.
func flattenTypes(ts []*Type) []CoreType {
	var out []CoreType
	for _, t := range ts {
		if len(out) >= maxFlatCount {
			break
		}
		if t == nil {
			continue // invalid: Err says so
		}
		out = appendFlat(out, t.flat)
	}
	return out
}
