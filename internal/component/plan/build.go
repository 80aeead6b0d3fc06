package plan

import (
	"fmt"
	"strings"

	"github.com/wisphq/wisp/internal/component/binary"
	"github.com/wisphq/wisp/internal/component/canon"
	"github.com/wisphq/wisp/internal/meter"
	"github.com/wisphq/wisp/internal/preinit"
)

// reserved returns an error when name is one of the exports the engine
// adds to every step's module: the fuel counter (meter.FuelExport) and the
// globals a reused or snapshotted step exports (preinit.GlobalExportPrefix).
// A step importing or aliasing another's would read or set that step's
// fuel or state: a guest giving itself fuel runs past its CPU limit.
func reserved(what, name string) error {
	if name == meter.FuelExport || strings.HasPrefix(name, preinit.GlobalExportPrefix) {
		return errorf("%s %q: the name is reserved for Wisp's CPU metering and instance reuse; rename it", what, name)
	}
	return nil
}

// coreInst is what a core instance index denotes: an instantiation step,
// or (step < 0) a bag of items.
type coreInst struct {
	step int
	bag  map[string]Item
}

// lifted is a canon lift.
type lifted struct {
	core Item
	ft   *canon.FuncType
	opts Options
}

// funcDen is what a component function index denotes: a lifted core
// function, or a function Func of imported instance Iface of type ft.
type funcDen struct {
	lift        *lifted
	iface, name string
	ft          *tval
}

// instDen is what a component instance index denotes: its exports, by name
// (each a *funcDen, *tval or *instDen); name is the import's name when the
// instance is imported.
type instDen struct {
	name    string
	exports map[string]any
}

// compDen is a component definition with the environment it was defined in.
type compDen struct {
	c   *binary.Component
	env *env
}

type modDen struct {
	index int
	wasm  []byte
}

// env is one component instance's index spaces during the walk.
type env struct {
	parent  *env
	args    map[string]any // nil for the root component
	ts      *tscope
	sp      [binary.NumSorts][]any
	exports map[string]any
}

type builder struct {
	p       *Plan
	modules int
	work    int
}

// Build builds the plan of a decoded component.
func Build(c *binary.Component) (*Plan, error) {
	b := &builder{p: &Plan{}}
	if _, err := b.walk(c, nil, nil); err != nil {
		return nil, err
	}
	return b.p, nil
}

