package binary

import "strings"

// scopeKind is what opened a scope of index spaces.
type scopeKind uint8

const (
	scopeComponent scopeKind = iota
	scopeComponentType
	scopeInstanceType
	scopeModuleType
)

// scope counts the entries of each index space of one component,
// component type, instance type or module type; outer aliases look
// through parent.
type scope struct {
	parent *scope
	kind   scopeKind
	counts [NumSorts]uint32
	// imports and exports hold the names seen, lowercased, to refuse
	// duplicates (the specification's strong uniqueness, approximated by
	// case-insensitive equality).
	imports, exports map[string]bool
	// types holds the class of each type index.
	types []typeClass
}

func newScope(parent *scope, kind scopeKind) *scope {
	return &scope{parent: parent, kind: kind}
}

// check fails unless ref names an existing entry of its index space.
func (s *scope) check(r *reader, at int, ref SortIndex, what string) error {
	if ref.Sort >= NumSorts {
		return r.errf(at, "%s has an invalid sort", what)
	}
	if ref.Index >= s.counts[ref.Sort] {
		return r.errf(at, "%s refers to %s index %d, but only %d %s definitions precede it (index out of bounds)",
			what, ref.Sort, ref.Index, s.counts[ref.Sort], ref.Sort)
	}
	return nil
}

// outer returns the scope count levels out, or an error.
func (s *scope) outer(r *reader, at int, count uint32) (*scope, error) {
	t := s
	for i := uint32(0); i < count; i++ {
		if t.parent == nil {
			return nil, r.errf(at, "outer alias count %d reaches past the outermost scope (%d enclosing)", count, i)
		}
		t = t.parent
	}
	return t, nil
}

// unique records an import or export name and fails on a duplicate.
func (s *scope) unique(r *reader, at int, export bool, name string) error {
	m, what := &s.imports, "import"
	if export {
		m, what = &s.exports, "export"
	}
	if *m == nil {
		*m = map[string]bool{}
	}
	key := strings.ToLower(name)
	if (*m)[key] {
		return r.errf(at, "%s name %s is not unique in its scope", what, quote(name))
	}
	(*m)[key] = true
	return nil
}

// typeClass is what a type index stands for, as far as decoding knows:
// enough to refuse a function type used as a value type, or a handle to
// something that is not a resource. Types aliased from instance exports
// are of unknown class and pass every check; instantiation checks them.
type typeClass uint8

const (
	classUnknown typeClass = iota
	classValue
	classFunc
	classComponent
	classInstance
	classResource
)

var classNames = [...]string{"unknown", "value", "function", "component", "instance", "resource"}

func (c typeClass) String() string { return classNames[c] }

// article returns the class with its indefinite article ("an instance").
func (c typeClass) article() string {
	if c == classInstance || c == classUnknown {
		return "an " + c.String()
	}
	return "a " + c.String()
}

// classOf is the class of a type definition of kind k.
func classOf(k TypeKind) typeClass {
	switch k {
	case KindFunc:
		return classFunc
	case KindComponent:
		return classComponent
	case KindInstance:
		return classInstance
	case KindResource:
		return classResource
	}
	return classValue
}

// add appends an entry to sort's index space; tc is its class when sort
// is SortType.
func (s *scope) add(sort Sort, tc typeClass) {
	s.counts[sort]++
	if sort == SortType {
		s.types = append(s.types, tc)
	}
}

// class returns the class of type index i (which check has validated).
func (s *scope) class(i uint32) typeClass {
	if int64(i) < int64(len(s.types)) {
		return s.types[i]
	}
	return classUnknown
}

// want fails when type index i is known to be of another class than want.
func (s *scope) want(r *reader, at int, i uint32, want typeClass, what string) error {
	if c := s.class(i); c != classUnknown && c != want {
		return r.errf(at, "%s refers to type %d, %s type, where %s type is required", what, i, c.article(), want.article())
	}
	return nil
}

// externClass is the class an import or export of type et adds to the
// type index space (only meaningful for SortType).
func (s *scope) externClass(et ExternType) typeClass {
	if et.Sort != SortType {
		return classUnknown
	}
	if et.SubResource {
		return classResource
	}
	return s.class(et.Index)
}

// aliasClass is the class of the type an alias adds: known for outer
// aliases, unknown for exports of instances.
func aliasClass(sc *scope, a Alias) typeClass {
	if a.Sort != SortType || a.Kind != AliasOuter {
		return classUnknown
	}
	t := sc
	for i := uint32(0); i < a.Count && t != nil; i++ {
		t = t.parent
	}
	if t == nil {
		return classUnknown
	}
	return t.class(a.Index)
}
