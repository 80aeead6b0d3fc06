package hostile

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/testnode"
)

// probe asks the control app again and again while an attack runs, to
// show whether a misbehaving app slows down or breaks its neighbours.
type probe struct {
	stop chan struct{}
	done chan struct{}

	mu       sync.Mutex
	requests int
	slowest  time.Duration
	failures []string       // at most maxProbeFailures
	peak     testnode.Usage // highest RSS and fd count sampled
}

const (
	probeInterval    = 50 * time.Millisecond
	maxProbeFailures = 5
)

// startProbe starts probing the control app with workers goroutines, each
// sending a request every interval (0: back to back), and sampling the
// node's usage every probeInterval.
func (s *suite) startProbe(workers int, interval time.Duration) *probe {
	p := &probe{stop: make(chan struct{}), done: make(chan struct{})}
	client := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(probeInterval)
		defer tick.Stop()
		for {
			if u, err := s.n.Usage(); err == nil {
				p.mu.Lock()
				p.peak.RSS, p.peak.FDs = max(p.peak.RSS, u.RSS), max(p.peak.FDs, u.FDs)
				p.mu.Unlock()
			}
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-p.stop:
					return
				default:
				}
				p.record(s.probeOnce(client))
				if interval > 0 {
					select {
					case <-p.stop:
						return
					case <-time.After(interval):
					}
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		client.CloseIdleConnections() // no descriptors left behind in the node
		close(p.done)
	}()
	return p
}

// probeOnce sends one control request and returns its latency, or what
// went wrong.
func (s *suite) probeOnce(client *http.Client) (time.Duration, error) {
	start := time.Now()
	resp, err := client.Get(s.n.Gateway + controlRoute)
	if err != nil {
		return time.Since(start), err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil || resp.StatusCode != 200 || string(body) != controlBody {
		return elapsed, fmt.Errorf("GET %s = %d %q (%v)", controlRoute, resp.StatusCode, body, err)
	}
	return elapsed, nil
}

func (p *probe) record(d time.Duration, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests++
	p.slowest = max(p.slowest, d)
	if err == nil && d > controlLatency {
		err = fmt.Errorf("answered after %s", d.Round(time.Millisecond))
	}
	if err != nil && len(p.failures) < maxProbeFailures {
		p.failures = append(p.failures, err.Error())
	}
}

// check stops the probe and fails t if any control request failed or
// took longer than controlLatency. It returns the peak usage sampled.
func (p *probe) check(t *testing.T, during string) testnode.Usage {
	t.Helper()
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	t.Logf("control app during %s: %d requests, slowest %s; node peak %s", during, p.requests, p.slowest.Round(time.Millisecond), p.peak)
	if len(p.failures) > 0 {
		t.Errorf("control app during %s: %d requests, slowest %s; failures (first %d):\n  %s",
			during, p.requests, p.slowest.Round(time.Millisecond), maxProbeFailures, strings.Join(p.failures, "\n  "))
	}
	return p.peak
}
