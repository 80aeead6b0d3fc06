package plan

import (
	"github.com/wisphq/wisp/internal/component/binary"
	"github.com/wisphq/wisp/internal/component/canon"
)

// importDen is what an import denotes: the argument the enclosing
// component supplied, or for the root component the imported instance,
// function or type.
func importDen(e *env, im binary.Import) (any, error) {
	name := im.Name.Name
	if e.args != nil {
		v, ok := e.args[name]
		if !ok {
			return nil, errorf("a nested component imports %q, which its instantiation does not supply", name)
		}
		return v, nil
	}
	switch im.Type.Sort {
	case binary.SortInstance:
		tv, err := e.ts.get(im.Type.Index)
		if err != nil {
			return nil, err
		}
		return instanceOf(name, tv)
	case binary.SortFunc:
		tv, err := e.ts.get(im.Type.Index)
		if err != nil {
			return nil, err
		}
		return &funcDen{name: name, ft: tv}, nil
	case binary.SortType:
		if im.Type.SubResource {
			return &tval{res: &canon.ResourceType{Name: name}}, nil
		}
		return e.ts.get(im.Type.Index)
	}
	return nil, errorf("import %q: importing a %s is not supported", name, im.Type.Sort)
}

// instanceOf evaluates an instance type for the import named name: its
// exported functions and types, with a fresh resource type for each
// exported resource.
func instanceOf(name string, tv *tval) (*instDen, error) {
	if tv.def == nil || tv.def.Kind != binary.KindInstance {
		return nil, errorf("import %q: its type is not an instance type", name)
	}
	d := &instDen{name: name, exports: map[string]any{}}
	local := &tscope{parent: tv.sc}
	for i := range tv.def.Decls {
		dc := &tv.def.Decls[i]
		switch dc.Kind {
		case binary.DeclCoreType:
		case binary.DeclType:
			if dc.Type.Kind == binary.KindResource {
				return nil, errorf("import %q: a resource defined inside an instance type", name)
			}
			local.types = append(local.types, &tval{def: dc.Type, sc: local})
		case binary.DeclAlias:
			a := dc.Alias
			if a.Kind != binary.AliasOuter || a.Sort != binary.SortType {
				return nil, errorf("import %q: an instance type's %s alias is not supported", name, a.Sort)
			}
			sc, err := local.up(a.Count)
			if err != nil {
				return nil, err
			}
			t, err := sc.get(a.Index)
			if err != nil {
				return nil, err
			}
			local.types = append(local.types, t)
		case binary.DeclExport:
			fn := dc.Name.Name
			switch dc.Extern.Sort {
			case binary.SortType:
				var t *tval
				if dc.Extern.SubResource {
					t = &tval{res: &canon.ResourceType{Name: name + "#" + fn}}
				} else {
					var err error
					if t, err = local.get(dc.Extern.Index); err != nil {
						return nil, err
					}
				}
				local.types = append(local.types, t)
				d.exports[fn] = t
			case binary.SortFunc:
				t, err := local.get(dc.Extern.Index)
				if err != nil {
					return nil, err
				}
				d.exports[fn] = &funcDen{iface: name, name: fn, ft: t}
			default:
				return nil, errorf("import %q: exporting a %s from an instance type is not supported", name, dc.Extern.Sort)
			}
		default:
			return nil, errorf("import %q: an instance type's declaration kind %d is not supported", name, dc.Kind)
		}
	}
	return d, nil
}
