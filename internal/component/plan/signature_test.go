package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/component/canon"
)

// TestSignatures: a wrapped command's plan names the realloc of every
// lower that has one, each to be checked as (i32 i32 i32 i32) -> i32.
func TestSignatures(t *testing.T) {
	p, err := Build(fixture(t, "printenv"))
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, h := range p.Host {
		if h.Opts.Realloc != nil {
			want++
		}
	}
	sigs := p.Signatures()
	if want == 0 || len(sigs) < want {
		t.Fatalf("%d signatures for %d reallocs of lowers", len(sigs), want)
	}
	for _, s := range sigs {
		if !strings.HasPrefix(s.What, "realloc of the lower of ") && !strings.HasPrefix(s.What, "realloc of the lift of ") && !strings.HasPrefix(s.What, "post-return of the lift of ") {
			t.Errorf("signature named %q", s.What)
		}
		if strings.HasPrefix(s.What, "realloc") && (!slices.Equal(s.Type.Params, []canon.CoreType{canon.I32, canon.I32, canon.I32, canon.I32}) || !slices.Equal(s.Type.Results, []canon.CoreType{canon.I32})) {
			t.Errorf("%s: type %v", s.What, s.Type)
		}
	}
}
