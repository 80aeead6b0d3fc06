package engine

import (
	"slices"

	"github.com/tetratelabs/wazero/api"
)

// checkSignatures refuses a component whose canon options name a core
// function of another type than the canonical ABI requires (spec.
// Signatures): a realloc returning an i64 or a v128, a post-return taking
// other parameters. Called once the steps are compiled.
func (c *Component) checkSignatures(spec ComponentSpec) error {
	for _, sig := range spec.Signatures {
		want := coreTypes(sig.Params)
		wantResults := coreTypes(sig.Results)
		var params, results []api.ValueType
		switch {
		case sig.Step < 0:
			if sig.Host < 0 || sig.Host >= len(spec.Host) {
				return invalidf("%s: no host function %d", sig.What, sig.Host)
			}
			h := spec.Host[sig.Host]
			params, results = coreTypes(h.Params), coreTypes(h.Results)
		case sig.Step < len(c.compiled):
			def, ok := c.compiled[sig.Step].ExportedFunctions()[sig.Name]
			if !ok {
				return invalidf("%s: core instance %d exports no function %q", sig.What, sig.Step, sig.Name)
			}
			params, results = def.ParamTypes(), def.ResultTypes()
		default:
			return invalidf("%s: no core instance %d", sig.What, sig.Step)
		}
		if !slices.Equal(params, want) || !slices.Equal(results, wantResults) {
			return invalidf("%s is a core function of type %s, where the canonical ABI requires %s: rebuild the component with a toolchain that follows the component model", sig.What, typeString(params, results), typeString(want, wantResults))
		}
	}
	return nil
}
