// Package canon implements the canonical ABI of the WebAssembly component
// model: how component-level values (integers, strings, lists, records,
// variants, resources ...) are laid out in a core module's linear memory
// and passed as core values, with the spec's traps for every violation.
//
// It follows design/mvp/CanonicalABI.md of WebAssembly/component-model for
// synchronous calls with 32-bit memories. It is independent of wazero and of
// the binary decoder: a component value type is a *Type built with the
// constructors below (Bool, U32, List, Record, Variant, Own ...), a value is
// an ordinary Go value (below), a linear memory is anything that
// implements Memory, and the guest's realloc and post-return functions are Go
// callbacks. Every violation by the guest is reported as a *Trap error; no
// input, however hostile, makes this package panic or allocate more than the
// guest's memory could hold.
//
// The Go values of component types, as lifting returns them and lowering
// takes them:
//
//	bool                    bool
//	s8 s16 s32 s64          int8 int16 int32 int64
//	u8 u16 u32 u64          uint8 uint16 uint32 uint64
//	f32 f64                 float32 float64 (a NaN is the canonical NaN)
//	char                    rune
//	string                  string (valid UTF-8)
//	list<u8>                []byte (lowering also takes []any)
//	list<T>                 []any (lowering also takes []string for
//	                        list<string> and [][2]string for a list of
//	                        tuples or records of two strings: the same
//	                        bytes, realloc calls and traps as []any)
//	record, tuple           []any, one per field in order
//	variant, option, result VariantValue (option: case 0 none, 1 some;
//	                        result: case 0 ok, 1 error)
//	enum                    uint32, the case index
//	flags                   uint32, bit i set for label i
//	own<R>, borrow<R>       uint32, the resource's representation
//
// Not covered yet: the async ABI (async lift and lower, callbacks,
// streams, futures, waitables, error-context), the gated map type and
// fixed-length lists, and 64-bit memories.
package canon

import (
	"strconv"
	"strings"
)

// Kind names the shape of a component value type.
type Kind uint8

// The kinds of component value types.
const (
	KindBool Kind = iota + 1
	KindS8
	KindU8
	KindS16
	KindU16
	KindS32
	KindU32
	KindS64
	KindU64
	KindF32
	KindF64
	KindChar
	KindString
	KindList
	KindRecord
	KindTuple
	KindVariant
	KindEnum
	KindOption
	KindResult
	KindFlags
	KindOwn
	KindBorrow
)

var kindNames = [...]string{
	KindBool: "bool", KindS8: "s8", KindU8: "u8", KindS16: "s16", KindU16: "u16",
	KindS32: "s32", KindU32: "u32", KindS64: "s64", KindU64: "u64", KindF32: "f32",
	KindF64: "f64", KindChar: "char", KindString: "string", KindList: "list",
	KindRecord: "record", KindTuple: "tuple", KindVariant: "variant", KindEnum: "enum",
	KindOption: "option", KindResult: "result", KindFlags: "flags", KindOwn: "own",
	KindBorrow: "borrow",
}

// String returns the WIT spelling of the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// MaxTypeDepth is the deepest nesting of value types accepted. Lifting and
// lowering recurse once per level, so the bound keeps hostile types from
// exhausting the stack.
const MaxTypeDepth = 100

// MaxFlags is the most labels a flags type may have (the spec's limit).
const MaxFlags = 32

// Type is a component value type. It is immutable once built and safe to
// share between goroutines; build it with the constructors (Bool, List,
// Record ...). A type that breaks a rule of the spec (an empty record, more
// than 32 flags, nesting deeper than MaxTypeDepth, a size over 4 GiB) is
// still built, but Err reports why, and lifting or lowering it fails.
//
// Internally a tuple is a record whose fields are named "0", "1" ..., and an
// enum, option or result is a variant, as the spec's despecialization says.
type Type struct {
	kind  Kind
	names []string // field, case or flag labels
	elems []*Type  // record fields or variant payloads (nil: no payload)
	elem  *Type    // list element
	res   *ResourceType

	size, align uint32
	depth       int
	borrow      bool       // a borrow handle is somewhere inside
	flat        []CoreType // at most maxFlatCount entries
	err         error
}

