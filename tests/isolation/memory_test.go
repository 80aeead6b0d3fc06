package isolation

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// memprobe's state after _initialize: 16 pages (see memprobe.wat).
const memInitPages = "16"

// checkMemory checks memprobe's report: the instance started with its
// initialized page count and not one byte of its 2 MiB differed from the
// initialized state.
func checkMemory(c call, body string) []string {
	fields, problems := parseFields(body, "pages", "foreign", "first", "near", "mode", "secret")
	if len(problems) > 0 {
		return problems
	}
	if fields["pages"] != memInitPages {
		problems = append(problems, fmt.Sprintf("the instance started with %s pages of memory, want %s: pages grown by an earlier request survived", fields["pages"], memInitPages))
	}
	if fields["foreign"] != "0" || fields["first"] != "none" {
		near, _ := hex.DecodeString(fields["near"])
		problems = append(problems, fmt.Sprintf("memory held %s bytes the instance did not write, the first at address %s, starting %q", fields["foreign"], fields["first"], near))
	}
	if fields["mode"] != c.mode {
		problems = append(problems, fmt.Sprintf("the probe ran in mode %q, want %q (did it get the query?)", fields["mode"], c.mode))
	}
	if fields["secret"] != c.secret {
		problems = append(problems, fmt.Sprintf("the probe got secret %q, want %q (did it get the query?)", fields["secret"], c.secret))
	}
	return problems
}

// parseFields parses "key=value" lines into a map, requiring exactly the
// keys given, in that order.
func parseFields(body string, keys ...string) (map[string]string, []string) {
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	if len(lines) != len(keys) {
		return nil, []string{fmt.Sprintf("the report has %d lines, want %d (%s)", len(lines), len(keys), strings.Join(keys, ", "))}
	}
	fields := map[string]string{}
	for i, line := range lines {
		k, v, ok := strings.Cut(line, "=")
		if !ok || k != keys[i] {
			return nil, []string{fmt.Sprintf("report line %d is %q, want %s=...", i+1, line, keys[i])}
		}
		fields[k] = v
	}
	return fields, nil
}

// TestMemoryDetectsLeaks shows that checkMemory catches leftover memory:
// in mode twice the probe dirties its memory and scans it again within one
// instance before reporting, as a reused instance would.
func TestMemoryDetectsLeaks(t *testing.T) {
	f := setup(t)
	f.eachFlavor(t, memProbe, func(t *testing.T, a *app) {
		c := newCall(a, "twice")
		r := f.do(t, c)
		if r.status != 200 {
			t.Fatalf("mode twice: status %d, want 200: %s", r.status, r.body)
		}
		problems := checkMemory(c, r.body)
		i := slices.IndexFunc(problems, func(p string) bool { return strings.Contains(p, "bytes the instance did not write") })
		if i < 0 {
			t.Fatalf("checkMemory on an instance that saw its own leftovers = %q, want a problem about foreign bytes; body:\n%s", problems, r.body)
		}
		fields, _ := parseFields(r.body, "pages", "foreign", "first", "near", "mode", "secret")
		near, _ := hex.DecodeString(fields["near"])
		if !strings.Contains(string(near), c.secret[:16]) {
			t.Errorf("the leftover bytes %q do not show the secret %s", near, c.secret)
		}
		t.Logf("a reused instance would report: %s", problems[i])
	})
}

// dirtyThenClean runs one subtest per mode: a request that dirties the
// probe's state and ends in that mode, then three ordinary requests that
// must find none of it. A "twice" request dirties and re-reads within one
// instance, so its own report shows its own leftovers: only its status is
// checked.
func (f *fixture) dirtyThenClean(t *testing.T, a *app, modes ...string) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			skipSlow(t, mode)
			dirty := newCall(a, mode)
			r := f.do(t, dirty)
			if mode == "twice" {
				if r.status != 200 {
					t.Errorf("mode twice: status %d, want 200", r.status)
				}
			} else {
				expectClean(t, dirty, r, "")
			}
			for range 3 {
				next := newCall(a, "ok")
				expectClean(t, next, f.do(t, next), "")
			}
		})
	}
}

// TestMemoryAfterEachEnding dirties all of the probe's memory (2 MiB, 16
// pages of it grown during the request) and ends the request in each way
// it can end, and checks that the next request finds none of it.
func TestMemoryAfterEachEnding(t *testing.T) {
	f := setup(t)
	f.eachFlavor(t, memProbe, func(t *testing.T, a *app) {
		f.dirtyThenClean(t, a, "ok", "exit0", "exit7", "trap", "oob", "twice", "loop", "sleep")
	})
}
