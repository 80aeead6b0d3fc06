package plan

import "testing"

// Resource finds an imported resource's type by interface (any 0.2.x
// version) and name, the same type the plan's functions use.
func TestResource(t *testing.T) {
	p, err := Build(fixture(t, "printenv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, iface, res string
		found            bool
	}{
		{"output-stream", "wasi:io/streams@0.2.0", "output-stream", true},
		{"other patch version", "wasi:io/streams@0.2.9", "output-stream", true},
		{"wrong interface", "wasi:io/error@0.2.0", "output-stream", false},
		{"unknown name", "wasi:io/streams@0.2.0", "socket", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt, found := p.Resource(tc.iface, tc.res)
			if found != tc.found {
				t.Fatalf("found %v, want %v", found, tc.found)
			}
			if found && !resourceIs(rt, tc.iface, tc.res) {
				t.Errorf("got %s", rt.Name)
			}
		})
	}
}
