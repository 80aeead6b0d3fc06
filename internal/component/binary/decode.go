package binary

import (
	"bytes"
	"fmt"
)

var (
	magic          = []byte{0x00, 0x61, 0x73, 0x6d}
	componentLayer = []byte{0x0d, 0x00, 0x01, 0x00}
	moduleLayer    = []byte{0x01, 0x00, 0x00, 0x00}
)

// IsComponent reports whether b starts with a component's preamble (the
// magic and layer 1), whatever the version.
func IsComponent(b []byte) bool {
	return len(b) >= 8 && bytes.Equal(b[:4], magic) && b[6] == 0x01 && b[7] == 0x00
}

// Decode decodes and validates the component binary b. The result keeps
// sub-slices of b (core modules, custom sections): b must not change
// while it is in use. Errors are *Error.
func Decode(b []byte) (*Component, error) {
	if len(b) > MaxSize {
		return nil, &Error{Section: "preamble", Offset: 0,
			Msg: fmt.Sprintf("the binary is %d bytes, over the limit of %d", len(b), MaxSize)}
	}
	r := reader{buf: b, end: len(b), section: "preamble", b: &budget{items: MaxItems}}
	return decodeComponent(&r, nil, 0, "")
}

// compState is the state of one component being decoded.
type compState struct {
	c     *Component
	sc    *scope
	depth int
	path  string // prefix for section names in errors
}

// define appends an entry of sort s defined by item of the current
// section; tc is its class when s is SortType.
func (cs *compState) define(s Sort, item int, tc typeClass) {
	cs.c.Spaces[s] = append(cs.c.Spaces[s], Def{Section: len(cs.c.Sections) - 1, Item: item})
	cs.sc.add(s, tc)
}

// decodeComponent decodes the component filling r's region.
func decodeComponent(r *reader, parent *scope, depth int, path string) (*Component, error) {
	r.section = path + "preamble"
	start := r.pos
	hdr, err := r.bytes(8, "the preamble")
	if err != nil {
		return nil, r.errf(start, "%d bytes are too few for a component preamble of 8", r.end-start)
	}
	if !bytes.Equal(hdr[:4], magic) {
		return nil, r.errf(start, "no WebAssembly magic number (\\0asm): this is not a WebAssembly binary")
	}
	if bytes.Equal(hdr[4:], moduleLayer) {
		return nil, r.errf(start+4, "this is a core module, not a component")
	}
	if !bytes.Equal(hdr[4:], componentLayer) {
		return nil, r.errf(start+4, "version and layer % x are not a component of version 0x0d (layer 1); rebuild it with a current toolchain", hdr[4:])
	}
	cs := &compState{c: &Component{Offset: start}, sc: newScope(parent, scopeComponent), depth: depth, path: path}
	for !r.eof() {
		off := r.pos
		r.section = path + "section header"
		id, _ := r.byte("section id")
		size, err := r.u32("section size")
		if err != nil {
			return nil, err
		}
		name := path + SectionID(id).String()
		if id > byte(SectionValue) {
			name = fmt.Sprintf("%ssection %d", path, id)
		}
		sr, err := r.sub(int(size), name, "section")
		if err != nil {
			return nil, err
		}
		if len(cs.c.Sections) >= MaxSections || r.b.items == 0 {
			return nil, sr.errf(off, "the component has more than %d sections", min(MaxSections, MaxItems))
		}
		r.b.items--
		cs.c.Sections = append(cs.c.Sections, Section{ID: SectionID(id), Offset: off, Size: int(size)})
		if err := cs.section(&sr, SectionID(id), off); err != nil {
			return nil, err
		}
		if err := sr.done(); err != nil {
			return nil, err
		}
	}
	return cs.c, nil
}

