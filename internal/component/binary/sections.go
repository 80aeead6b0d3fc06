package binary

// coreSortOf maps a core:sort byte to its Sort.
func coreSortOf(b byte) (Sort, bool) {
	switch b {
	case 0x00, 0x01, 0x02, 0x03, 0x04:
		return SortCoreFunc + Sort(b), true
	case 0x10:
		return SortCoreType, true
	case 0x11:
		return SortCoreModule, true
	case 0x12:
		return SortCoreInstance, true
	}
	return 0, false
}

// readSort reads a component sort (0x00 and a core sort, or 0x01-0x05).
func readSort(r *reader) (Sort, error) {
	at := r.pos
	b, err := r.byte("sort")
	if err != nil {
		return 0, err
	}
	switch b {
	case 0x00:
		c, err := r.byte("core sort")
		if err != nil {
			return 0, err
		}
		s, ok := coreSortOf(c)
		if !ok {
			return 0, r.errf(at+1, "invalid core sort 0x%02x", c)
		}
		return s, nil
	case 0x01:
		return SortFunc, nil
	case 0x02:
		return SortValue, nil
	case 0x03:
		return SortType, nil
	case 0x04:
		return SortComponent, nil
	case 0x05:
		return SortInstance, nil
	}
	return 0, r.errf(at, "invalid sort 0x%02x", b)
}

// readSortIndex reads a sort and an index and checks the index.
func readSortIndex(r *reader, sc *scope, what string) (SortIndex, error) {
	at := r.pos
	s, err := readSort(r)
	if err != nil {
		return SortIndex{}, err
	}
	if s == SortValue {
		return SortIndex{}, r.errf(at, "%s: values (a gated feature of the component model) are unsupported", what)
	}
	i, err := r.u32(what + " index")
	if err != nil {
		return SortIndex{}, err
	}
	ref := SortIndex{Sort: s, Index: i}
	return ref, sc.check(r, at, ref, what)
}

func (cs *compState) coreInstance(r *reader) (CoreInstance, error) {
	var ci CoreInstance
	at := r.pos
	kind, err := r.byte("core instance kind")
	if err != nil {
		return ci, err
	}
	switch kind {
	case 0x00:
		ci.Instantiate = true
		if ci.Module, err = r.u32("core module index"); err != nil {
			return ci, err
		}
		if err := cs.sc.check(r, at, SortIndex{SortCoreModule, ci.Module}, "core instantiation"); err != nil {
			return ci, err
		}
		n, err := r.count("core instantiation argument", MaxVecLen, 3)
		if err != nil {
			return ci, err
		}
		for i := 0; i < n; i++ {
			var a CoreInstanceArg
			argAt := r.pos
			if a.Name, err = r.name("core instantiation argument name"); err != nil {
				return ci, err
			}
			s, err := r.byte("core instantiation argument sort")
			if err != nil {
				return ci, err
			}
			if s != 0x12 {
				return ci, r.errf(r.pos-1, "core instantiation argument %s has sort 0x%02x; only instances (0x12) may be arguments", quote(a.Name), s)
			}
			if a.Instance, err = r.u32("core instance index"); err != nil {
				return ci, err
			}
			if err := cs.sc.check(r, argAt, SortIndex{SortCoreInstance, a.Instance}, "core instantiation argument "+quote(a.Name)); err != nil {
				return ci, err
			}
			ci.Args = append(ci.Args, a)
		}
	case 0x01:
		n, err := r.count("core inline export", MaxVecLen, 3)
		if err != nil {
			return ci, err
		}
		for i := 0; i < n; i++ {
			var e CoreExport
			expAt := r.pos
			if e.Name, err = r.name("core export name"); err != nil {
				return ci, err
			}
			b, err := r.byte("core sort")
			if err != nil {
				return ci, err
			}
			s, ok := coreSortOf(b)
			if !ok {
				return ci, r.errf(r.pos-1, "invalid core sort 0x%02x", b)
			}
			idx, err := r.u32("core export index")
			if err != nil {
				return ci, err
			}
			e.Ref = SortIndex{s, idx}
			if err := cs.sc.check(r, expAt, e.Ref, "core inline export "+quote(e.Name)); err != nil {
				return ci, err
			}
			ci.Exports = append(ci.Exports, e)
		}
	default:
		return ci, r.errf(at, "invalid core instance kind 0x%02x (0x00 instantiate, 0x01 inline exports)", kind)
	}
	return ci, nil
}

