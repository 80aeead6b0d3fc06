package plan

import (
	"strings"

	"github.com/wisphq/wisp/internal/component/canon"
)

// Resource returns the resource type the plan uses for resource name of
// imported interface iface (any 0.2.x version matches, as in Export): the
// type whose handles the run's canon.Instance holds, so a host putting a Go
// object behind an own<name> argument of an export (wasi:http's
// incoming-request and response-outparam) lowers it with the right type.
// It reports false when no function type of the plan mentions the
// resource.
func (p *Plan) Resource(iface, name string) (*canon.ResourceType, bool) {
	var found *canon.ResourceType
	visit := func(ft *canon.FuncType) {
		if ft == nil || found != nil {
			return
		}
		for _, t := range ft.Params {
			found = findResource(t, iface, name, 0)
			if found != nil {
				return
			}
		}
		for _, t := range ft.Results {
			found = findResource(t, iface, name, 0)
			if found != nil {
				return
			}
		}
	}
	for i := range p.Exports {
		visit(p.Exports[i].Type)
	}
	for i := range p.Host {
		h := &p.Host[i]
		if h.Resource != nil && found == nil && resourceIs(h.Resource, iface, name) {
			found = h.Resource
		}
		visit(h.Type)
	}
	return found, found != nil
}

// resourceIs reports whether rt, named "<interface>#<name>" by Build, is
// name of iface.
func resourceIs(rt *canon.ResourceType, iface, name string) bool {
	i := strings.LastIndexByte(rt.Name, '#')
	return i >= 0 && rt.Name[i+1:] == name && SameInterface(rt.Name[:i], iface)
}

// findResource looks through t (to a bounded depth: types are finite but
// the walk need not go deep) for an own or borrow of iface's name.
func findResource(t *canon.Type, iface, name string, depth int) *canon.ResourceType {
	if t == nil || depth > 32 {
		return nil
	}
	if rt := t.Resource(); rt != nil && resourceIs(rt, iface, name) {
		return rt
	}
	if t.Kind() == canon.KindList {
		return findResource(t.Elem(), iface, name, depth+1)
	}
	for _, c := range t.Types() {
		if rt := findResource(c, iface, name, depth+1); rt != nil {
			return rt
		}
	}
	return nil
}
