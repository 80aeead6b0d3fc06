package binary

// Prim is a primitive value type; PrimNone marks a ValType that is a type
// index instead.
type Prim uint8

// The primitive value types.
const (
	PrimNone Prim = iota
	PrimBool
	PrimS8
	PrimU8
	PrimS16
	PrimU16
	PrimS32
	PrimU32
	PrimS64
	PrimU64
	PrimF32
	PrimF64
	PrimChar
	PrimString
)

var primNames = [...]string{"index", "bool", "s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64",
	"f32", "f64", "char", "string"}

// String names the primitive as WIT does.
func (p Prim) String() string {
	if int(p) < len(primNames) {
		return primNames[p]
	}
	return "prim?"
}

// primOf maps a primitive value type opcode (0x7f bool down to 0x73
// string) to its Prim, or PrimNone.
func primOf(b byte) Prim {
	if b >= 0x73 && b <= 0x7f {
		return Prim(0x7f-b) + PrimBool
	}
	return PrimNone
}

// ValType is a value type: a primitive, or (Prim == PrimNone) the type at
// Index of the type index space.
type ValType struct {
	Prim  Prim
	Index uint32
}

// TypeKind is the kind of a component type definition.
type TypeKind uint8

// The type definitions.
const (
	KindPrim TypeKind = iota
	KindRecord
	KindVariant
	KindList
	KindTuple
	KindFlags
	KindEnum
	KindOption
	KindResult
	KindOwn
	KindBorrow
	KindFunc
	KindComponent
	KindInstance
	KindResource
)

var kindNames = [...]string{"prim", "record", "variant", "list", "tuple", "flags", "enum", "option",
	"result", "own", "borrow", "func", "component", "instance", "resource"}

// String names the kind as the text format does.
func (k TypeKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind?"
}

// Field is a named value type: a record field, a function parameter.
type Field struct {
	Name string
	Type ValType
}

// Case is a variant case, with or without a payload.
type Case struct {
	Name string
	Type *ValType
}

// Type is a component type definition. Kind says which fields are set:
//
//	KindPrim        Prim
//	KindRecord      Fields
//	KindVariant     Cases
//	KindList        Elem
//	KindTuple       Elems
//	KindFlags       Labels
//	KindEnum        Labels
//	KindOption      Elem
//	KindResult      Ok, Err (each optional)
//	KindOwn         Resource
//	KindBorrow      Resource
//	KindFunc        Fields (the parameters), Result (optional)
//	KindComponent   Decls
//	KindInstance    Decls
//	KindResource    Rep, Dtor (optional)
type Type struct {
	Kind     TypeKind
	Offset   int // where the definition starts in the input
	Prim     Prim
	Fields   []Field
	Cases    []Case
	Elem     ValType
	Elems    []ValType
	Labels   []string
	Ok, Err  *ValType
	Resource uint32
	Result   *ValType
	Decls    []Decl
	Rep      CoreValType
	Dtor     *uint32
}

// DeclKind is the kind of a declaration inside a component or instance type.
type DeclKind uint8

// The declarations.
const (
	DeclCoreType DeclKind = iota
	DeclType
	DeclAlias
	DeclImport // component types only
	DeclExport
)

// Decl is one declaration of a component or instance type.
type Decl struct {
	Kind     DeclKind
	CoreType *CoreType  // DeclCoreType
	Type     *Type      // DeclType
	Alias    *Alias     // DeclAlias
	Name     ExternName // DeclImport, DeclExport
	Extern   ExternType // DeclImport, DeclExport
}

// CoreValType is a core value type, as its opcode: 0x7f i32, 0x7e i64,
// 0x7d f32, 0x7c f64, 0x7b v128, 0x70 funcref, 0x6f externref.
type CoreValType byte

// String names the core value type as the text format does.
func (t CoreValType) String() string {
	switch t {
	case 0x7f:
		return "i32"
	case 0x7e:
		return "i64"
	case 0x7d:
		return "f32"
	case 0x7c:
		return "f64"
	case 0x7b:
		return "v128"
	case 0x70:
		return "funcref"
	case 0x6f:
		return "externref"
	}
	return "valtype?"
}

// CoreType is a core type definition: a function type, or (Module) a
// core module type with its declarations.
type CoreType struct {
	Module  bool
	Params  []CoreValType
	Results []CoreValType
	Decls   []ModuleDecl
}

// ModuleDeclKind is the kind of a core module type's declaration.
type ModuleDeclKind uint8

// The module type declarations.
const (
	ModuleDeclImport ModuleDeclKind = iota
	ModuleDeclType
	ModuleDeclAlias
	ModuleDeclExport
)

// ModuleDecl is a declaration of a core module type: an import (Module,
// Name, Extern), a type, an outer alias of a core type (Count, Index) or
// an export (Name, Extern).
type ModuleDecl struct {
	Kind         ModuleDeclKind
	Module, Name string
	Extern       CoreExtern
	Type         *CoreType
	Count, Index uint32
}

// CoreExtern is a core import's or export's type. Sort is one of the core
// item sorts; Index is the function's or tag's type index; Limits apply
// to tables and memories; Elem is a table's element or a global's type.
type CoreExtern struct {
	Sort    Sort
	Index   uint32
	Limits  Limits
	Elem    CoreValType
	Mutable bool
}

// Limits are a table's or memory's limits.
type Limits struct {
	Min, Max     uint64
	HasMax       bool
	Shared, Is64 bool
}
