package hostile

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// guestCase is one misbehaving module and what the node must answer.
type guestCase struct {
	name   string
	deploy []string // `wisp deploy` arguments; --name and --route come from name
	status int
	body   string // substring of the response body
	log    string // substring of the app's log afterwards
	// check, if set, checks the response further.
	check func(t *testing.T, r response)
}

// guestCases are the modules that attack the node from inside a request.
// Each gets its own app, named and routed after the case.
func guestCases() []guestCase {
	return []guestCase{{
		name:   "loop",
		deploy: []string{fixture("loop.wasm"), "--timeout", "500ms"},
		status: 504,
		body:   "did not answer within its 500ms timeout",
		log:    "ran past its 500ms timeout; the instance was killed",
	}, {
		// sleep.wasm asks poll_oneoff for 60s; the deadline must cut the
		// sleep short, not wait for it.
		name:   "sleep",
		deploy: []string{fixture("sleep.wasm"), "--timeout", "500ms"},
		status: 504,
		body:   "did not answer within its 500ms timeout",
		log:    "ran past its 500ms timeout",
		check: func(t *testing.T, r response) {
			if r.elapsed > 10*time.Second {
				t.Errorf("the 60s sleep was answered after %s, not at its 500ms timeout", r.elapsed)
			}
		},
	}, {
		name: "recursion",
		// A generous timeout: growing the stack to wazero's ceiling copies
		// it several times, which on a loaded 2-core machine can take
		// seconds; the outcome under test is the trap, not the timeout.
		deploy: []string{hostileGuest("recursion.wasm"), "--timeout", "60s"},
		status: 500,
		body:   "app recursion failed",
		log:    "stack overflow",
	}, {
		name:   "memgrow",
		deploy: []string{fixture("memgrow.wasm"), "--memory", "16MiB"},
		status: 200,
		body:   "grew to ",
		check: func(t *testing.T, r response) {
			m := regexp.MustCompile(`grew to (\d+) pages`).FindStringSubmatch(r.body)
			if m == nil {
				t.Fatalf("memgrow answered %q, want \"grew to N pages\"", r.body)
			}
			pages, _ := strconv.Atoi(m[1])
			if limit := (16 << 20) / (64 << 10); pages < 1 || pages > limit {
				t.Errorf("memgrow grew to %d pages; the 16MiB limit is %d pages", pages, limit)
			}
		},
	}, {
		// A Go guest keeps 1 MiB blocks until its runtime cannot grow
		// memory any more and dies with exit code 2.
		name:   "gomem",
		deploy: []string{hostileGuest("gomem/gomem.wasm"), "--memory", "32MiB"},
		status: 500,
		body:   "app gomem failed",
		log:    "fatal error: out of memory",
	}, {
		name: "stdout-flood",
		// Under the gateway's 64 KiB response window the answer is a clean
		// 500; a flood past the window is cut (TestMemoryFloods, e2e).
		deploy: []string{fixture("bigoutput.wasm"), "--max-response", "32KiB"},
		status: 500,
		body:   "app stdout-flood failed",
		log:    "wrote more than its max_response of 32KiB",
	}, {
		// Endless stderr: the log keeps a bounded number of lines per
		// invocation and the timeout ends it.
		name:   "stderr-flood",
		deploy: []string{hostileGuest("stderrflood.wasm"), "--timeout", "1s"},
		status: 504,
		body:   "did not answer within its 1s timeout",
		log:    "(further stderr lines of this invocation dropped)",
	}, {
		name:   "header-flood",
		deploy: []string{hostileGuest("headerflood.wasm")},
		status: 502,
		body:   "produced an invalid response",
		log:    "more than 100 header lines",
	}, {
		name:   "header-injection",
		deploy: []string{fixture("headerinject.wasm")},
		status: 502,
		body:   "produced an invalid response",
		log:    `"Bad Header: x": the name contains ' '`,
	}, {
		name:   "bare-cr",
		deploy: []string{hostileGuest("barecr.wasm")},
		status: 502,
		body:   "produced an invalid response",
		log:    `the value contains the control character '\r'`,
		check: func(t *testing.T, r response) {
			if c := r.header.Values("Set-Cookie"); len(c) > 0 {
				t.Errorf("the injected Set-Cookie reached the client: %q", c)
			}
		},
	}, {
		name:   "bad-status",
		deploy: []string{fixture("badstatus.wasm")},
		status: 502,
		body:   "produced an invalid response",
		log:    `Status "1000 Nope" is not a three-digit code`,
	}, {
		name:   "status-101",
		deploy: []string{hostileGuest("status101.wasm")},
		status: 502,
		body:   "produced an invalid response",
		log:    "Status 101 is not a final status",
		check: func(t *testing.T, r response) {
			if u := r.header.Get("Upgrade"); u != "" {
				t.Errorf("the guest's Upgrade: %s reached the client", u)
			}
		},
	}, {
		// The gateway frames the body itself: the guest's Content-Length,
		// Transfer-Encoding and Connection are dropped, and a body that
		// looks like a second response is just a body.
		name:   "framing",
		deploy: []string{hostileGuest("framing.wasm")},
		status: 200,
		body:   "HTTP/1.1 200 OK\r\nX-Smuggled: yes\r\n",
		check: func(t *testing.T, r response) {
			if want := "HTTP/1.1 200 OK\r\nX-Smuggled: yes\r\nContent-Length: 0\r\n\r\n"; r.body != want {
				t.Errorf("body = %q, want the guest's whole fake response %q", r.body, want)
			}
			if te := r.header.Get("Transfer-Encoding"); te != "" {
				t.Errorf("Transfer-Encoding: %s reached the client", te)
			}
			if r.header.Get("X-Smuggled") != "" {
				t.Error("the body's fake response was read as headers")
			}
		},
	}}
}

