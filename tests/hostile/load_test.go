package hostile

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testFDExhaustion runs fdbomb, which opens a bundled file without ever
// closing it. The bundle is in memory, so host descriptors must not grow
// at all, and the guest must hit a per-instance cap and answer (rather than
// grow the host's memory until its timeout).
func testFDExhaustion(t *testing.T, s *suite) {
	const maxOpens = 4096 // a generous bound on any cap
	s.deploy(t, hostileGuest("fdbomb"))
	// Measured from just before the request, not from the suite's
	// baseline: what earlier cases left open (their apps, connections
	// kept alive) is not fdbomb's (the full suite once saw 16 descriptors
	// at fdbomb's peak against a baseline of 13, 13 when run alone).
	before, err := s.n.Usage()
	if err != nil {
		t.Fatal(err)
	}
	p := s.startProbe(1, probeInterval)
	r := s.do(t, "GET", "/fdbomb", nil)
	peak := p.check(t, "fdbomb")
	t.Logf("fdbomb: %d %q after %s; node peak %s (before %s, baseline %s)", r.status, strings.TrimSpace(r.body), r.elapsed.Round(time.Millisecond), peak, before, s.base)
	if peak.FDs > before.FDs+2 {
		t.Errorf("host descriptors grew to %d during fdbomb (%d before it): guest opens of a bundled file must not use host descriptors", peak.FDs, before.FDs)
	}
	s.healthy(t)
	m := regexp.MustCompile(`^opened (\d+) files, then errno \d+`).FindStringSubmatch(r.body)
	switch {
	case r.status == 200 && m != nil:
		if n, _ := strconv.Atoi(m[1]); n > maxOpens {
			t.Errorf("fdbomb held %d files open at once; want a cap of at most %d", n, maxOpens)
		}
	case r.status == 504:
		opened := "an unknown number of"
		if m := regexp.MustCompile(`opened (\d+) files, last fd`).FindAllStringSubmatch(s.logs(t, "fdbomb", 1000), -1); m != nil {
			opened = "over " + m[len(m)-1][1]
		}
		knownGap(t, "no cap on a guest's open descriptors: fdbomb opened %s files and never saw an error until its 2s timeout; each costs host memory outside limits.memory (node peak %s, baseline %s)", opened, peak, s.base)
	default:
		t.Errorf("GET /fdbomb = %d %q; want 200 \"opened N files, then errno E (...)\"", r.status, r.body)
	}
}

// testLoopUnderGC runs endless loops, more than the machine has cores,
// while other clients upload chunked bodies the gateway must buffer (so
// the Go heap churns and the collector has to stop the world) and the
// control app is asked back to back. The loops must all end at their
// timeout and the control app must keep answering.
func testLoopUnderGC(t *testing.T, s *suite) {
	const (
		loops   = 16
		timeout = 2 * time.Second
		upload  = 4 << 20
	)
	s.deploy(t, fixture("loop.wasm"), "--name", "spin", "--route", "/spin", "--timeout", timeout.String())

	stop := make(chan struct{})
	var uploads atomic.Int64
	var uploadErr atomic.Value
	var churn sync.WaitGroup
	for range 2 {
		churn.Add(1)
		go func() {
			defer churn.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				// An io.Reader of unknown length is sent chunked: the
				// gateway reads it all into memory before running the app.
				r, err := s.try("POST", controlRoute, io.LimitReader(zeros{}, upload))
				if err == nil && r.status != 200 {
					err = fmt.Errorf("chunked POST %s = %d %q", controlRoute, r.status, r.body)
				}
				if err != nil {
					uploadErr.CompareAndSwap(nil, err)
					return
				}
				uploads.Add(1)
			}
		}()
	}
	p := s.startProbe(2, 0)

	results := make([]response, loops)
	errs := make([]error, loops)
	var wg sync.WaitGroup
	for i := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = s.try("GET", "/spin", nil)
		}()
	}
	wg.Wait()
	close(stop)
	churn.Wait()
	p.check(t, fmt.Sprintf("%d endless loops and chunked uploads", loops))

	t.Logf("%d chunked %dMiB uploads to the control app meanwhile", uploads.Load(), upload>>20)
	if err, _ := uploadErr.Load().(error); err != nil {
		t.Errorf("upload to the control app failed during the loops: %v", err)
	}
	var slowest time.Duration
	for i, r := range results {
		if errs[i] != nil {
			t.Errorf("loop %d: %v", i, errs[i])
			continue
		}
		slowest = max(slowest, r.elapsed)
		if r.status != 504 {
			t.Errorf("loop %d: GET /spin = %d %q, want 504", i, r.status, r.body)
		}
	}
	t.Logf("the %d loops were answered 504 after at most %s (timeout %s)", loops, slowest.Round(time.Millisecond), timeout)
	s.healthy(t)
}

// testRecursionBurst overflows the call stack in several instances at
// once. Guest call stacks are host memory outside limits.memory (wazero
// lets one grow to about 100 MB before it reports a stack overflow), so
// this measures what a burst costs and checks that it is given back.
func testRecursionBurst(t *testing.T, s *suite) {
	const burst = 4
	before, err := s.n.Usage()
	if err != nil {
		t.Fatal(err)
	}
	p := s.startProbe(1, probeInterval)
	var wg sync.WaitGroup
	results := make([]response, burst)
	errs := make([]error, burst)
	for i := range burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = s.try("GET", "/recursion", nil)
		}()
	}
	wg.Wait()
	peak := p.check(t, fmt.Sprintf("%d concurrent stack overflows", burst))
	for i, r := range results {
		if errs[i] != nil {
			t.Errorf("recursion %d: %v", i, errs[i])
		} else if r.status != 500 {
			t.Errorf("recursion %d: GET /recursion = %d %q, want 500", i, r.status, r.body)
		}
	}
	grew := peak.RSS - before.RSS
	t.Logf("%d concurrent stack overflows: node RSS %s before, peak %s: %.0f MiB more, %.0f MiB per instance",
		burst, mib(before.RSS), mib(peak.RSS), float64(grew)/(1<<20), float64(grew)/burst/(1<<20))

	s.alive(t)
	if u, err := s.settle(); err != nil {
		knownGap(t, "guest call stacks are host memory outside limits.memory and the node does not give it back: %d stack overflows took RSS from %s to %s, and it stays there (the Go heap keeps the freed stacks until its next collection): %v",
			burst, mib(before.RSS), mib(peak.RSS), err)
	} else {
		t.Logf("usage after settling: %s", u)
	}
}

func mib(n int64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + "MiB" }

// testRestartKeepsEverything restarts the node on the same data directory
// after all the attacks: every app must be back and serving.
func testRestartKeepsEverything(t *testing.T, s *suite) {
	s.n.Kill()
	s.start(t)
	s.allListed(t)
	if err := s.controlAnswers(); err != nil {
		t.Error(err)
	}
	if body := s.escape(t, "read=/static/file.txt"); !strings.Contains(body, bundledFile) {
		t.Errorf("after a restart, fsescape's bundled file reads %q", body)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(s.n.Admin + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Contains(string(body), "failed") {
		t.Errorf("after a restart, /readyz = %d %s; want 200 with no failed apps", resp.StatusCode, body)
	}
}