func (cs *compState) instance(r *reader) (Instance, error) {
	var in Instance
	at := r.pos
	kind, err := r.byte("instance kind")
	if err != nil {
		return in, err
	}
	switch kind {
	case 0x00:
		in.Instantiate = true
		if in.Component, err = r.u32("component index"); err != nil {
			return in, err
		}
		if err := cs.sc.check(r, at, SortIndex{SortComponent, in.Component}, "instantiation"); err != nil {
			return in, err
		}
		n, err := r.count("instantiation argument", MaxVecLen, 3)
		if err != nil {
			return in, err
		}
		for i := 0; i < n; i++ {
			var a InstanceArg
			if a.Name, err = r.name("instantiation argument name"); err != nil {
				return in, err
			}
			if a.Ref, err = readSortIndex(r, cs.sc, "instantiation argument "+quote(a.Name)); err != nil {
				return in, err
			}
			in.Args = append(in.Args, a)
		}
	case 0x01:
		n, err := r.count("inline export", MaxVecLen, 4)
		if err != nil {
			return in, err
		}
		for i := 0; i < n; i++ {
			var e InlineExport
			if e.Name, err = readExternName(r); err != nil {
				return in, err
			}
			if e.Ref, err = readSortIndex(r, cs.sc, "inline export "+quote(e.Name.Name)); err != nil {
				return in, err
			}
			in.Exports = append(in.Exports, e)
		}
	default:
		return in, r.errf(at, "invalid instance kind 0x%02x (0x00 instantiate, 0x01 inline exports)", kind)
	}
	return in, nil
}

// readAlias reads an alias, of a component (decl false) or a declaration
// of a component or instance type (decl true), and checks its target.
func readAlias(r *reader, sc *scope, decl bool) (Alias, error) {
	var a Alias
	at := r.pos
	s, err := readSort(r)
	if err != nil {
		return a, err
	}
	a.Sort = s
	if s == SortValue {
		return a, r.errf(at, "value aliases (a gated feature of the component model) are unsupported")
	}
	kind, err := r.byte("alias target kind")
	if err != nil {
		return a, err
	}
	switch kind {
	case 0x00:
		a.Kind = AliasExport
		if s <= SortCoreTag || s == SortCoreType || s == SortCoreInstance {
			return a, r.errf(at, "an export alias cannot have sort %s (use a core export alias)", s)
		}
		if decl && s != SortInstance && s != SortType {
			return a, r.errf(at, "an export alias in a type declaration must alias a type or an instance, not a %s", s)
		}
		if a.Instance, err = r.u32("alias instance index"); err != nil {
			return a, err
		}
		if err := sc.check(r, at, SortIndex{SortInstance, a.Instance}, "export alias"); err != nil {
			return a, err
		}
		if a.Name, err = r.name("alias export name"); err != nil {
			return a, err
		}
	case 0x01:
		a.Kind = AliasCoreExport
		if s > SortCoreTag {
			return a, r.errf(at, "a core export alias cannot have sort %s", s)
		}
		if decl {
			return a, r.errf(at, "a core export alias cannot appear in a type declaration")
		}
		if a.Instance, err = r.u32("alias core instance index"); err != nil {
			return a, err
		}
		if err := sc.check(r, at, SortIndex{SortCoreInstance, a.Instance}, "core export alias"); err != nil {
			return a, err
		}
		if a.Name, err = r.name("alias export name"); err != nil {
			return a, err
		}
	case 0x02:
		a.Kind = AliasOuter
		switch {
		case decl && s != SortCoreType && s != SortType:
			return a, r.errf(at, "an outer alias in a type declaration must alias a type or a core type, not a %s", s)
		case s != SortCoreType && s != SortType && s != SortCoreModule && s != SortComponent:
			return a, r.errf(at, "an outer alias cannot have sort %s (only core module, core type, type and component)", s)
		}
		if a.Count, err = r.u32("outer alias count"); err != nil {
			return a, err
		}
		if a.Index, err = r.u32("outer alias index"); err != nil {
			return a, err
		}
		target, err := sc.outer(r, at, a.Count)
		if err != nil {
			return a, err
		}
		if err := target.check(r, at, SortIndex{s, a.Index}, "outer alias"); err != nil {
			return a, err
		}
	default:
		return a, r.errf(at+1, "invalid alias target kind 0x%02x (0x00 export, 0x01 core export, 0x02 outer)", kind)
	}
	return a, nil
}

