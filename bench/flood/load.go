package main

import (
	"github.com/wisphq/wisp/bench/internal/testbed"

	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// phase is what the healthy app's clients saw in one phase.
type phase struct {
	Latencies []time.Duration // of the requests answered 200 with the right body
	Errors    int             // transport errors, other statuses and wrong bodies
	FirstErr  string          // the first of them, for the report
	Elapsed   time.Duration
}

// measureHealthy sends requests GETs to url from concurrency keep-alive
// clients, each sending its next request when the last is answered, and
// returns their latencies. A request counts as an error unless it is
// answered 200 with body want.
func measureHealthy(ctx context.Context, url, want string, requests, concurrency int) phase {
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: concurrency},
		Timeout:   30 * time.Second,
	}
	defer client.CloseIdleConnections()
	var (
		next atomic.Int64
		mu   sync.Mutex
		p    phase
		wg   sync.WaitGroup
	)
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			for next.Add(1) <= int64(requests) && ctx.Err() == nil {
				t0 := time.Now()
				status, body, err := testbed.Get(ctx, client, url)
				d := time.Since(t0)
				mu.Lock()
				switch {
				case err != nil:
					p.fail(err.Error())
				case status != http.StatusOK || body != want:
					p.fail(fmt.Sprintf("%d %q", status, body))
				default:
					p.Latencies = append(p.Latencies, d)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	p.Elapsed = time.Since(start)
	return p
}

func (p *phase) fail(what string) {
	if p.Errors == 0 {
		p.FirstErr = what
	}
	p.Errors++
}

// flood is what the clients of the looping app saw.
type flood struct {
	mu       sync.Mutex
	Statuses map[int]int   // answers by status code
	Errors   int           // transport errors, timeouts included
	FirstErr string        // the first of them
	Slowest  time.Duration // the longest any request took to be answered
}

// count returns how many answers had status code.
func (f *flood) count(code int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.Statuses[code]
}

// others returns how many answers had a status other than the given ones.
func (f *flood) others(codes ...int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for code, c := range f.Statuses {
		n += c
		for _, want := range codes {
			if code == want {
				n -= c
			}
		}
	}
	return n
}

// startFlood starts conns keep-alive clients that request url in a loop
// until ctx ends, and returns what they see and a function that waits for
// them to stop. A request not answered within patience counts as an error:
// it means the app hung past its limits.
func startFlood(ctx context.Context, url string, conns int, patience time.Duration) (*flood, func()) {
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns},
		Timeout:   patience,
	}
	f := &flood{Statuses: map[int]int{}}
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			for ctx.Err() == nil {
				t0 := time.Now()
				status, _, err := testbed.Get(ctx, client, url)
				d := time.Since(t0)
				if ctx.Err() != nil {
					return // stopped mid-request: not an answer
				}
				f.mu.Lock()
				if err != nil {
					if f.Errors == 0 {
						f.FirstErr = err.Error()
					}
					f.Errors++
				} else {
					f.Statuses[status]++
				}
				f.Slowest = max(f.Slowest, d)
				f.mu.Unlock()
			}
		})
	}
	return f, func() {
		wg.Wait()
		client.CloseIdleConnections()
	}
}

// waitSaturated waits until the flood has had at least one 504 (instances
// ran into their timeout, so the app's slots were full for a whole
// timeout) and, if full is set, one 503 (its queue was full too: expect
// it when the flood has more clients than slots and queue places).
func waitSaturated(ctx context.Context, f *flood, full bool, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for f.count(http.StatusGatewayTimeout) == 0 || full && f.count(http.StatusServiceUnavailable) == 0 {
		if time.Now().After(deadline) {
			f.mu.Lock()
			defer f.mu.Unlock()
			return fmt.Errorf("the flood did not saturate the looping app within %s: statuses %v, %d transport errors (first: %s)", limit, f.Statuses, f.Errors, f.FirstErr)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// probes counts answers of a health endpoint polled during the flood.
type probes struct {
	Checks   int
	Failures int    // transport errors and statuses other than 200
	FirstErr string // the first failure
}

// pollHealth GETs url every interval until ctx ends, and returns the
// results once it has stopped.
func pollHealth(ctx context.Context, url string, interval time.Duration) <-chan probes {
	out := make(chan probes, 1)
	go func() {
		client := &http.Client{Timeout: 10 * time.Second}
		defer client.CloseIdleConnections()
		var p probes
		for {
			select {
			case <-ctx.Done():
				out <- p
				return
			case <-time.After(interval):
			}
			status, _, err := testbed.Get(ctx, client, url)
			if ctx.Err() != nil {
				continue // stopped mid-request: not an answer
			}
			p.Checks++
			if err != nil || status != http.StatusOK {
				if p.Failures == 0 {
					p.FirstErr = fmt.Sprintf("status %d, error %v", status, err)
				}
				p.Failures++
			}
		}
	}()
	return out
}
