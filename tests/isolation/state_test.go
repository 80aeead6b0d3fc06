package isolation

import (
	"fmt"
	"strings"
	"testing"
)

// stateFresh is stateprobe's report from its initialized state: its
// initializer changed every global from its declared value (see
// stateprobe.wat), so an instance with the declared values is caught too;
// the table is as declared.
const stateFresh = "g32=00001334\ng64=1122334455667777\ngf=4008000000000000\ncounter=8\ntable=2: 100 101\nmode=%s\n"

// checkState checks stateprobe's report: globals and table exactly as
// _initialize left them.
func checkState(c call, body string) []string {
	want := fmt.Sprintf(stateFresh, c.mode)
	if body == want {
		return nil
	}
	got, wantLines := strings.Split(body, "\n"), strings.Split(want, "\n")
	var problems []string
	for i := range max(len(got), len(wantLines)) {
		g, w := line(got, i), line(wantLines, i)
		if g != w {
			problems = append(problems, fmt.Sprintf("report line %d is %q, want %q", i+1, g, w))
		}
	}
	return problems
}

func line(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return ""
}

// TestStateDetectsLeaks shows that checkState catches changed globals and
// tables: in mode twice the probe makes its changes before reporting, as
// a reused instance would show them.
func TestStateDetectsLeaks(t *testing.T) {
	f := setup(t)
	f.eachFlavor(t, stateProbe, func(t *testing.T, a *app) {
		c := newCall(a, "twice")
		r := f.do(t, c)
		if r.status != 200 {
			t.Fatalf("mode twice: status %d, want 200: %s", r.status, r.body)
		}
		problems := checkState(c, r.body)
		// Every global and the table differ.
		for _, name := range []string{"g32", "g64", "gf", "counter", "table"} {
			if !strings.Contains(strings.Join(problems, "\n"), `is "`+name+"=") {
				t.Errorf("checkState on changed state does not report %s; problems: %q; body:\n%s", name, problems, r.body)
			}
		}
	})
}

// TestStateAfterEachEnding changes every global and the table and ends the
// request in each way it can end, and checks that the next request starts
// from the initialized values.
func TestStateAfterEachEnding(t *testing.T) {
	f := setup(t)
	f.eachFlavor(t, stateProbe, func(t *testing.T, a *app) {
		f.dirtyThenClean(t, a, "ok", "exit7", "trap", "twice", "loop")
	})
}
