package plan

import (
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/component/binary"
)

// TestRefusals: what the plan does not support yet is refused, naming the
// construct.
func TestRefusals(t *testing.T) {
	funcType := binary.Section{ID: binary.SectionType, Types: []binary.Type{{Kind: binary.KindFunc}}}
	module := binary.Section{ID: binary.SectionCoreModule, Module: &binary.CoreModule{Bytes: []byte("\x00asm\x01\x00\x00\x00")}}
	for _, tc := range []struct {
		name string
		secs []binary.Section
		want string
	}{
		{"start function", []binary.Section{{ID: binary.SectionStart, Start: &binary.Start{}}}, "start function is not supported yet"},
		{"resource defined by the component", []binary.Section{{ID: binary.SectionType, Types: []binary.Type{{Kind: binary.KindResource, Offset: 7}}}},
			"resource type defined by the component (at byte 7) is not supported yet"},
		{"imported core module", []binary.Section{
			{ID: binary.SectionImport, Imports: []binary.Import{{Name: binary.ExternName{Name: "m"}, Type: binary.ExternType{Sort: binary.SortCoreModule}}}},
		}, `import "m": importing a core module is not supported`},
		{"lower of a lifted function", []binary.Section{
			funcType, module,
			{ID: binary.SectionCoreInstance, CoreInstances: []binary.CoreInstance{{Instantiate: true}}},
			{ID: binary.SectionAlias, Aliases: []binary.Alias{{Sort: binary.SortCoreFunc, Kind: binary.AliasCoreExport, Name: "f"}}},
			{ID: binary.SectionCanon, Canons: []binary.Canon{{Kind: binary.CanonLift}, {Kind: binary.CanonLower}}},
		}, "canon lower of a lifted function (func 0: component composition, a fused adapter) is not supported yet"},
		{"unwired core import", []binary.Section{
			{ID: binary.SectionCoreModule, Module: &binary.CoreModule{Bytes: []byte("\x00asm\x01\x00\x00\x00\x02\x08\x01\x01m\x01n\x02\x00\x01")}},
			{ID: binary.SectionCoreInstance, CoreInstances: []binary.CoreInstance{{Instantiate: true}}},
		}, `imports "m" "n", but no instance is supplied as "m"`},
		// Module 1 imports step 0's fuel counter: it could set it.
		{"import of another step's fuel counter", []binary.Section{
			module,
			{ID: binary.SectionCoreModule, Module: &binary.CoreModule{Bytes: importGlobal("a", "wisp.meter.fuel")}},
			{ID: binary.SectionCoreInstance, CoreInstances: []binary.CoreInstance{
				{Instantiate: true, Module: 0},
				{Instantiate: true, Module: 1, Args: []binary.CoreInstanceArg{{Name: "a", Instance: 0}}},
			}},
		}, `imports "a" "wisp.meter.fuel": the name is reserved`},
		{"import of another step's reuse global", []binary.Section{
			module,
			{ID: binary.SectionCoreModule, Module: &binary.CoreModule{Bytes: importGlobal("a", "wisp.preinit.global.0")}},
			{ID: binary.SectionCoreInstance, CoreInstances: []binary.CoreInstance{
				{Instantiate: true, Module: 0},
				{Instantiate: true, Module: 1, Args: []binary.CoreInstanceArg{{Name: "a", Instance: 0}}},
			}},
		}, `imports "a" "wisp.preinit.global.0": the name is reserved`},
		{"alias of a step's fuel counter", []binary.Section{
			module,
			{ID: binary.SectionCoreInstance, CoreInstances: []binary.CoreInstance{{Instantiate: true}}},
			{ID: binary.SectionAlias, Aliases: []binary.Alias{{Sort: binary.SortCoreGlobal, Kind: binary.AliasCoreExport, Name: "wisp.meter.fuel"}}},
		}, `export "wisp.meter.fuel": the name is reserved`},
		{"index out of bounds", []binary.Section{
			{ID: binary.SectionCanon, Canons: []binary.Canon{{Kind: binary.CanonLower, Func: 3}}},
		}, "func index 3 out of bounds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(&binary.Component{Sections: tc.secs})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// importGlobal is a core module importing a mutable i64 global name from
// module mod.
func importGlobal(mod, name string) []byte {
	imp := []byte{0x01, byte(len(mod))}
	imp = append(imp, mod...)
	imp = append(imp, byte(len(name)))
	imp = append(imp, name...)
	imp = append(imp, 0x03, 0x7E, 0x01)
	b := []byte("\x00asm\x01\x00\x00\x00\x02")
	return append(append(b, byte(len(imp))), imp...)
}