// testGuests deploys each guest case, sends it one request while probing
// the control app, and checks the answer, the app's log and the node's
// health.
func testGuests(t *testing.T, s *suite) {
	for _, c := range guestCases() {
		t.Run(c.name, func(t *testing.T) {
			route := "/" + c.name
			s.deploy(t, append(c.deploy, "--name", c.name, "--route", route)...)
			p := s.startProbe(1, probeInterval)
			r := s.do(t, "GET", route, nil)
			p.check(t, c.name)
			t.Logf("%s: %d %q after %s", c.name, r.status, strings.TrimSpace(r.body), r.elapsed.Round(time.Millisecond))
			if r.status != c.status || !strings.Contains(r.body, c.body) {
				t.Errorf("GET %s = %d %q, want %d with %q", route, r.status, r.body, c.status, c.body)
			}
			if c.check != nil {
				c.check(t, r)
			}
			if c.log != "" {
				if log := s.logs(t, c.name, 1000); !strings.Contains(log, c.log) {
					t.Errorf("wisp logs %s lacks %q:\n%s", c.name, c.log, log)
				}
			}
			s.healthy(t)
		})
	}
}

// testRefusedDeploys checks deploys that validation must refuse without
// storing anything.
func testRefusedDeploys(t *testing.T, s *suite) {
	cases := []struct {
		name string
		args []string
		want string
	}{{
		name: "min-memory-over-limit",
		args: []string{fixture("bigmem.wasm"), "--name", "bigmem", "--route", "/bigmem", "--memory", "64MiB"},
		want: "more memory than its limit",
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := s.wisp(t, append([]string{"deploy"}, c.args...)...)
			if res.Code != 1 || !strings.Contains(res.Stderr, c.want) {
				t.Errorf("wisp deploy %s: exit %d, stderr %q; want exit 1 with %q", strings.Join(c.args, " "), res.Code, res.Stderr, c.want)
			}
			if res := s.wisp(t, "app", c.args[2]); res.Code == 0 {
				t.Errorf("the refused app was stored:\n%s", res.Stdout)
			}
			s.healthy(t)
		})
	}
}