// section decodes one section's content into the last of cs.c.Sections.
func (cs *compState) section(r *reader, id SectionID, off int) error {
	s := &cs.c.Sections[len(cs.c.Sections)-1]
	switch id {
	case SectionCustom:
		name, err := r.name("custom section name")
		if err != nil {
			return err
		}
		data, _ := r.bytes(r.end-r.pos, "custom section")
		s.Custom = &Custom{Name: name, Data: data}
	case SectionCoreModule:
		at := r.pos
		if r.end-r.pos < 8 || !bytes.Equal(r.buf[r.pos:r.pos+4], magic) || !bytes.Equal(r.buf[r.pos+4:r.pos+8], moduleLayer) {
			return r.errf(at, "the embedded core module does not start with a core module preamble (\\0asm, version 1)")
		}
		mod, _ := r.bytes(r.end-r.pos, "core module")
		s.Module = &CoreModule{Offset: at, Bytes: mod}
		cs.define(SortCoreModule, 0, classUnknown)
	case SectionCoreInstance:
		return vec(r, "core instance", 2, &s.CoreInstances, cs.coreInstance, func(i int) { cs.define(SortCoreInstance, i, classUnknown) })
	case SectionCoreType:
		return vec(r, "core type", 1, &s.CoreTypes, func(r *reader) (CoreType, error) {
			return readCoreType(r, cs.sc, cs.depth)
		}, func(i int) { cs.define(SortCoreType, i, classUnknown) })
	case SectionComponent:
		if cs.depth+1 > MaxDepth {
			return r.errf(off, "components nest deeper than the limit of %d levels", MaxDepth)
		}
		idx := cs.sc.counts[SortComponent]
		sub, err := decodeComponent(r, cs.sc, cs.depth+1, fmt.Sprintf("%scomponent %d: ", cs.path, idx))
		if err != nil {
			return err
		}
		s.Component = sub
		cs.define(SortComponent, 0, classUnknown)
	case SectionInstance:
		return vec(r, "instance", 2, &s.Instances, cs.instance, func(i int) { cs.define(SortInstance, i, classUnknown) })
	case SectionAlias:
		return vec(r, "alias", 3, &s.Aliases, func(r *reader) (Alias, error) {
			return readAlias(r, cs.sc, false)
		}, func(i int) { cs.define(s.Aliases[i].Sort, i, aliasClass(cs.sc, s.Aliases[i])) })
	case SectionType:
		return vec(r, "type", 1, &s.Types, func(r *reader) (Type, error) {
			return readType(r, cs.sc, cs.depth)
		}, func(i int) { cs.define(SortType, i, classOf(s.Types[i].Kind)) })
	case SectionCanon:
		return vec(r, "canonical function", 1, &s.Canons, cs.canon, func(i int) {
			if s.Canons[i].Kind == CanonLift {
				cs.define(SortFunc, i, classUnknown)
			} else {
				cs.define(SortCoreFunc, i, classUnknown)
			}
		})
	case SectionStart:
		st, err := cs.start(r)
		if err != nil {
			return err
		}
		s.Start = st
		for i := uint32(0); i < st.Results; i++ {
			cs.define(SortValue, int(i), classUnknown)
		}
	case SectionImport:
		return vec(r, "import", 3, &s.Imports, cs.importDef, func(i int) { cs.define(s.Imports[i].Type.Sort, i, cs.sc.externClass(s.Imports[i].Type)) })
	case SectionExport:
		return vec(r, "export", 4, &s.Exports, cs.exportDef, func(i int) { cs.define(s.Exports[i].Ref.Sort, i, cs.sc.class(s.Exports[i].Ref.Index)) })
	case SectionValue:
		return r.errf(off, "value sections (a gated feature of the component model) are unsupported")
	default:
		return r.errf(off, "unknown section id %d (a component has sections 0 to 12)", id)
	}
	return nil
}

// vec reads a vector of T, appending each to *out and calling define
// with its position once it is valid, so later entries may refer to it.
func vec[T any](r *reader, what string, minSize int, out *[]T, read func(*reader) (T, error), define func(int)) error {
	n, err := r.count(what, MaxVecLen, minSize)
	if err != nil {
		return err
	}
	*out = make([]T, 0, min(n, 256))
	for i := 0; i < n; i++ {
		v, err := read(r)
		if err != nil {
			return err
		}
		*out = append(*out, v)
		define(i)
	}
	return nil
}
