package plan

import (
	"fmt"

	"github.com/wisphq/wisp/internal/component/canon"
)

// Signature is a core function a canon option names, with the core type
// the canonical ABI requires of it. The plan knows the items, not their
// types (those are the core modules'), so whoever compiles the steps
// checks them (engine.ComponentSpec.Signatures).
type Signature struct {
	Item Item
	Type canon.CoreFuncType
	// What names the option for an error: "realloc of the lower of
	// wasi:cli/environment@0.2.3#get-environment".
	What string
}

// reallocType is the core type of every realloc: (old ptr, old size,
// alignment, new size) -> new ptr.
var reallocType = canon.CoreFuncType{Params: []canon.CoreType{canon.I32, canon.I32, canon.I32, canon.I32}, Results: []canon.CoreType{canon.I32}}

// Signatures lists the core functions the plan's canon options name, each
// with the type the canonical ABI requires: a realloc is (i32 i32 i32
// i32) -> i32, and a lift's post-return takes the lifted function's core
// results and returns nothing.
func (p *Plan) Signatures() []Signature {
	var out []Signature
	for _, h := range p.Host {
		if h.Opts.Realloc != nil {
			out = append(out, Signature{Item: *h.Opts.Realloc, Type: reallocType, What: "realloc of the lower of " + name(h.Interface, h.Func)})
		}
	}
	for _, e := range p.Exports {
		if e.Opts.Realloc != nil {
			out = append(out, Signature{Item: *e.Opts.Realloc, Type: reallocType, What: "realloc of the lift of " + name(e.Interface, e.Func)})
		}
		if e.Opts.PostReturn != nil && e.Type != nil {
			pr := canon.CoreFuncType{Params: canon.Flatten(e.Type, canon.Lift).Results}
			out = append(out, Signature{Item: *e.Opts.PostReturn, Type: pr, What: "post-return of the lift of " + name(e.Interface, e.Func)})
		}
	}
	return out
}

func name(iface, fn string) string {
	if iface == "" {
		return fmt.Sprintf("%q", fn)
	}
	return iface + "#" + fn
}