// readExternName reads a nameattributes: a name and optional attributes.
func readExternName(r *reader) (ExternName, error) {
	var n ExternName
	at := r.pos
	kind, err := r.byte("name kind")
	if err != nil {
		return n, err
	}
	if kind > 0x02 {
		return n, r.errf(at, "invalid name kind 0x%02x (0x00, 0x01 or 0x02 with attributes)", kind)
	}
	if n.Name, err = r.name("extern name"); err != nil {
		return n, err
	}
	if err := checkExternName(n.Name); err != nil {
		return n, r.errf(at, "invalid extern name: %v", err)
	}
	if kind != 0x02 {
		return n, nil
	}
	cnt, err := r.count("name attribute", 3, 2)
	if err != nil {
		return n, err
	}
	var seen [3]bool
	for i := 0; i < cnt; i++ {
		aAt := r.pos
		k, err := r.byte("name attribute kind")
		if err != nil {
			return n, err
		}
		if k > 0x02 {
			return n, r.errf(aAt, "invalid name attribute kind 0x%02x", k)
		}
		if seen[k] {
			return n, r.errf(aAt, "name attribute 0x%02x appears twice", k)
		}
		seen[k] = true
		v, err := r.name("name attribute")
		if err != nil {
			return n, err
		}
		switch k {
		case 0x00:
			if _, err := parseInterfaceName(v); err != nil {
				return n, r.errf(aAt, "invalid implements attribute: %v", err)
			}
			n.Implements = v
		case 0x01:
			for i := 0; i < len(v); i++ {
				if c := v[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '+' || c == '-') {
					return n, r.errf(aAt, "version suffix %s has a character outside [0-9A-Za-z.+-]", quote(v))
				}
			}
			n.VersionSuffix = v
		case 0x02:
			n.ExternalID = v
		}
	}
	return n, nil
}