func (b *builder) walk(c *binary.Component, parent *env, args map[string]any) (*env, error) {
	e := &env{parent: parent, args: args, ts: &tscope{}, exports: map[string]any{}}
	if parent != nil {
		e.ts.parent = parent.ts
	}
	for i := range c.Sections {
		sec := &c.Sections[i]
		b.work += 1 + len(sec.CoreInstances) + len(sec.Instances) + len(sec.Aliases) + len(sec.Types) +
			len(sec.Canons) + len(sec.Imports) + len(sec.Exports)
		if b.work > MaxWork {
			return nil, errorf("nested components instantiated too many times (more than %d definitions walked)", MaxWork)
		}
		if err := b.section(e, &c.Sections[i]); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (e *env) get(s binary.Sort, i uint32) (any, error) {
	if s == binary.SortType {
		return e.ts.get(i)
	}
	if s >= binary.NumSorts || int64(i) >= int64(len(e.sp[s])) {
		return nil, errorf("%s index %d out of bounds", s, i)
	}
	return e.sp[s][i], nil
}

func (e *env) add(s binary.Sort, v any) {
	if s == binary.SortType {
		tv, _ := v.(*tval)
		e.ts.types = append(e.ts.types, tv)
		return
	}
	e.sp[s] = append(e.sp[s], v)
}

func (e *env) item(s binary.Sort, i uint32) (Item, error) {
	v, err := e.get(s, i)
	if err != nil {
		return Item{}, err
	}
	it, ok := v.(Item)
	if !ok {
		return Item{}, errorf("%s index %d is not a core item", s, i)
	}
	return it, nil
}

func (b *builder) section(e *env, s *binary.Section) error {
	switch s.ID {
	case binary.SectionCustom:
	case binary.SectionCoreModule:
		e.add(binary.SortCoreModule, modDen{index: b.modules, wasm: s.Module.Bytes})
		b.modules++
	case binary.SectionCoreInstance:
		for _, ci := range s.CoreInstances {
			v, err := b.coreInstance(e, ci)
			if err != nil {
				return err
			}
			e.add(binary.SortCoreInstance, v)
		}
	case binary.SectionCoreType:
		for range s.CoreTypes {
			e.add(binary.SortCoreType, nil)
		}
	case binary.SectionComponent:
		e.add(binary.SortComponent, &compDen{c: s.Component, env: e})
	case binary.SectionInstance:
		for _, in := range s.Instances {
			v, err := b.instance(e, in)
			if err != nil {
				return err
			}
			e.add(binary.SortInstance, v)
		}
	case binary.SectionAlias:
		for _, a := range s.Aliases {
			v, err := alias(e, a)
			if err != nil {
				return err
			}
			e.add(a.Sort, v)
		}
	case binary.SectionType:
		for i := range s.Types {
			t := &s.Types[i]
			if t.Kind == binary.KindResource {
				return errorf("a resource type defined by the component (at byte %d) is not supported yet", t.Offset)
			}
			e.add(binary.SortType, &tval{def: t, sc: e.ts})
		}
	case binary.SectionCanon:
		for _, cn := range s.Canons {
			if err := b.canon(e, cn); err != nil {
				return err
			}
		}
	case binary.SectionStart:
		return errorf("a component start function is not supported yet")
	case binary.SectionImport:
		for _, im := range s.Imports {
			v, err := importDen(e, im)
			if err != nil {
				return err
			}
			e.add(im.Type.Sort, v)
		}
	case binary.SectionExport:
		for _, ex := range s.Exports {
			v, err := e.get(ex.Ref.Sort, ex.Ref.Index)
			if err != nil {
				return err
			}
			e.add(ex.Ref.Sort, v)
			e.exports[ex.Name.Name] = v
			if e.parent == nil {
				b.export(ex.Name.Name, v)
			}
		}
	default:
		return errorf("the %s is not supported", s.ID)
	}
	return nil
}

// export records the root component's lifted exports.
func (b *builder) export(name string, v any) {
	switch d := v.(type) {
	case *funcDen:
		if d.lift != nil {
			b.p.Exports = append(b.p.Exports, Export{Func: name, Core: d.lift.core, Type: d.lift.ft, Opts: d.lift.opts})
		}
	case *instDen:
		for _, fn := range sortedKeys(d.exports) {
			if f, ok := d.exports[fn].(*funcDen); ok && f.lift != nil {
				b.p.Exports = append(b.p.Exports, Export{Interface: name, Func: fn, Core: f.lift.core, Type: f.lift.ft, Opts: f.lift.opts})
			}
		}
	}
}

func (b *builder) coreInstance(e *env, ci binary.CoreInstance) (*coreInst, error) {
	if !ci.Instantiate {
		bag := map[string]Item{}
		for _, ex := range ci.Exports {
			it, err := e.item(ex.Ref.Sort, ex.Ref.Index)
			if err != nil {
				return nil, err
			}
			bag[ex.Name] = it
		}
		return &coreInst{step: -1, bag: bag}, nil
	}
	mv, err := e.get(binary.SortCoreModule, ci.Module)
	if err != nil {
		return nil, err
	}
	m, ok := mv.(modDen)
	if !ok {
		return nil, errorf("core module %d is imported; imported core modules are not supported", ci.Module)
	}
	args := map[string]*coreInst{}
	for _, a := range ci.Args {
		v, err := e.get(binary.SortCoreInstance, a.Instance)
		if err != nil {
			return nil, err
		}
		args[a.Name], _ = v.(*coreInst)
	}
	if len(b.p.Steps) >= MaxSteps {
		return nil, errorf("more than %d core instantiations", MaxSteps)
	}
	k := len(b.p.Steps)
	st := Step{Module: m.index}
	st.Wasm, err = RenameImports(m.wasm, func(mod, name string) (string, string, error) {
		ci := args[mod]
		if ci == nil {
			return "", "", errorf("core module %d (instantiation %d) imports %q %q, but no instance is supplied as %q", m.index, k, mod, name, mod)
		}
		if err := reserved(fmt.Sprintf("core module %d (instantiation %d) imports %q", m.index, k, mod), name); err != nil {
			return "", "", err
		}
		it := Item{Step: ci.step, Name: name, Host: -1}
		if ci.step < 0 {
			var ok bool
			if it, ok = ci.bag[name]; !ok {
				return "", "", errorf("core module %d (instantiation %d) imports %q %q, which the instance supplied does not export", m.index, k, mod, name)
			}
		}
		st.Imports = append(st.Imports, Import{Module: mod, Name: name, From: it})
		rm, rn := it.Renamed()
		return rm, rn, nil
	})
	if err != nil {
		return nil, errorf("core module %d: %w", m.index, err)
	}
	b.p.Steps = append(b.p.Steps, st)
	return &coreInst{step: k}, nil
}

func (b *builder) instance(e *env, in binary.Instance) (*instDen, error) {
	if !in.Instantiate {
		d := &instDen{exports: map[string]any{}}
		for _, ex := range in.Exports {
			v, err := e.get(ex.Ref.Sort, ex.Ref.Index)
			if err != nil {
				return nil, err
			}
			d.exports[ex.Name.Name] = v
		}
		return d, nil
	}
	cv, err := e.get(binary.SortComponent, in.Component)
	if err != nil {
		return nil, err
	}
	cd, ok := cv.(*compDen)
	if !ok {
		return nil, errorf("component %d is imported; imported components are not supported", in.Component)
	}
	args := map[string]any{}
	for _, a := range in.Args {
		if args[a.Name], err = e.get(a.Ref.Sort, a.Ref.Index); err != nil {
			return nil, err
		}
	}
	ne, err := b.walk(cd.c, cd.env, args)
	if err != nil {
		return nil, err
	}
	return &instDen{exports: ne.exports}, nil
}

func alias(e *env, a binary.Alias) (any, error) {
	switch a.Kind {
	case binary.AliasCoreExport:
		v, err := e.get(binary.SortCoreInstance, a.Instance)
		if err != nil {
			return nil, err
		}
		ci, _ := v.(*coreInst)
		if ci == nil {
			return nil, errorf("core instance %d is not known", a.Instance)
		}
		if ci.step >= 0 {
			if err := reserved(fmt.Sprintf("alias of core instance %d's export", a.Instance), a.Name); err != nil {
				return nil, err
			}
			return Item{Step: ci.step, Name: a.Name, Host: -1}, nil
		}
		it, ok := ci.bag[a.Name]
		if !ok {
			return nil, errorf("core instance %d has no export %q", a.Instance, a.Name)
		}
		return it, nil
	case binary.AliasExport:
		v, err := e.get(binary.SortInstance, a.Instance)
		if err != nil {
			return nil, err
		}
		in, _ := v.(*instDen)
		if in == nil {
			return nil, errorf("instance %d is not known", a.Instance)
		}
		x, ok := in.exports[a.Name]
		if !ok {
			return nil, errorf("instance %d has no export %q", a.Instance, a.Name)
		}
		return x, nil
	default:
		t := e
		for n := a.Count; n > 0 && t != nil; n-- {
			t = t.parent
		}
		if t == nil {
			return nil, errorf("outer alias leaves the outermost component")
		}
		return t.get(a.Sort, a.Index)
	}
}

func (b *builder) options(e *env, o binary.CanonOpts) (Options, error) {
	opts := Options{Encoding: canon.StringEncoding(o.Encoding)}
	for _, x := range []struct {
		has  bool
		sort binary.Sort
		idx  uint32
		dst  **Item
	}{{o.HasMemory, binary.SortCoreMemory, o.Memory, &opts.Memory}, {o.HasRealloc, binary.SortCoreFunc, o.Realloc, &opts.Realloc},
		{o.HasPostReturn, binary.SortCoreFunc, o.PostReturn, &opts.PostReturn}} {
		if x.has {
			it, err := e.item(x.sort, x.idx)
			if err != nil {
				return opts, err
			}
			*x.dst = &it
		}
	}
	return opts, nil
}

func (b *builder) canon(e *env, cn binary.Canon) error {
	opts, err := b.options(e, cn.Opts)
	if err != nil {
		return err
	}
	if len(b.p.Host) >= MaxHost {
		return errorf("more than %d host functions", MaxHost)
	}
	h := Item{Step: -1, Host: len(b.p.Host)}
	switch cn.Kind {
	case binary.CanonLift:
		core, err := e.item(binary.SortCoreFunc, cn.Func)
		if err != nil {
			return err
		}
		tv, err := e.ts.get(cn.Type)
		if err != nil {
			return err
		}
		ft, err := tv.funcType()
		if err != nil {
			return err
		}
		e.add(binary.SortFunc, &funcDen{lift: &lifted{core: core, ft: ft, opts: opts}})
	case binary.CanonLower:
		v, err := e.get(binary.SortFunc, cn.Func)
		if err != nil {
			return err
		}
		fd, _ := v.(*funcDen)
		if fd == nil {
			return errorf("func %d is not known", cn.Func)
		}
		if fd.lift != nil {
			return errorf("canon lower of a lifted function (func %d: component composition, a fused adapter) is not supported yet", cn.Func)
		}
		ft, err := fd.ft.funcType()
		if err != nil {
			return errorf("%s %s: %w", fd.iface, fd.name, err)
		}
		b.p.Host = append(b.p.Host, HostFunc{Kind: HostLower, Interface: fd.iface, Func: fd.name, Type: ft,
			Core: canon.Flatten(ft, canon.Lower), Opts: opts})
		e.add(binary.SortCoreFunc, h)
	default:
		tv, err := e.ts.get(cn.Type)
		if err != nil {
			return err
		}
		if tv.res == nil {
			return errorf("canon %s of type %d, which is not an imported resource, is not supported yet", cn.Kind, cn.Type)
		}
		if cn.Kind != binary.CanonResourceDrop {
			return errorf("canon %s of imported resource %s: only its implementation may use it", cn.Kind, tv.res.Name)
		}
		i32 := []canon.CoreType{canon.I32}
		iface, res := "", tv.res.Name
		if i := strings.LastIndexByte(res, '#'); i >= 0 {
			iface, res = res[:i], res[i+1:]
		}
		b.p.Host = append(b.p.Host, HostFunc{Kind: HostResourceDrop, Interface: iface, Func: "[resource-drop]" + res,
			Core: canon.CoreFuncType{Params: i32}, Resource: tv.res})
		e.add(binary.SortCoreFunc, h)
	}
	return nil
}
