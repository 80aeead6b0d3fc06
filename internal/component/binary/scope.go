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
