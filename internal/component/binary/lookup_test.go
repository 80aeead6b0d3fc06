package binary

import "testing"

func TestLookup(t *testing.T) {
	c, err := Decode(kitchen())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		sort Sort
		i    uint32
		want SectionID
		item int
	}{
		{"type defined in a type section", SortType, 12, SectionType, 12},
		{"type from an alias", SortType, 17, SectionAlias, 0},
		{"type from an export", SortType, 19, SectionExport, 1},
		{"lifted func", SortFunc, 0, SectionCanon, 0},
		{"lowered core func", SortCoreFunc, 4, SectionCanon, 1},
		{"aliased core memory", SortCoreMemory, 0, SectionAlias, 1},
		{"imported core module", SortCoreModule, 1, SectionImport, 0},
		{"embedded core module", SortCoreModule, 0, SectionCoreModule, 0},
		{"nested component", SortComponent, 1, SectionComponent, 0},
		{"imported instance", SortInstance, 1, SectionImport, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sec, item, ok := c.Lookup(tc.sort, tc.i)
			if !ok || sec.ID != tc.want || item != tc.item {
				t.Errorf("Lookup(%s, %d) = %v item %d, %v; want %v item %d", tc.sort, tc.i, sec.ID, item, ok, tc.want, tc.item)
			}
		})
	}
	if _, _, ok := c.Lookup(SortType, 20); ok {
		t.Error("Lookup(type, 20) found an entry past the end")
	}
	if _, _, ok := c.Lookup(NumSorts, 0); ok {
		t.Error("Lookup of an invalid sort found an entry")
	}
	if got := len(c.Imports()); got != 4 {
		t.Errorf("%d imports, want 4", got)
	}
	ex := c.Exports()
	if len(ex) != 4 || ex[3].Name.Name != "wasi:http/incoming-handler@0.2.10" {
		t.Fatalf("exports = %+v", ex)
	}
	in, ok := ex[3].Name.Interface()
	if !ok || in != (InterfaceName{"wasi", "http", "incoming-handler", "0.2.10"}) {
		t.Errorf("Interface() = %+v, %v", in, ok)
	}
}
