package hostile

import (
	"io"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// cpuGuests never finish: each burns CPU its own way, and only the CPU
// limit (limits.cpu, enforced by the metering) or the wall-clock timeout
// stops it.
var cpuGuests = []struct{ name, module string }{
	{"tight-loop", fixture("loop.wasm")},
	{"call-tree", hostileGuest("cpurecursion.wasm")},
	{"bulk-fill-copy-table", hostileGuest("cpubulk.wasm")},
	{"host-call-loop", hostileGuest("cpuhostloop.wasm")},
	// The tight loop as a component (jco new): its graph's instances
	// share one fuel account (docs/cpu.md, "Plugins and components").
	{"component-loop", filepath.Join(repoRoot, "testdata", "components", "extra", "loop.wasm")},
}

// testCPULimits deploys each CPU guest twice, once stopped by a 50ms CPU
// limit (503 naming the limit) and once by a 500ms timeout with a CPU
// limit it never reaches (504), while the control app is probed and
// chunked uploads churn the Go heap so the collector must stop the world
// throughout. Then `wisp app` must show the CPU use and the stops, and the
// control app's request log its CPU per request.
func testCPULimits(t *testing.T, s *suite) {
	stop := make(chan struct{})
	var uploads atomic.Int64
	var churn sync.WaitGroup
	churn.Add(1)
	go func() {
		defer churn.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if r, err := s.try("POST", controlRoute, io.LimitReader(zeros{}, 4<<20)); err == nil && r.status == 200 {
				uploads.Add(1)
			}
		}
	}()
	defer func() {
		close(stop)
		churn.Wait()
		// Each upload is buffered whole by the gateway: hundreds of them
		// mean the collector ran again and again beside the guests.
		t.Logf("%d chunked 4MiB uploads to the control app meanwhile", uploads.Load())
		if uploads.Load() < 10 {
			t.Errorf("only %d chunked uploads completed while the CPU guests ran: the node stalled", uploads.Load())
		}
	}()

	for _, g := range cpuGuests {
		for _, mode := range []struct {
			name   string
			flags  []string
			status int
			body   string
			log    string
		}{
			{"cpu", []string{"--cpu", "50ms", "--timeout", "30s"}, 503,
				"used more than its CPU limit of 50ms per request", "used more than its CPU limit of 50ms per request (limits.cpu"},
			{"deadline", []string{"--cpu", "10m", "--timeout", "500ms"}, 504,
				"did not answer within its 500ms timeout", "ran past its 500ms timeout"},
		} {
			name := "cpu-" + g.name + "-" + mode.name
			t.Run(g.name+"/"+mode.name, func(t *testing.T) {
				s.deploy(t, append([]string{g.module, "--name", name, "--route", "/" + name}, mode.flags...)...)
				p := s.startProbe(1, probeInterval)
				r := s.do(t, "GET", "/"+name, nil)
				p.check(t, name)
				t.Logf("%s: %d %q after %s", name, r.status, strings.TrimSpace(r.body), r.elapsed.Round(time.Millisecond))
				if r.status != mode.status || !strings.Contains(r.body, mode.body) {
					t.Errorf("GET /%s = %d %q, want %d with %q", name, r.status, r.body, mode.status, mode.body)
				}
				if log := s.logs(t, name, 100); !strings.Contains(log, mode.log) {
					t.Errorf("wisp logs %s lacks %q:\n%s", name, mode.log, log)
				}
				if mode.name == "cpu" {
					res := s.wisp(t, "app", name)
					if want := "1 stopped at limits.cpu"; !strings.Contains(res.Stdout, want) {
						t.Errorf("wisp app %s lacks %q:\n%s", name, want, res.Stdout)
					}
				}
				s.alive(t)
			})
		}
	}

	// The control app's requests are logged with their CPU, and the same
	// request costs the same fuel every time.
	log := s.logs(t, "control", 1000)
	var fuel []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "GET "+controlRoute+" 200") {
			_, usage, ok := strings.Cut(line, "(")
			if !ok || !strings.Contains(usage, " cpu, ") {
				t.Fatalf("request log line without its CPU: %q", line)
			}
			fuel = append(fuel, usage)
		}
	}
	if len(fuel) < 2 {
		t.Fatalf("found %d GET %s lines in the control app's log:\n%s", len(fuel), controlRoute, log)
	}
	for _, f := range fuel[1:] {
		if f != fuel[0] {
			t.Errorf("GET %s used %s, then %s: fuel should not vary", controlRoute, fuel[0], f)
			break
		}
	}
	res := s.wisp(t, "app", "control")
	if !strings.Contains(res.Stdout, "CPU per request") {
		t.Errorf("wisp app control shows no CPU per request:\n%s", res.Stdout)
	}
	s.healthy(t)
}