// maxFlatCount bounds the flattening stored in a type: one more than the
// largest limit (MaxFlatParams) is enough to know that a type spills.
const maxFlatCount = MaxFlatParams + 1

// Kind returns the shape of t.
func (t *Type) Kind() Kind { return t.kind }

// Err reports why t is not a valid component value type, or nil.
func (t *Type) Err() error { return t.err }

// Elem returns the element type of a list or the payload type of an
// option, else nil.
func (t *Type) Elem() *Type {
	switch t.kind {
	case KindList:
		return t.elem
	case KindOption:
		return t.elems[1]
	}
	return nil
}

// Labels returns the field names of a record or tuple, the case names of a
// variant, enum, option or result, or the flag names of a flags type. The
// slice must not be modified.
func (t *Type) Labels() []string { return t.names }

// Types returns the field types of a record or tuple, or the payload types
// of a variant, enum, option or result (nil for a case without payload).
// The slice must not be modified.
func (t *Type) Types() []*Type { return t.elems }

// Resource returns the resource type of an own or borrow handle, else nil.
func (t *Type) Resource() *ResourceType { return t.res }

// String returns the type in WIT-like syntax, cut short past 200 bytes
// (types from a binary may share subtrees and be exponentially large).
func (t *Type) String() string {
	var sb strings.Builder
	t.format(&sb, 200)
	return sb.String()
}

func (t *Type) format(sb *strings.Builder, budget int) {
	if sb.Len() >= budget {
		sb.WriteString("...")
		return
	}
	switch t.kind {
	case KindList, KindOption:
		sb.WriteString(t.kind.String() + "<")
		if e := t.Elem(); e != nil {
			e.format(sb, budget)
		}
		sb.WriteString(">")
		return
	case KindOwn, KindBorrow:
		name := "resource"
		if t.res != nil && t.res.Name != "" {
			name = t.res.Name
		}
		sb.WriteString(t.kind.String() + "<" + name + ">")
		return
	case KindRecord, KindTuple, KindVariant, KindEnum, KindResult, KindFlags:
		sb.WriteString(t.kind.String() + "<")
		for i, n := range t.names {
			if i > 0 {
				sb.WriteString(", ")
			}
			if sb.Len() >= budget {
				sb.WriteString("...")
				break
			}
			if t.kind != KindTuple {
				sb.WriteString(n)
			}
			if t.elems != nil && t.elems[i] != nil {
				if t.kind != KindTuple {
					sb.WriteString(": ")
				}
				t.elems[i].format(sb, budget)
			}
		}
		sb.WriteString(">")
		return
	}
	sb.WriteString(t.kind.String())
}

func prim(k Kind, size uint32, flat CoreType) *Type {
	return &Type{kind: k, size: size, align: size, depth: 1, flat: []CoreType{flat}}
}

// Bool returns the bool type.
func Bool() *Type { return prim(KindBool, 1, I32) }

// S8 returns the s8 type.
func S8() *Type { return prim(KindS8, 1, I32) }

// U8 returns the u8 type.
func U8() *Type { return prim(KindU8, 1, I32) }

// S16 returns the s16 type.
func S16() *Type { return prim(KindS16, 2, I32) }

// U16 returns the u16 type.
func U16() *Type { return prim(KindU16, 2, I32) }

// S32 returns the s32 type.
func S32() *Type { return prim(KindS32, 4, I32) }

// U32 returns the u32 type.
func U32() *Type { return prim(KindU32, 4, I32) }

// S64 returns the s64 type.
func S64() *Type { return prim(KindS64, 8, I64) }

// U64 returns the u64 type.
func U64() *Type { return prim(KindU64, 8, I64) }

// F32 returns the f32 type.
func F32() *Type { return prim(KindF32, 4, F32Core) }

// F64 returns the f64 type.
func F64() *Type { return prim(KindF64, 8, F64Core) }