// readExternType reads an externtype and checks its type index in sc.
func readExternType(r *reader, sc *scope) (ExternType, error) {
	var et ExternType
	at := r.pos
	kind, err := r.byte("extern type kind")
	if err != nil {
		return et, err
	}
	switch kind {
	case 0x00:
		b, err := r.byte("core sort")
		if err != nil {
			return et, err
		}
		if b != 0x11 {
			return et, r.errf(at, "an extern type of sort core 0x%02x is invalid; only core modules (0x11) may be imported or exported", b)
		}
		et.Sort = SortCoreModule
		if et.Index, err = r.u32("core type index"); err != nil {
			return et, err
		}
		return et, sc.check(r, at, SortIndex{SortCoreType, et.Index}, "core module extern type")
	case 0x01:
		et.Sort = SortFunc
	case 0x02:
		return et, r.errf(at, "value imports and exports (a gated feature of the component model) are unsupported")
	case 0x03:
		et.Sort = SortType
		b, err := r.byte("type bound")
		if err != nil {
			return et, err
		}
		switch b {
		case 0x00:
		case 0x01:
			et.SubResource = true
			return et, nil
		default:
			return et, r.errf(at+1, "invalid type bound 0x%02x (0x00 eq, 0x01 sub resource)", b)
		}
	case 0x04:
		et.Sort = SortComponent
	case 0x05:
		et.Sort = SortInstance
	default:
		return et, r.errf(at, "invalid extern type kind 0x%02x", kind)
	}
	if et.Index, err = r.u32("type index"); err != nil {
		return et, err
	}
	if err := sc.check(r, at, SortIndex{SortType, et.Index}, et.Sort.String()+" extern type"); err != nil {
		return et, err
	}
	switch et.Sort {
	case SortFunc:
		return et, sc.want(r, at, et.Index, classFunc, "func extern type")
	case SortComponent:
		return et, sc.want(r, at, et.Index, classComponent, "component extern type")
	case SortInstance:
		return et, sc.want(r, at, et.Index, classInstance, "instance extern type")
	}
	return et, nil
}

func (cs *compState) importDef(r *reader) (Import, error) {
	var im Import
	at := r.pos
	var err error
	if im.Name, err = readExternName(r); err != nil {
		return im, err
	}
	if err := cs.sc.unique(r, at, false, im.Name.Name); err != nil {
		return im, err
	}
	im.Type, err = readExternType(r, cs.sc)
	return im, err
}

func (cs *compState) exportDef(r *reader) (Export, error) {
	var ex Export
	at := r.pos
	var err error
	if ex.Name, err = readExternName(r); err != nil {
		return ex, err
	}
	if err := cs.sc.unique(r, at, true, ex.Name.Name); err != nil {
		return ex, err
	}
	if ex.Ref, err = readSortIndex(r, cs.sc, "export "+quote(ex.Name.Name)); err != nil {
		return ex, err
	}
	if ex.Ref.Sort <= SortCoreInstance && ex.Ref.Sort != SortCoreModule {
		return ex, r.errf(at, "export %s has sort %s; of the core sorts only core modules may be exported", quote(ex.Name.Name), ex.Ref.Sort)
	}
	has, err := r.byte("export type presence")
	if err != nil {
		return ex, err
	}
	switch has {
	case 0x00:
	case 0x01:
		et, err := readExternType(r, cs.sc)
		if err != nil {
			return ex, err
		}
		if et.Sort != ex.Ref.Sort {
			return ex, r.errf(at, "export %s of a %s is ascribed the type of a %s", quote(ex.Name.Name), ex.Ref.Sort, et.Sort)
		}
		ex.Type = &et
	default:
		return ex, r.errf(r.pos-1, "invalid export type presence byte 0x%02x (0x00 or 0x01)", has)
	}
	return ex, nil
}

func (cs *compState) start(r *reader) (*Start, error) {
	at := r.pos
	var st Start
	var err error
	if st.Func, err = r.u32("start function index"); err != nil {
		return nil, err
	}
	if err := cs.sc.check(r, at, SortIndex{SortFunc, st.Func}, "start"); err != nil {
		return nil, err
	}
	n, err := r.count("start argument", MaxFields, 1)
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		v, err := r.u32("start argument")
		if err != nil {
			return nil, err
		}
		if err := cs.sc.check(r, at, SortIndex{SortValue, v}, "start argument"); err != nil {
			return nil, err
		}
		st.Args = append(st.Args, v)
	}
	resAt := r.pos
	if st.Results, err = r.u32("start result count"); err != nil {
		return nil, err
	}
	if st.Results > MaxFields || int(st.Results) > r.b.items {
		return nil, r.errf(resAt, "start result count %d is over the limit of %d", st.Results, MaxFields)
	}
	r.b.items -= int(st.Results)
	return &st, nil
}
