package canon

import (
	"strconv"
	"testing"
)

// TestFlatCount: flatCount counts what flattenTypes builds, up to the
// limit it stops at, for lists of every length around the limits.
func TestFlatCount(t *testing.T) {
	wide := Tuple(String(), String(), String(), String(), String(), String(), String(), String(), String()) // 18 flat
	for _, tc := range []struct {
		name string
		ts   []*Type
	}{
		{"none", nil},
		{"one string", []*Type{String()}},
		{"a nil type", []*Type{nil, Bool()}},
		{"a wide tuple", []*Type{wide}},
		{"wide tuples past the limit", []*Type{wide, wide, wide, Char()}},
		{"a list of options", []*Type{List(Option(Char())), Result(String(), Bool())}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := flatCount(tc.ts), len(flattenTypes(tc.ts)); got != want {
				t.Fatalf("flatCount = %d, len(flattenTypes) = %d", got, want)
			}
		})
	}
	for n := range 40 {
		ts := make([]*Type, n)
		for i := range ts {
			ts[i] = Char()
		}
		t.Run(strconv.Itoa(n)+" chars", func(t *testing.T) {
			if got, want := flatCount(ts), len(flattenTypes(ts)); got != want {
				t.Fatalf("flatCount = %d, len(flattenTypes) = %d", got, want)
			}
		})
	}
}