// Char returns the char type (a Unicode scalar value).
func Char() *Type { return prim(KindChar, 4, I32) }

// String returns the string type.
func String() *Type {
	return &Type{kind: KindString, size: 8, align: 4, depth: 1, flat: []CoreType{I32, I32}}
}

// List returns the type list<elem>.
func List(elem *Type) *Type {
	t := &Type{kind: KindList, elem: elem, size: 8, align: 4, depth: 1, flat: []CoreType{I32, I32}}
	t.err = childErr(t, elem)
	if elem != nil {
		t.depth, t.borrow = elem.depth+1, elem.borrow
	}
	return t
}

// Field is one named field of a record type.
type Field struct {
	Name string
	Type *Type
}

// Record returns a record type with the given fields, in order.
func Record(fields ...Field) *Type {
	names := make([]string, len(fields))
	types := make([]*Type, len(fields))
	for i, f := range fields {
		names[i], types[i] = f.Name, f.Type
	}
	return record(KindRecord, names, types)
}

// Tuple returns the type tuple<types...>.
func Tuple(types ...*Type) *Type {
	names := make([]string, len(types))
	for i := range types {
		names[i] = strconv.Itoa(i)
	}
	return record(KindTuple, names, append([]*Type(nil), types...))
}

func record(k Kind, names []string, types []*Type) *Type {
	t := &Type{kind: k, names: names, elems: types, align: 1}
	if len(types) == 0 {
		t.err = typeErr(t, "has no fields; the component model does not allow empty records or tuples")
		t.size = 1
		return t
	}
	var size uint64
	for _, f := range types {
		t.err = firstErr(t.err, childErr(t, f))
		if f == nil {
			continue
		}
		t.depth = max(t.depth, f.depth+1)
		t.borrow = t.borrow || f.borrow
		t.align = max(t.align, f.align)
		size = alignTo64(size, f.align) + uint64(f.size)
		t.flat = appendFlat(t.flat, f.flat)
	}
	t.size, t.err = checkSize(t, alignTo64(size, t.align), t.err)
	return t
}

// Case is one case of a variant type; Type is nil for a case without payload.
type Case struct {
	Name string
	Type *Type
}

// Variant returns a variant type with the given cases, in order.
func Variant(cases ...Case) *Type {
	names := make([]string, len(cases))
	types := make([]*Type, len(cases))
	for i, c := range cases {
		names[i], types[i] = c.Name, c.Type
	}
	return variant(KindVariant, names, types)
}

// Enum returns an enum type with the given case labels.
func Enum(labels ...string) *Type {
	return variant(KindEnum, append([]string(nil), labels...), make([]*Type, len(labels)))
}

// Option returns the type option<t>: case 0 is none, case 1 is some.
func Option(t *Type) *Type {
	return variant(KindOption, []string{"none", "some"}, []*Type{nil, t})
}

// Result returns the type result<ok, err>; ok or err may be nil (no
// payload). Case 0 is ok, case 1 is error.
func Result(ok, err *Type) *Type {
	return variant(KindResult, []string{"ok", "error"}, []*Type{ok, err})
}

func variant(k Kind, names []string, types []*Type) *Type {
	t := &Type{kind: k, names: names, elems: types, depth: 1}
	n := len(types)
	if n == 0 {
		t.err = typeErr(t, "has no cases; the component model requires at least one")
		t.size, t.align, t.flat = 1, 1, []CoreType{I32}
		return t
	}
	disc := discriminantSize(n)
	caseAlign := uint32(1)
	var caseSize uint32
	var payload []CoreType
	for _, c := range types {
		if c == nil {
			continue
		}
		t.err = firstErr(t.err, childErr(t, c))
		t.depth = max(t.depth, c.depth+1)
		t.borrow = t.borrow || c.borrow
		caseAlign = max(caseAlign, c.align)
		caseSize = max(caseSize, c.size)
		for i, ct := range c.flat {
			if i < len(payload) {
				payload[i] = join(payload[i], ct)
			} else if i < maxFlatCount {
				payload = append(payload, ct)
			}
		}
	}
	t.align = max(disc, caseAlign)
	size := alignTo64(uint64(disc), caseAlign) + uint64(caseSize)
	t.size, t.err = checkSize(t, alignTo64(size, t.align), t.err)
	t.flat = appendFlat([]CoreType{I32}, payload)
	return t
}

