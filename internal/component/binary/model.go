package binary

// Sort is the kind of an index space: the core sorts, then the component
// sorts.
type Sort uint8

// The sorts, one index space each.
const (
	SortCoreFunc Sort = iota
	SortCoreTable
	SortCoreMemory
	SortCoreGlobal
	SortCoreTag
	SortCoreType
	SortCoreModule
	SortCoreInstance
	SortFunc
	SortValue
	SortType
	SortComponent
	SortInstance
	// NumSorts is the number of sorts.
	NumSorts
)

var sortNames = [NumSorts]string{"core func", "core table", "core memory", "core global", "core tag",
	"core type", "core module", "core instance", "func", "value", "type", "component", "instance"}

// String returns the sort as the text format writes it ("core func", "type").
func (s Sort) String() string {
	if s < NumSorts {
		return sortNames[s]
	}
	return "sort?"
}

// SortIndex is a reference to entry Index of sort Sort's index space.
type SortIndex struct {
	Sort  Sort
	Index uint32
}

// SectionID is a section's id byte.
type SectionID uint8

// The section ids of a component.
const (
	SectionCustom       SectionID = 0
	SectionCoreModule   SectionID = 1
	SectionCoreInstance SectionID = 2
	SectionCoreType     SectionID = 3
	SectionComponent    SectionID = 4
	SectionInstance     SectionID = 5
	SectionAlias        SectionID = 6
	SectionType         SectionID = 7
	SectionCanon        SectionID = 8
	SectionStart        SectionID = 9
	SectionImport       SectionID = 10
	SectionExport       SectionID = 11
	SectionValue        SectionID = 12
)

var sectionNames = [...]string{"custom section", "core module section", "core instance section",
	"core type section", "component section", "instance section", "alias section", "type section",
	"canon section", "start section", "import section", "export section", "value section"}

// String names the section ("type section").
func (id SectionID) String() string {
	if int(id) < len(sectionNames) {
		return sectionNames[id]
	}
	return "section?"
}

// Component is a decoded component: its sections in binary order and the
// index spaces they build.
type Component struct {
	// Offset is where the component's preamble starts in the input.
	Offset int
	// Sections are the sections in the order of the binary, which is the
	// order of their definitions.
	Sections []Section
	// Spaces holds, for each sort, where each index of its space was
	// defined.
	Spaces [NumSorts][]Def
}

// Def says which definition an index stands for: item Item of section
// Sections[Section] (for a core module or nested component section, Item
// is 0; for a start section, Item is the result's position).
type Def struct {
	Section int
	Item    int
}

// Section is one section. Exactly the field matching ID is set.
type Section struct {
	ID SectionID
	// Offset is where the section's id byte is in the input; Size is the
	// size of its content.
	Offset, Size int

	Custom        *Custom
	Module        *CoreModule
	CoreInstances []CoreInstance
	CoreTypes     []CoreType
	Component     *Component
	Instances     []Instance
	Aliases       []Alias
	Types         []Type
	Canons        []Canon
	Start         *Start
	Imports       []Import
	Exports       []Export
}

// Custom is a custom section: a name and uninterpreted bytes.
type Custom struct {
	Name string
	Data []byte // a sub-slice of the input
}

// CoreModule is an embedded core module, not decoded.
type CoreModule struct {
	Offset int    // where the module starts in the input
	Bytes  []byte // the module's bytes, a sub-slice of the input
}

// CoreInstance is a core instance definition: an instantiation of a core
// module with instances as its imports, or a bag of inline exports.
type CoreInstance struct {
	Instantiate bool
	Module      uint32            // core module index, when Instantiate
	Args        []CoreInstanceArg // when Instantiate
	Exports     []CoreExport      // otherwise
}

// CoreInstanceArg supplies core instance Instance as the import module Name.
type CoreInstanceArg struct {
	Name     string
	Instance uint32
}

// CoreExport is an inline export of a core item (Sort is a core sort).
type CoreExport struct {
	Name string
	Ref  SortIndex
}

// Instance is a component instance definition: an instantiation of a
// component or a bag of inline exports.
type Instance struct {
	Instantiate bool
	Component   uint32        // component index, when Instantiate
	Args        []InstanceArg // when Instantiate
	Exports     []InlineExport
}

// InstanceArg supplies Ref for the import named Name.
type InstanceArg struct {
	Name string
	Ref  SortIndex
}

// InlineExport is an inline export of an instance definition.
type InlineExport struct {
	Name ExternName
	Ref  SortIndex
}

// AliasKind is how an alias finds its target.
type AliasKind uint8

// The alias kinds.
const (
	AliasExport     AliasKind = iota // an export of a component instance
	AliasCoreExport                  // an export of a core instance
	AliasOuter                       // an entry of an enclosing scope
)

// Alias adds an entry of sort Sort that stands for an instance's export
// (Instance, Name) or an outer scope's entry (Count scopes out, Index).
type Alias struct {
	Sort     Sort
	Kind     AliasKind
	Instance uint32
	Name     string
	Count    uint32
	Index    uint32
}

// Import is an import of the component.
type Import struct {
	Name ExternName
	Type ExternType
}

// Export is an export of the component; Type, when set, is the type the
// export is ascribed.
type Export struct {
	Name ExternName
	Ref  SortIndex
	Type *ExternType
}

// ExternType is the type of an import or export: a sort and the type
// index that describes it. For SortType, Index is the type it equals,
// unless SubResource says it is a fresh resource type.
type ExternType struct {
	Sort        Sort // SortCoreModule, SortFunc, SortType, SortComponent or SortInstance
	Index       uint32
	SubResource bool
}

// Start is a start definition (a gated feature, decoded but unused).
type Start struct {
	Func    uint32
	Args    []uint32
	Results uint32
}

// CanonKind is a canonical definition's kind.
type CanonKind uint8

// The supported canonical definitions.
const (
	CanonLift CanonKind = iota
	CanonLower
	CanonResourceNew
	CanonResourceDrop
	CanonResourceRep
)

var canonNames = [...]string{"lift", "lower", "resource.new", "resource.drop", "resource.rep"}

// String names the kind as the text format does.
func (k CanonKind) String() string {
	if int(k) < len(canonNames) {
		return canonNames[k]
	}
	return "canon?"
}

// StringEncoding is a canonical option's string encoding.
type StringEncoding uint8

// The string encodings.
const (
	UTF8 StringEncoding = iota
	UTF16
	Latin1UTF16
)

var encodingNames = [...]string{"utf8", "utf16", "latin1+utf16"}

// String names the encoding as the text format does.
func (e StringEncoding) String() string {
	if int(e) < len(encodingNames) {
		return encodingNames[e]
	}
	return "encoding?"
}

// CanonOpts are the options of a lift or lower.
type CanonOpts struct {
	Encoding      StringEncoding
	HasMemory     bool
	Memory        uint32 // core memory index
	HasRealloc    bool
	Realloc       uint32 // core func index
	HasPostReturn bool
	PostReturn    uint32 // core func index
}

// Canon is a canonical definition. Lift defines a func from core func
// Func of type Type; lower defines a core func from func Func; the
// resource ones define a core func for resource type Type.
type Canon struct {
	Kind CanonKind
	Func uint32
	Type uint32
	Opts CanonOpts
}
