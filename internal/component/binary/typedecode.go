package binary

// readValType reads a valtype: a primitive opcode or a type index (s33),
// checked against sc's type index space.
func readValType(r *reader, sc *scope) (ValType, error) {
	at := r.pos
	b, err := r.peek("value type")
	if err != nil {
		return ValType{}, err
	}
	if p := primOf(b); p != PrimNone {
		r.pos++
		return ValType{Prim: p}, nil
	}
	if b == 0x64 {
		return ValType{}, r.errf(at, "error-context (a gated feature of the component model) is unsupported")
	}
	i, err := r.typeIndex("value type")
	if err != nil {
		return ValType{}, err
	}
	if err := sc.check(r, at, SortIndex{SortType, i}, "value type"); err != nil {
		return ValType{}, err
	}
	return ValType{Index: i}, sc.want(r, at, i, classValue, "value type")
}

// readOptValType reads 0x00 (none) or 0x01 and a valtype.
func readOptValType(r *reader, sc *scope) (*ValType, error) {
	at := r.pos
	b, err := r.byte("optional value type")
	if err != nil {
		return nil, err
	}
	switch b {
	case 0x00:
		return nil, nil
	case 0x01:
		t, err := readValType(r, sc)
		return &t, err
	}
	return nil, r.errf(at, "invalid optional value type presence byte 0x%02x (0x00 or 0x01)", b)
}

// readLabels reads a vector of unique kebab-case labels.
func readLabels(r *reader, what string, limit int) ([]string, error) {
	at := r.pos
	n, err := r.count(what, limit, 2)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, r.errf(at, "a %s type needs at least one label", what)
	}
	labels := make([]string, 0, n)
	seen := make(map[string]bool, n)
	for i := 0; i < n; i++ {
		l, err := readLabel(r, what, seen)
		if err != nil {
			return nil, err
		}
		labels = append(labels, l)
	}
	return labels, nil
}

