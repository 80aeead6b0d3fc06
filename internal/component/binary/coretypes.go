package binary

// readCoreValType reads a core value type: a number type, v128, or one
// of the two reference types of WebAssembly 2.0.
func readCoreValType(r *reader) (CoreValType, error) {
	at := r.pos
	b, err := r.byte("core value type")
	if err != nil {
		return 0, err
	}
	switch b {
	case 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f:
		return CoreValType(b), nil
	case 0x64, 0x63:
		return 0, r.errf(at, "typed references (the GC proposal) in core types are unsupported")
	}
	return 0, r.errf(at, "invalid core value type 0x%02x", b)
}

func readCoreValTypes(r *reader, what string) ([]CoreValType, error) {
	n, err := r.count(what, MaxFields, 1)
	if err != nil {
		return nil, err
	}
	ts := make([]CoreValType, 0, n)
	for i := 0; i < n; i++ {
		t, err := readCoreValType(r)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// readCoreType reads a core:type: a function type or a module type.
func readCoreType(r *reader, sc *scope, depth int) (CoreType, error) {
	var ct CoreType
	at := r.pos
	op, err := r.byte("core type opcode")
	if err != nil {
		return ct, err
	}
	switch op {
	case 0x60:
		if ct.Params, err = readCoreValTypes(r, "core function parameter"); err != nil {
			return ct, err
		}
		ct.Results, err = readCoreValTypes(r, "core function result")
		return ct, err
	case 0x50:
		if sc.kind == scopeModuleType {
			return ct, r.errf(at, "a module type cannot define a module type")
		}
		if depth+1 > MaxDepth {
			return ct, r.errf(at, "types nest deeper than the limit of %d levels", MaxDepth)
		}
		ct.Module = true
		ct.Decls, err = readModuleDecls(r, newScope(sc, scopeModuleType))
		return ct, err
	case 0x00, 0x4e, 0x4f, 0x5f, 0x5e:
		return ct, r.errf(at, "core GC types (rec, sub, struct, array) are unsupported")
	}
	return ct, r.errf(at, "invalid core type opcode 0x%02x", op)
}

func readModuleDecls(r *reader, sc *scope) ([]ModuleDecl, error) {
	n, err := r.count("module type declaration", MaxVecLen, 2)
	if err != nil {
		return nil, err
	}
	decls := make([]ModuleDecl, 0, min(n, 256))
	for i := 0; i < n; i++ {
		at := r.pos
		op, err := r.byte("module declaration kind")
		if err != nil {
			return nil, err
		}
		var d ModuleDecl
		switch op {
		case 0x00:
			d.Kind = ModuleDeclImport
			if d.Module, err = r.name("core import module"); err != nil {
				return nil, err
			}
			if d.Name, err = r.name("core import name"); err != nil {
				return nil, err
			}
			if d.Extern, err = readCoreExtern(r, sc); err != nil {
				return nil, err
			}
		case 0x01:
			d.Kind = ModuleDeclType
			ct, err := readCoreType(r, sc, 0)
			if err != nil {
				return nil, err
			}
			d.Type = &ct
			sc.add(SortCoreType, classUnknown)
		case 0x02:
			d.Kind = ModuleDeclAlias
			s, err := r.byte("alias sort")
			if err != nil {
				return nil, err
			}
			k, err := r.byte("alias kind")
			if err != nil {
				return nil, err
			}
			if s != 0x10 || k != 0x01 {
				return nil, r.errf(at, "a module type's alias must be an outer alias of a core type (0x10 0x01), not 0x%02x 0x%02x", s, k)
			}
			if d.Count, err = r.u32("outer alias count"); err != nil {
				return nil, err
			}
			if d.Index, err = r.u32("outer alias index"); err != nil {
				return nil, err
			}
			target, err := sc.outer(r, at, d.Count)
			if err != nil {
				return nil, err
			}
			if err := target.check(r, at, SortIndex{SortCoreType, d.Index}, "outer alias"); err != nil {
				return nil, err
			}
			sc.add(SortCoreType, classUnknown)
		case 0x03:
			d.Kind = ModuleDeclExport
			if d.Name, err = r.name("core export name"); err != nil {
				return nil, err
			}
			if d.Extern, err = readCoreExtern(r, sc); err != nil {
				return nil, err
			}
		default:
			return nil, r.errf(at, "invalid module declaration kind 0x%02x", op)
		}
		decls = append(decls, d)
	}
	return decls, nil
}

// readCoreExtern reads a core externtype (an import's or export's type).
func readCoreExtern(r *reader, sc *scope) (CoreExtern, error) {
	var e CoreExtern
	at := r.pos
	k, err := r.byte("core extern kind")
	if err != nil {
		return e, err
	}
	switch k {
	case 0x00, 0x04:
		e.Sort = SortCoreFunc
		if k == 0x04 {
			e.Sort = SortCoreTag
			z, err := r.byte("tag attribute")
			if err != nil {
				return e, err
			}
			if z != 0x00 {
				return e, r.errf(at+1, "invalid tag attribute 0x%02x", z)
			}
		}
		if e.Index, err = r.u32("core type index"); err != nil {
			return e, err
		}
		return e, sc.check(r, at, SortIndex{SortCoreType, e.Index}, "core "+e.Sort.String()[5:]+" type")
	case 0x01:
		e.Sort = SortCoreTable
		if e.Elem, err = readCoreValType(r); err != nil {
			return e, err
		}
		if e.Elem != 0x70 && e.Elem != 0x6f {
			return e, r.errf(at+1, "a table's element type must be a reference type, not %s", e.Elem)
		}
		e.Limits, err = readLimits(r)
		return e, err
	case 0x02:
		e.Sort = SortCoreMemory
		e.Limits, err = readLimits(r)
		return e, err
	case 0x03:
		e.Sort = SortCoreGlobal
		if e.Elem, err = readCoreValType(r); err != nil {
			return e, err
		}
		m, err := r.byte("global mutability")
		if err != nil {
			return e, err
		}
		if m > 1 {
			return e, r.errf(r.pos-1, "invalid global mutability 0x%02x", m)
		}
		e.Mutable = m == 1
		return e, nil
	}
	return e, r.errf(at, "invalid core extern kind 0x%02x", k)
}

func readLimits(r *reader) (Limits, error) {
	var l Limits
	at := r.pos
	f, err := r.byte("limits flags")
	if err != nil {
		return l, err
	}
	if f > 0x07 {
		return l, r.errf(at, "invalid limits flags 0x%02x", f)
	}
	l.HasMax, l.Shared, l.Is64 = f&1 != 0, f&2 != 0, f&4 != 0
	read := func(what string) (uint64, error) {
		if l.Is64 {
			return r.u64(what)
		}
		v, err := r.u32(what)
		return uint64(v), err
	}
	if l.Min, err = read("limits minimum"); err != nil {
		return l, err
	}
	if l.HasMax {
		if l.Max, err = read("limits maximum"); err != nil {
			return l, err
		}
		if l.Max < l.Min {
			return l, r.errf(at, "limits maximum %d is below the minimum %d", l.Max, l.Min)
		}
	}
	return l, nil
}
