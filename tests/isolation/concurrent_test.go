package isolation

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// reference returns the app's reference answer: the answer to a plain
// call (mode ok, no header, no body) with its secret replaced by
// "SECRET", which must itself pass every check. It is asked for once per
// app and remembered.
func (f *fixture) reference(t *testing.T, a *app) string {
	t.Helper()
	f.refMu.Lock()
	defer f.refMu.Unlock()
	if ref, ok := f.refs[a.name]; ok {
		return ref
	}
	c := newCall(a, "ok")
	r := f.do(t, c)
	if problems := check(c, r, ""); len(problems) > 0 {
		t.Fatalf("%s: the reference answer is wrong:\n  %s\nbody:\n%s", a.name, strings.Join(problems, "\n  "), r.body)
	}
	ref := strings.ReplaceAll(r.body, c.secret, "SECRET")
	if f.refs == nil {
		f.refs = map[string]string{}
	}
	f.refs[a.name] = ref
	return ref
}

// skipSlow skips the rest of a test that waits for a timeout, with -short.
func skipSlow(t *testing.T, mode string) {
	t.Helper()
	if testing.Short() && slices.Contains(slowModes, mode) {
		t.Skipf("mode %s runs into the %s timeout; skipped with -short", mode, timeout)
	}
}

// fastModes are the ways each probe can end without waiting for the
// timeout.
var fastModes = map[string][]string{
	memProbe:   {"ok", "exit0", "exit7", "trap", "oob"},
	stateProbe: {"ok", "exit7", "trap"},
	envProbe:   {"ok", "exit7", "trap"},
	filesProbe: {"ok", "exit7", "trap"},
	reuseProbe: {"ok", "exit0", "exit7", "trap", "oob", "grow", "close", "ok", "ok"},
}

const (
	workers   = 16
	perWorker = 30
)

// TestConcurrent sends requests to every probe app at once from many
// goroutines, ending in every way, while requests run into their timeout
// next to them, and checks every answer. Instances of all apps run side
// by side, so memory, environments or files reused across apps would show
// too: memprobe, for one, reports any byte another app left.
func TestConcurrent(t *testing.T) {
	f := setup(t)
	apps := f.deployed()
	refs := map[string]string{}
	for _, a := range apps {
		refs[a.name] = f.reference(t, a)
	}

	var (
		mu       sync.Mutex
		failures []string           // the first 20
		failed   int                // answers with problems
		counts   = map[string]int{} // by app and mode
		slowest  time.Duration      // of the requests in fast modes
	)
	record := func(c call, r response, err error, took time.Duration) {
		var problems []string
		if err != nil {
			problems = []string{err.Error()}
		} else {
			problems = check(c, r, refs[c.app.name])
		}
		mu.Lock()
		defer mu.Unlock()
		counts[c.app.name+" "+c.mode]++
		if !slices.Contains(slowModes, c.mode) {
			slowest = max(slowest, took)
		}
		if len(problems) > 0 {
			failed++
		}
		if len(problems) > 0 && len(failures) < 20 {
			msg := fmt.Sprintf("%s %s (mode %s):\n    %s", c.app.name, c.path(), c.mode, strings.Join(problems, "\n    "))
			if len(failures) < 3 {
				msg += fmt.Sprintf("\n  body: %q", truncate(r.body))
			}
			failures = append(failures, msg)
		}
	}

	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				// Each worker cycles through the apps; each app gets each
				// of its modes, with and without secrets, in turn.
				n := w*perWorker + i
				a, round := apps[n%len(apps)], n/len(apps)
				modes := fastModes[a.probe]
				c := newCall(a, modes[(round+w)%len(modes)])
				if a.probe == envProbe {
					c = envCall(a, c.mode, round%2 == 1)
				}
				sent := time.Now()
				r, err := f.send(c)
				record(c, r, err, time.Since(sent))
			}
		}()
	}
	if !testing.Short() {
		// Requests killed at their timeout, one at a time: a guest spinning
		// in a loop holds a CPU until then.
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, a := range apps {
				var modes []string
				switch a.probe {
				case memProbe, reuseProbe:
					modes = slowModes
				case stateProbe:
					modes = []string{"loop"}
				}
				for _, mode := range modes {
					c := newCall(a, mode)
					sent := time.Now()
					r, err := f.send(c)
					record(c, r, err, time.Since(sent))
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d requests in %s, the slowest not meant to time out taking %s (the timeout is %s): %v",
		sum(counts), time.Since(start).Round(time.Millisecond), slowest.Round(time.Millisecond), timeout, counts)
	if len(failures) > 0 {
		t.Errorf("%d answers are not what a fresh instance gives (the first %d shown, the first 3 with their body):\n  %s", failed, len(failures), strings.Join(failures, "\n  "))
	}

	// Afterwards, every app still answers as a fresh instance.
	for _, a := range apps {
		c := newCall(a, "ok")
		expectClean(t, c, f.do(t, c), refs[a.name])
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