// readLabel reads one label, valid and not in seen (lowercased).
func readLabel(r *reader, what string, seen map[string]bool) (string, error) {
	at := r.pos
	l, err := r.name(what + " label")
	if err != nil {
		return "", err
	}
	if err := checkLabel(l); err != nil {
		return "", r.errf(at, "invalid %s label: %v", what, err)
	}
	key := lower(l)
	if seen[key] {
		return "", r.errf(at, "%s label %s is not unique", what, quote(l))
	}
	seen[key] = true
	return l, nil
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// readFields reads a vector of labelled value types.
func readFields(r *reader, sc *scope, what string, nonEmpty bool) ([]Field, error) {
	at := r.pos
	n, err := r.count(what, MaxFields, 3)
	if err != nil {
		return nil, err
	}
	if nonEmpty && n == 0 {
		return nil, r.errf(at, "a %s needs at least one field", what)
	}
	fields := make([]Field, 0, n)
	seen := make(map[string]bool, n)
	for i := 0; i < n; i++ {
		l, err := readLabel(r, what, seen)
		if err != nil {
			return nil, err
		}
		t, err := readValType(r, sc)
		if err != nil {
			return nil, err
		}
		fields = append(fields, Field{Name: l, Type: t})
	}
	return fields, nil
}

// readType reads a component type definition in scope sc, at nesting
// depth depth.
func readType(r *reader, sc *scope, depth int) (Type, error) {
	t := Type{Offset: r.pos}
	at := r.pos
	op, err := r.byte("type opcode")
	if err != nil {
		return t, err
	}
	if p := primOf(op); p != PrimNone {
		t.Kind, t.Prim = KindPrim, p
		return t, nil
	}
	switch op {
	case 0x72:
		t.Kind = KindRecord
		t.Fields, err = readFields(r, sc, "record", true)
	case 0x71:
		t.Kind = KindVariant
		n, err := r.count("variant case", MaxFields, 3)
		if err != nil {
			return t, err
		}
		if n == 0 {
			return t, r.errf(at, "a variant needs at least one case")
		}
		seen := make(map[string]bool, n)
		t.Cases = make([]Case, 0, n)
		for i := 0; i < n; i++ {
			var c Case
			if c.Name, err = readLabel(r, "variant case", seen); err != nil {
				return t, err
			}
			if c.Type, err = readOptValType(r, sc); err != nil {
				return t, err
			}
			end, err := r.byte("variant case end")
			if err != nil {
				return t, err
			}
			if end != 0x00 {
				return t, r.errf(r.pos-1, "variant case %s ends with 0x%02x where 0x00 is required (refinements are no longer part of the format)", quote(c.Name), end)
			}
			t.Cases = append(t.Cases, c)
		}
	case 0x70:
		t.Kind = KindList
		t.Elem, err = readValType(r, sc)
	case 0x6f:
		t.Kind = KindTuple
		n, err := r.count("tuple element", MaxFields, 1)
		if err != nil {
			return t, err
		}
		if n == 0 {
			return t, r.errf(at, "a tuple needs at least one element")
		}
		t.Elems = make([]ValType, 0, n)
		for i := 0; i < n; i++ {
			e, err := readValType(r, sc)
			if err != nil {
				return t, err
			}
			t.Elems = append(t.Elems, e)
		}
	case 0x6e:
		t.Kind = KindFlags
		t.Labels, err = readLabels(r, "flags", MaxFlags)
	case 0x6d:
		t.Kind = KindEnum
		t.Labels, err = readLabels(r, "enum", MaxFields)
	case 0x6b:
		t.Kind = KindOption
		t.Elem, err = readValType(r, sc)
	case 0x6a:
		t.Kind = KindResult
		if t.Ok, err = readOptValType(r, sc); err != nil {
			return t, err
		}
		t.Err, err = readOptValType(r, sc)
	case 0x69, 0x68:
		t.Kind = KindOwn
		if op == 0x68 {
			t.Kind = KindBorrow
		}
		// A handle's index is a u32, unlike a valtype's s33.
		if t.Resource, err = r.u32("resource type index"); err != nil {
			return t, err
		}
		if err = sc.check(r, at, SortIndex{SortType, t.Resource}, t.Kind.String()+" handle"); err == nil {
			err = sc.want(r, at, t.Resource, classResource, t.Kind.String()+" handle")
		}
	case 0x40:
		t.Kind = KindFunc
		if t.Fields, err = readFields(r, sc, "function parameter", false); err != nil {
			return t, err
		}
		resAt := r.pos
		b, err := r.byte("function result kind")
		if err != nil {
			return t, err
		}
		switch b {
		case 0x00:
			v, err := readValType(r, sc)
			if err != nil {
				return t, err
			}
			t.Result = &v
		case 0x01:
			z, err := r.byte("function result list")
			if err != nil {
				return t, err
			}
			if z != 0x00 {
				return t, r.errf(resAt, "a function with named results is no longer part of the format (results are 0x00 and one type, or 0x01 0x00 for none)")
			}
		default:
			return t, r.errf(resAt, "invalid function result kind 0x%02x (0x00 one result, 0x01 0x00 none)", b)
		}
	case 0x41, 0x42:
		t.Kind = KindComponent
		kind := scopeComponentType
		if op == 0x42 {
			t.Kind, kind = KindInstance, scopeInstanceType
		}
		if depth+1 > MaxDepth {
			return t, r.errf(at, "types nest deeper than the limit of %d levels", MaxDepth)
		}
		t.Decls, err = readDecls(r, newScope(sc, kind), depth+1)
	case 0x3f:
		t.Kind = KindResource
		if sc.kind != scopeComponent {
			return t, r.errf(at, "a resource type cannot be defined inside a component or instance type (import or export it instead)")
		}
		rep, err := r.byte("resource representation")
		if err != nil {
			return t, err
		}
		if rep != 0x7f {
			return t, r.errf(at+1, "a resource's representation must be i32 (0x7f), not 0x%02x", rep)
		}
		t.Rep = CoreValType(rep)
		has, err := r.byte("resource destructor presence")
		if err != nil {
			return t, err
		}
		switch has {
		case 0x00:
		case 0x01:
			d, err := r.u32("destructor index")
			if err != nil {
				return t, err
			}
			if err := sc.check(r, at, SortIndex{SortCoreFunc, d}, "resource destructor"); err != nil {
				return t, err
			}
			t.Dtor = &d
		default:
			return t, r.errf(r.pos-1, "invalid resource destructor presence byte 0x%02x", has)
		}
	case 0x43:
		return t, r.errf(at, "async function types (a gated feature of the component model) are unsupported")
	case 0x67:
		return t, r.errf(at, "fixed-size lists (a gated feature of the component model) are unsupported")
	case 0x66, 0x65:
		return t, r.errf(at, "stream and future types (the component model's async feature) are unsupported")
	case 0x64:
		return t, r.errf(at, "error-context (a gated feature of the component model) is unsupported")
	case 0x63:
		return t, r.errf(at, "map types (a gated feature of the component model) are unsupported")
	default:
		return t, r.errf(at, "invalid type opcode 0x%02x", op)
	}
	return t, err
}

// readDecls reads the declarations of a component or instance type in
// its own scope sc.
func readDecls(r *reader, sc *scope, depth int) ([]Decl, error) {
	n, err := r.count("type declaration", MaxVecLen, 2)
	if err != nil {
		return nil, err
	}
	decls := make([]Decl, 0, min(n, 256))
	for i := 0; i < n; i++ {
		at := r.pos
		op, err := r.byte("declaration kind")
		if err != nil {
			return nil, err
		}
		var d Decl
		switch op {
		case 0x00:
			d.Kind = DeclCoreType
			ct, err := readCoreType(r, sc, depth)
			if err != nil {
				return nil, err
			}
			d.CoreType = &ct
			sc.counts[SortCoreType]++
		case 0x01:
			d.Kind = DeclType
			t, err := readType(r, sc, depth)
			if err != nil {
				return nil, err
			}
			d.Type = &t
			sc.add(SortType, classOf(t.Kind))
		case 0x02:
			d.Kind = DeclAlias
			a, err := readAlias(r, sc, true)
			if err != nil {
				return nil, err
			}
			d.Alias = &a
			sc.add(a.Sort, aliasClass(sc, a))
		case 0x03, 0x04:
			d.Kind = DeclExport
			if op == 0x03 {
				if sc.kind != scopeComponentType {
					return nil, r.errf(at, "an instance type cannot declare imports")
				}
				d.Kind = DeclImport
			}
			if d.Name, err = readExternName(r); err != nil {
				return nil, err
			}
			if err := sc.unique(r, at, op == 0x04, d.Name.Name); err != nil {
				return nil, err
			}
			if d.Extern, err = readExternType(r, sc); err != nil {
				return nil, err
			}
			sc.add(d.Extern.Sort, sc.externClass(d.Extern))
		default:
			return nil, r.errf(at, "invalid declaration kind 0x%02x", op)
		}
		decls = append(decls, d)
	}
	return decls, nil
}
