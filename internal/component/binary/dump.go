package binary

import (
	"fmt"
	"strconv"
	"strings"
)

// Dump returns a readable listing of the component: each section with its
// offset and size, each definition with the index it takes in its sort's
// index space, types written out in a form close to the text format, and
// nested components indented. Core modules and custom sections show their
// size only. It is meant for tests and for people, not for parsing.
func (c *Component) Dump() string {
	var d dumper
	d.component(c)
	return d.b.String()
}

type dumper struct {
	b      strings.Builder
	indent int
}

func (d *dumper) line(format string, args ...any) {
	d.b.WriteString(strings.Repeat("  ", d.indent))
	fmt.Fprintf(&d.b, format, args...)
	d.b.WriteByte('\n')
}

func (d *dumper) component(c *Component) {
	d.line("component")
	d.indent++
	var next [NumSorts]int // the next index of each sort
	take := func(s Sort) int { i := next[s]; next[s]++; return i }
	for _, s := range c.Sections {
		d.line("%s @%d size %d", s.ID, s.Offset, s.Size)
		d.indent++
		switch s.ID {
		case SectionCustom:
			d.line("custom %s (%d bytes)", strconv.Quote(s.Custom.Name), len(s.Custom.Data))
		case SectionCoreModule:
			d.line("core module %d (%d bytes)", take(SortCoreModule), len(s.Module.Bytes))
		case SectionCoreInstance:
			for _, ci := range s.CoreInstances {
				d.line("core instance %d = %s", take(SortCoreInstance), coreInstanceString(ci))
			}
		case SectionCoreType:
			for _, ct := range s.CoreTypes {
				d.coreType(fmt.Sprintf("core type %d = ", take(SortCoreType)), ct)
			}
		case SectionComponent:
			d.line("component %d:", take(SortComponent))
			d.indent++
			d.component(s.Component)
			d.indent--
		case SectionInstance:
			for _, in := range s.Instances {
				d.line("instance %d = %s", take(SortInstance), instanceString(in))
			}
		case SectionAlias:
			for _, a := range s.Aliases {
				d.line("%s %d = %s", a.Sort, take(a.Sort), aliasString(a))
			}
		case SectionType:
			for _, t := range s.Types {
				d.typeDef(fmt.Sprintf("type %d = ", take(SortType)), t)
			}
		case SectionCanon:
			for _, cn := range s.Canons {
				sort := SortCoreFunc
				if cn.Kind == CanonLift {
					sort = SortFunc
				}
				d.line("%s %d = %s", sort, take(sort), canonString(cn))
			}
		case SectionStart:
			d.line("start func %d args %v results %d", s.Start.Func, s.Start.Args, s.Start.Results)
			for i := uint32(0); i < s.Start.Results; i++ {
				take(SortValue)
			}
		case SectionImport:
			for _, im := range s.Imports {
				d.line("%s %d = import %s %s", im.Type.Sort, take(im.Type.Sort), nameString(im.Name), externString(im.Type))
			}
		case SectionExport:
			for _, ex := range s.Exports {
				typ := ""
				if ex.Type != nil {
					typ = " " + externString(*ex.Type)
				}
				d.line("%s %d = export %s (%s %d)%s", ex.Ref.Sort, take(ex.Ref.Sort), nameString(ex.Name), ex.Ref.Sort, ex.Ref.Index, typ)
			}
		}
		d.indent--
	}
	var counts []string
	for s := Sort(0); s < NumSorts; s++ {
		if n := len(c.Spaces[s]); n > 0 {
			counts = append(counts, fmt.Sprintf("%s %d", s, n))
		}
	}
	d.line("index spaces: %s", strings.Join(counts, ", "))
	d.indent--
}

func nameString(n ExternName) string {
	s := strconv.Quote(n.Name)
	if n.Implements != "" {
		s += " (implements " + strconv.Quote(n.Implements) + ")"
	}
	if n.VersionSuffix != "" {
		s += " (versionsuffix " + strconv.Quote(n.VersionSuffix) + ")"
	}
	if n.ExternalID != "" {
		s += " (external-id " + strconv.Quote(n.ExternalID) + ")"
	}
	return s
}

