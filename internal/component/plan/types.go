package plan

import (
	"github.com/wisphq/wisp/internal/component/binary"
	"github.com/wisphq/wisp/internal/component/canon"
)

// tval is what a type index denotes: a type definition in its scope, or a
// resource type.
type tval struct {
	def  *binary.Type
	sc   *tscope
	res  *canon.ResourceType
	memo *canon.Type
	fn   *canon.FuncType
}

// tscope is a type index space: a component's, or an instance type's
// declarations, nested in its parent's for outer aliases.
type tscope struct {
	types  []*tval
	parent *tscope
}

func (sc *tscope) get(i uint32) (*tval, error) {
	if int64(i) >= int64(len(sc.types)) {
		return nil, errorf("type index %d out of bounds (%d types)", i, len(sc.types))
	}
	return sc.types[i], nil
}

func (sc *tscope) up(n uint32) (*tscope, error) {
	s := sc
	for ; n > 0 && s != nil; n-- {
		s = s.parent
	}
	if s == nil {
		return nil, errorf("outer alias leaves the outermost scope")
	}
	return s, nil
}

func prim(p binary.Prim) *canon.Type {
	switch p {
	case binary.PrimBool:
		return canon.Bool()
	case binary.PrimS8:
		return canon.S8()
	case binary.PrimU8:
		return canon.U8()
	case binary.PrimS16:
		return canon.S16()
	case binary.PrimU16:
		return canon.U16()
	case binary.PrimS32:
		return canon.S32()
	case binary.PrimU32:
		return canon.U32()
	case binary.PrimS64:
		return canon.S64()
	case binary.PrimU64:
		return canon.U64()
	case binary.PrimF32:
		return canon.F32()
	case binary.PrimF64:
		return canon.F64()
	case binary.PrimChar:
		return canon.Char()
	case binary.PrimString:
		return canon.String()
	}
	return nil
}

// valType converts a value type used in scope sc.
func valType(sc *tscope, v binary.ValType, depth int) (*canon.Type, error) {
	if v.Prim != binary.PrimNone {
		if t := prim(v.Prim); t != nil {
			return t, nil
		}
		return nil, errorf("unknown primitive type %d", v.Prim)
	}
	tv, err := sc.get(v.Index)
	if err != nil {
		return nil, err
	}
	return tv.value(depth)
}

func optValType(sc *tscope, v *binary.ValType, depth int) (*canon.Type, error) {
	if v == nil {
		return nil, nil
	}
	return valType(sc, *v, depth)
}

// value converts tv, a value type definition, to a canon type (memoized,
// so shared definitions are converted once).
func (tv *tval) value(depth int) (*canon.Type, error) {
	if tv.memo != nil {
		return tv.memo, nil
	}
	if depth > canon.MaxTypeDepth {
		return nil, errorf("value types nest deeper than %d", canon.MaxTypeDepth)
	}
	if tv.def == nil {
		return nil, errorf("a resource type is used as a value type")
	}
	d, sc, depth := tv.def, tv.sc, depth+1
	var t *canon.Type
	var err error
	switch d.Kind {
	case binary.KindPrim:
		t = prim(d.Prim)
	case binary.KindRecord:
		fs := make([]canon.Field, len(d.Fields))
		for i, f := range d.Fields {
			fs[i].Name = f.Name
			if fs[i].Type, err = valType(sc, f.Type, depth); err != nil {
				return nil, err
			}
		}
		t = canon.Record(fs...)
	case binary.KindVariant:
		cs := make([]canon.Case, len(d.Cases))
		for i, c := range d.Cases {
			cs[i].Name = c.Name
			if cs[i].Type, err = optValType(sc, c.Type, depth); err != nil {
				return nil, err
			}
		}
		t = canon.Variant(cs...)
	case binary.KindList:
		var e *canon.Type
		if e, err = valType(sc, d.Elem, depth); err != nil {
			return nil, err
		}
		t = canon.List(e)
	case binary.KindTuple:
		es := make([]*canon.Type, len(d.Elems))
		for i, e := range d.Elems {
			if es[i], err = valType(sc, e, depth); err != nil {
				return nil, err
			}
		}
		t = canon.Tuple(es...)
	case binary.KindFlags:
		t = canon.Flags(d.Labels...)
	case binary.KindEnum:
		t = canon.Enum(d.Labels...)
	case binary.KindOption:
		var e *canon.Type
		if e, err = valType(sc, d.Elem, depth); err != nil {
			return nil, err
		}
		t = canon.Option(e)
	case binary.KindResult:
		var ok, er *canon.Type
		if ok, err = optValType(sc, d.Ok, depth); err != nil {
			return nil, err
		}
		if er, err = optValType(sc, d.Err, depth); err != nil {
			return nil, err
		}
		t = canon.Result(ok, er)
	case binary.KindOwn, binary.KindBorrow:
		rv, err := sc.get(d.Resource)
		if err != nil {
			return nil, err
		}
		if rv.res == nil {
			return nil, errorf("a handle names type %d, which is not a resource", d.Resource)
		}
		if d.Kind == binary.KindOwn {
			t = canon.Own(rv.res)
		} else {
			t = canon.Borrow(rv.res)
		}
	default:
		return nil, errorf("a %s type is used as a value type", d.Kind)
	}
	if t == nil {
		return nil, errorf("unknown primitive type %d", d.Prim)
	}
	if err := t.Err(); err != nil {
		return nil, errorf("invalid value type: %w", err)
	}
	tv.memo = t
	return t, nil
}

// funcType converts tv, a function type definition.
func (tv *tval) funcType() (*canon.FuncType, error) {
	if tv.fn != nil {
		return tv.fn, nil
	}
	if tv.def == nil || tv.def.Kind != binary.KindFunc {
		return nil, errorf("a function's type is not a function type")
	}
	ft := &canon.FuncType{}
	for _, f := range tv.def.Fields {
		t, err := valType(tv.sc, f.Type, 1)
		if err != nil {
			return nil, err
		}
		ft.Params = append(ft.Params, t)
	}
	if tv.def.Result != nil {
		t, err := valType(tv.sc, *tv.def.Result, 1)
		if err != nil {
			return nil, err
		}
		ft.Results = []*canon.Type{t}
	}
	if err := ft.Err(); err != nil {
		return nil, errorf("invalid function type: %w", err)
	}
	tv.fn = ft
	return ft, nil
}
