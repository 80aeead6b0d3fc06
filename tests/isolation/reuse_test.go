package isolation

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// reuseprobe's state after _initialize (see reuseprobe.wat): 16 pages, its
// globals as g32 g64-high g64-low counter, its table's two functions'
// results.
const (
	reuseInitPages = "16"
	reuseGlobals   = "4916 287454020 1432778615 8"
	reuseTable     = "100 101"
)

var reuseFields = []string{"pages", "foreign", "first", "near", "globals", "table", "mode", "secret"}

// checkReuse checks reuseprobe's report: the instance started with its
// initialized page count, globals and table, and not one byte of its
// memory differed from the initialized state.
func checkReuse(c call, body string) []string {
	fields, problems := parseFields(body, reuseFields...)
	if len(problems) > 0 {
		return problems
	}
	if fields["pages"] != reuseInitPages {
		problems = append(problems, fmt.Sprintf("the instance started with %s pages of memory, want %s: pages grown by an earlier request survived", fields["pages"], reuseInitPages))
	}
	if fields["foreign"] != "0" || fields["first"] != "none" {
		near, _ := hex.DecodeString(fields["near"])
		problems = append(problems, fmt.Sprintf("memory held %s bytes the instance did not write, the first at address %s, starting %q", fields["foreign"], fields["first"], near))
	}
	if fields["globals"] != reuseGlobals {
		problems = append(problems, fmt.Sprintf("the globals started as %q, want %q: an earlier request's values survived", fields["globals"], reuseGlobals))
	}
	if fields["table"] != reuseTable {
		problems = append(problems, fmt.Sprintf("the table's functions return %q, want %q", fields["table"], reuseTable))
	}
	if fields["mode"] != c.mode {
		problems = append(problems, fmt.Sprintf("the probe ran in mode %q, want %q (did it get the query?)", fields["mode"], c.mode))
	}
	if fields["secret"] != c.secret {
		problems = append(problems, fmt.Sprintf("the probe got secret %q, want %q (did it get the query?)", fields["secret"], c.secret))
	}
	return problems
}

// TestReuseDetectsLeaks shows that checkReuse catches what a reused
// instance that was not reset would show: in mode twice the probe dirties
// its memory and globals and reads them again within one instance before
// reporting.
func TestReuseDetectsLeaks(t *testing.T) {
	f := setup(t)
	f.eachFlavor(t, reuseProbe, func(t *testing.T, a *app) {
		c := newCall(a, "twice")
		r := f.do(t, c)
		if r.status != 200 {
			t.Fatalf("mode twice: status %d, want 200: %s", r.status, r.body)
		}
		problems := checkReuse(c, r.body)
		for _, want := range []string{"bytes the instance did not write", "the globals started as"} {
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, want) }) {
				t.Errorf("checkReuse on an instance that saw its own leftovers = %q, want a problem containing %q; body:\n%s", problems, want, r.body)
			}
		}
	})
}

// TestReuseAfterEachEnding dirties all of the probe's memory and globals,
// ends the request in each way it can end (growing the memory and closing
// stdout among them: an instance left so must not be reused), and checks
// that the next requests find none of it. Several plain requests in a row
// run on one reused instance in the reactor's case; each must see a
// pristine instance.
func TestReuseAfterEachEnding(t *testing.T) {
	f := setup(t)
	f.eachFlavor(t, reuseProbe, func(t *testing.T, a *app) {
		f.dirtyThenClean(t, a, "ok", "exit0", "exit7", "trap", "oob", "twice", "grow", "close", "loop", "sleep")
	})
}