func externString(e ExternType) string {
	switch {
	case e.Sort == SortCoreModule:
		return fmt.Sprintf("(core module (type %d))", e.Index)
	case e.Sort == SortType && e.SubResource:
		return "(type (sub resource))"
	case e.Sort == SortType:
		return fmt.Sprintf("(type (eq %d))", e.Index)
	}
	return fmt.Sprintf("(%s (type %d))", e.Sort, e.Index)
}

func coreInstanceString(ci CoreInstance) string {
	var parts []string
	if ci.Instantiate {
		for _, a := range ci.Args {
			parts = append(parts, fmt.Sprintf("(with %s (instance %d))", strconv.Quote(a.Name), a.Instance))
		}
		return strings.TrimSpace(fmt.Sprintf("instantiate module %d %s", ci.Module, strings.Join(parts, " ")))
	}
	for _, e := range ci.Exports {
		parts = append(parts, fmt.Sprintf("(export %s (%s %d))", strconv.Quote(e.Name), e.Ref.Sort, e.Ref.Index))
	}
	return strings.TrimSpace("exports " + strings.Join(parts, " "))
}

func instanceString(in Instance) string {
	var parts []string
	if in.Instantiate {
		for _, a := range in.Args {
			parts = append(parts, fmt.Sprintf("(with %s (%s %d))", strconv.Quote(a.Name), a.Ref.Sort, a.Ref.Index))
		}
		return strings.TrimSpace(fmt.Sprintf("instantiate component %d %s", in.Component, strings.Join(parts, " ")))
	}
	for _, e := range in.Exports {
		parts = append(parts, fmt.Sprintf("(export %s (%s %d))", nameString(e.Name), e.Ref.Sort, e.Ref.Index))
	}
	return strings.TrimSpace("exports " + strings.Join(parts, " "))
}

func aliasString(a Alias) string {
	switch a.Kind {
	case AliasExport:
		return fmt.Sprintf("alias export instance %d %s", a.Instance, strconv.Quote(a.Name))
	case AliasCoreExport:
		return fmt.Sprintf("alias core export core instance %d %s", a.Instance, strconv.Quote(a.Name))
	}
	return fmt.Sprintf("alias outer %d %d", a.Count, a.Index)
}

func canonString(c Canon) string {
	switch c.Kind {
	case CanonLift:
		return fmt.Sprintf("canon lift (core func %d)%s (type %d)", c.Func, optsString(c.Opts), c.Type)
	case CanonLower:
		return fmt.Sprintf("canon lower (func %d)%s", c.Func, optsString(c.Opts))
	}
	return fmt.Sprintf("canon %s (type %d)", c.Kind, c.Type)
}

func optsString(o CanonOpts) string {
	s := ""
	if o.Encoding != UTF8 {
		s += " string-encoding=" + o.Encoding.String()
	}
	if o.HasMemory {
		s += fmt.Sprintf(" (memory %d)", o.Memory)
	}
	if o.HasRealloc {
		s += fmt.Sprintf(" (realloc %d)", o.Realloc)
	}
	if o.HasPostReturn {
		s += fmt.Sprintf(" (post-return %d)", o.PostReturn)
	}
	return s
}

func valString(v ValType) string {
	if v.Prim != PrimNone {
		return v.Prim.String()
	}
	return "type " + strconv.FormatUint(uint64(v.Index), 10)
}

func optValString(v *ValType) string {
	if v == nil {
		return "_"
	}
	return valString(*v)
}

func fieldsString(fs []Field) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Name + ": " + valString(f.Type)
	}
	return strings.Join(parts, ", ")
}