// discriminantSize returns the byte size of the discriminant of a variant
// with n cases.
func discriminantSize(n int) uint32 {
	switch {
	case n <= 1<<8:
		return 1
	case n <= 1<<16:
		return 2
	}
	return 4
}

// Flags returns a flags type with the given labels (1 to 32 of them).
func Flags(labels ...string) *Type {
	t := &Type{kind: KindFlags, names: append([]string(nil), labels...), depth: 1, flat: []CoreType{I32}}
	switch n := len(labels); {
	case n == 0:
		t.err = typeErr(t, "has no labels; the component model requires at least one")
		t.size = 1
	case n <= 8:
		t.size = 1
	case n <= 16:
		t.size = 2
	case n <= MaxFlags:
		t.size = 4
	default:
		t.err = typeErr(t, "has "+strconv.Itoa(n)+" labels; at most 32 are allowed")
		t.size = 4
	}
	t.align = t.size
	return t
}

// Own returns the type own<r>: an owned handle to a resource of type r.
func Own(r *ResourceType) *Type { return handleType(KindOwn, r) }

// Borrow returns the type borrow<r>: a handle to a resource of type r lent
// for the duration of a call.
func Borrow(r *ResourceType) *Type { return handleType(KindBorrow, r) }

func handleType(k Kind, r *ResourceType) *Type {
	t := &Type{kind: k, res: r, size: 4, align: 4, depth: 1, flat: []CoreType{I32}, borrow: k == KindBorrow}
	if r == nil {
		t.err = typeErr(t, "has no resource type")
	}
	return t
}

// SizeOf returns the number of bytes a value of type t occupies in linear
// memory (the spec's elem_size).
func SizeOf(t *Type) uint32 { return t.size }

// AlignOf returns the alignment in bytes of a value of type t in linear
// memory (the spec's alignment).
func AlignOf(t *Type) uint32 { return t.align }

func alignTo64(n uint64, align uint32) uint64 {
	a := uint64(align)
	return (n + a - 1) / a * a
}

func alignTo(n, align uint32) uint32 { return (n + align - 1) &^ (align - 1) }

func appendFlat(dst, src []CoreType) []CoreType {
	room := maxFlatCount - len(dst)
	if room <= 0 {
		return dst
	}
	return append(dst, src[:min(room, len(src))]...)
}

func childErr(parent, child *Type) error {
	if child == nil {
		return typeErr(parent, "has a nil element type")
	}
	if child.err != nil {
		return child.err
	}
	if child.depth+1 > MaxTypeDepth {
		return typeErr(parent, "nests deeper than "+strconv.Itoa(MaxTypeDepth)+" levels")
	}
	return nil
}

func checkSize(t *Type, size uint64, err error) (uint32, error) {
	if size > 1<<32-1 {
		return 1<<32 - 1, firstErr(err, typeErr(t, "is larger than 4 GiB in memory"))
	}
	return uint32(size), err
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// TypeError reports a component value type that breaks a rule of the spec.
type TypeError struct {
	Kind Kind
	Msg  string
}

// Error says which type is invalid and why.
func (e *TypeError) Error() string {
	if e.Kind == 0 {
		return "canonical abi: invalid type: it " + e.Msg
	}
	return "canonical abi: invalid " + e.Kind.String() + " type: it " + e.Msg
}

// validType returns why t cannot be lifted or lowered, or nil.
func validType(t *Type) error {
	if t == nil {
		return &TypeError{Msg: "is nil"}
	}
	return t.err
}

func typeErr(t *Type, msg string) error { return &TypeError{Kind: t.kind, Msg: msg} }
