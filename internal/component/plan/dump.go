package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wisphq/wisp/internal/component/canon"
)

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Dump returns the plan as text, one line per step, import, host function
// and export, for golden tests and debugging.
func (p *Plan) Dump() string {
	var sb strings.Builder
	for k, s := range p.Steps {
		fmt.Fprintf(&sb, "step %d = instantiate core module %d (%d bytes)\n", k, s.Module, len(s.Wasm))
		for _, im := range s.Imports {
			fmt.Fprintf(&sb, "  import %q %q <- %s\n", im.Module, im.Name, im.From)
		}
	}
	for h, f := range p.Host {
		fmt.Fprintf(&sb, "host h%d = %s %s %s: %s%s\n", h, f.Kind, f.Interface, f.Func, coreSig(f.Core), optsString(f.Opts))
	}
	for _, e := range p.Exports {
		fmt.Fprintf(&sb, "export %s %s = lift %s: %d params, %d results, core %s%s\n", e.Interface, e.Func, e.Core,
			len(e.Type.Params), len(e.Type.Results), coreSig(canon.Flatten(e.Type, canon.Lift)), optsString(e.Opts))
	}
	return sb.String()
}

func coreSig(c canon.CoreFuncType) string {
	return fmt.Sprintf("%v -> %v", c.Params, c.Results)
}

func optsString(o Options) string {
	s := ""
	if o.Memory != nil {
		s += " (memory " + o.Memory.String() + ")"
	}
	if o.Realloc != nil {
		s += " (realloc " + o.Realloc.String() + ")"
	}
	if o.PostReturn != nil {
		s += " (post-return " + o.PostReturn.String() + ")"
	}
	if o.Encoding != canon.UTF8 {
		s += " (string-encoding=" + o.Encoding.String() + ")"
	}
	return s
}