// typeString writes a type that is not a component or instance type.
func typeString(t Type) string {
	switch t.Kind {
	case KindPrim:
		return t.Prim.String()
	case KindRecord:
		return "record {" + fieldsString(t.Fields) + "}"
	case KindVariant:
		parts := make([]string, len(t.Cases))
		for i, c := range t.Cases {
			parts[i] = c.Name
			if c.Type != nil {
				parts[i] += "(" + valString(*c.Type) + ")"
			}
		}
		return "variant {" + strings.Join(parts, ", ") + "}"
	case KindList:
		return "list<" + valString(t.Elem) + ">"
	case KindTuple:
		parts := make([]string, len(t.Elems))
		for i, e := range t.Elems {
			parts[i] = valString(e)
		}
		return "tuple<" + strings.Join(parts, ", ") + ">"
	case KindFlags, KindEnum:
		return t.Kind.String() + " {" + strings.Join(t.Labels, ", ") + "}"
	case KindOption:
		return "option<" + valString(t.Elem) + ">"
	case KindResult:
		return "result<" + optValString(t.Ok) + ", " + optValString(t.Err) + ">"
	case KindOwn, KindBorrow:
		return fmt.Sprintf("%s<type %d>", t.Kind, t.Resource)
	case KindFunc:
		s := "func(" + fieldsString(t.Fields) + ")"
		if t.Result != nil {
			s += " -> " + valString(*t.Result)
		}
		return s
	case KindResource:
		s := "resource (rep " + t.Rep.String() + ")"
		if t.Dtor != nil {
			s += fmt.Sprintf(" (dtor core func %d)", *t.Dtor)
		}
		return s
	}
	return t.Kind.String()
}

// typeDef writes a type definition, with declarations on their own lines.
func (d *dumper) typeDef(prefix string, t Type) {
	if t.Kind != KindComponent && t.Kind != KindInstance {
		d.line("%s%s", prefix, typeString(t))
		return
	}
	d.line("%s%s", prefix, t.Kind)
	d.indent++
	var next [NumSorts]int
	take := func(s Sort) int { i := next[s]; next[s]++; return i }
	for _, dc := range t.Decls {
		switch dc.Kind {
		case DeclCoreType:
			d.coreType(fmt.Sprintf("core type %d = ", take(SortCoreType)), *dc.CoreType)
		case DeclType:
			d.typeDef(fmt.Sprintf("type %d = ", take(SortType)), *dc.Type)
		case DeclAlias:
			d.line("%s %d = %s", dc.Alias.Sort, take(dc.Alias.Sort), aliasString(*dc.Alias))
		case DeclImport, DeclExport:
			verb := "export"
			if dc.Kind == DeclImport {
				verb = "import"
			}
			d.line("%s %d = %s %s %s", dc.Extern.Sort, take(dc.Extern.Sort), verb, nameString(dc.Name), externString(dc.Extern))
		}
	}
	d.indent--
}

func coreTypesString(ts []CoreValType) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.String()
	}
	return "(" + strings.Join(parts, " ") + ")"
}

func (d *dumper) coreType(prefix string, ct CoreType) {
	if !ct.Module {
		d.line("%sfunc %s -> %s", prefix, coreTypesString(ct.Params), coreTypesString(ct.Results))
		return
	}
	d.line("%smodule", prefix)
	d.indent++
	types := 0
	for _, md := range ct.Decls {
		switch md.Kind {
		case ModuleDeclImport:
			d.line("import %s %s %s", strconv.Quote(md.Module), strconv.Quote(md.Name), coreExternString(md.Extern))
		case ModuleDeclType:
			d.coreType(fmt.Sprintf("type %d = ", types), *md.Type)
			types++
		case ModuleDeclAlias:
			d.line("type %d = alias outer %d %d", types, md.Count, md.Index)
			types++
		case ModuleDeclExport:
			d.line("export %s %s", strconv.Quote(md.Name), coreExternString(md.Extern))
		}
	}
	d.indent--
}

func coreExternString(e CoreExtern) string {
	lim := func(l Limits) string {
		s := strconv.FormatUint(l.Min, 10)
		if l.HasMax {
			s += " " + strconv.FormatUint(l.Max, 10)
		}
		if l.Is64 {
			s = "i64 " + s
		}
		if l.Shared {
			s += " shared"
		}
		return s
	}
	switch e.Sort {
	case SortCoreFunc:
		return fmt.Sprintf("(func (type %d))", e.Index)
	case SortCoreTag:
		return fmt.Sprintf("(tag (type %d))", e.Index)
	case SortCoreTable:
		return fmt.Sprintf("(table %s %s)", lim(e.Limits), e.Elem)
	case SortCoreMemory:
		return fmt.Sprintf("(memory %s)", lim(e.Limits))
	case SortCoreGlobal:
		if e.Mutable {
			return fmt.Sprintf("(global (mut %s))", e.Elem)
		}
		return fmt.Sprintf("(global %s)", e.Elem)
	}
	return "(?)"
}
