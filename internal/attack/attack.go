// Package attack holds the memory attacks that tests/hostile asserts
// against and bench/memflood measures, so both run the same clients: a
// flood of request bodies that never end, a flood of responses nobody
// reads, and a flood of requests to an app that uses all its memory.
// Each attack runs until its context ends, sends traffic only to the URL
// it is given (loopback in every caller), and reports what its clients
// saw. Peak watches a process's resident memory meanwhile.
package attack

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wisphq/wisp/internal/testnode"
)

// Result is what an attack's clients saw.
type Result struct {
	mu       sync.Mutex
	statuses map[int]int             // answers by status
	latency  map[int][]time.Duration // time to each answer's status line, by status
	errors   int                     // connections that failed before an answer
	firstErr string
}

func newResult() *Result {
	return &Result{statuses: map[int]int{}, latency: map[int][]time.Duration{}}
}

func (r *Result) answer(status int, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statuses[status]++
	r.latency[status] = append(r.latency[status], d)
}

func (r *Result) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.errors == 0 {
		r.firstErr = err.Error()
	}
	r.errors++
}

// Count is how many answers had the status.
func (r *Result) Count(status int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.statuses[status]
}

// Latencies returns the times to the answers with the status.
func (r *Result) Latencies(status int) []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.latency[status])
}

// Errors is how many connections failed before an answer, and the first
// such failure.
func (r *Result) Errors() (int, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.errors, r.firstErr
}

// String summarizes the answers, like "503 x120, 200 x4, 2 errors".
func (r *Result) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var parts []string
	codes := make([]int, 0, len(r.statuses))
	for c := range r.statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d x%d", c, r.statuses[c]))
	}
	if r.errors > 0 {
		parts = append(parts, fmt.Sprintf("%d errors (first: %s)", r.errors, r.firstErr))
	}
	if len(parts) == 0 {
		return "no answers"
	}
	return strings.Join(parts, ", ")
}

// Bodies opens clients connections to target (an http:// URL) that each
// POST a chunked body: bodyBytes in 64 KiB chunks as fast as the node
// takes them, then nothing more, holding back the last chunk until ctx
// ends. It records each answer that comes meanwhile (a node that reads
// bodies whole before admission answers none and holds them all).
// It returns when ctx ends and every connection is closed.
func Bodies(ctx context.Context, target string, clients int, bodyBytes int64) *Result {
	res := newResult()
	chunk := fmt.Sprintf("%x\r\n%s\r\n", 64<<10, strings.Repeat("b", 64<<10))
	connections(ctx, target, clients, res, func(conn net.Conn, u *url.URL, start time.Time) {
		head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\nContent-Type: application/octet-stream\r\n\r\n", u.RequestURI(), u.Host)
		answered := make(chan struct{})
		go func() { // the answer may come while the body is still going out
			defer close(answered)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				if ctx.Err() == nil {
					res.fail(err)
				}
				return
			}
			res.answer(resp.StatusCode, time.Since(start))
			io.Copy(io.Discard, resp.Body)
		}()
		if _, err := io.WriteString(conn, head); err != nil {
			return
		}
		// Once the node stops reading (a write stalls for 100 ms), nothing
		// more is sent: a chunk cut short just stays unfinished.
		for sent := int64(0); sent < bodyBytes && ctx.Err() == nil; sent += 64 << 10 {
			conn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			if _, err := io.WriteString(conn, chunk); err != nil {
				break
			}
		}
		select { // hold the connection, the last chunk never sent
		case <-answered:
		case <-ctx.Done():
		}
	})
	return res
}

// Readers opens clients connections to target that each GET it and then
// read nothing until ctx ends, so the response can only go as far as the
// socket buffers. It records the answers whose status line arrived.
func Readers(ctx context.Context, target string, clients int) *Result {
	res := newResult()
	connections(ctx, target, clients, res, func(conn net.Conn, u *url.URL, start time.Time) {
		req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", u.RequestURI(), u.Host)
		if _, err := io.WriteString(conn, req); err != nil {
			res.fail(err)
			return
		}
		// Read just the status line, then nothing.
		br := bufio.NewReaderSize(conn, 64)
		go func() {
			line, err := br.ReadString('\n')
			var status int
			if _, serr := fmt.Sscanf(line, "HTTP/1.1 %d", &status); err == nil && serr == nil {
				res.answer(status, time.Since(start))
			}
		}()
		<-ctx.Done()
	})
	return res
}

// Requests runs clients keep-alive clients that GET target as fast as it
// answers, until ctx ends, and records every answer.
func Requests(ctx context.Context, target string, clients int) *Result {
	res := newResult()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: time.Minute}
	defer client.CloseIdleConnections()
	run(ctx, clients, func() {
		for ctx.Err() == nil {
			start := time.Now()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
			resp, err := client.Do(req)
			if err != nil {
				if ctx.Err() == nil {
					res.fail(err)
				}
				continue
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			res.answer(resp.StatusCode, time.Since(start))
		}
	})
	return res
}

// connections runs clients copies of client, each on its own connection
// to target's host, and waits for them; failures to connect go to res.
func connections(ctx context.Context, target string, clients int, res *Result, client func(conn net.Conn, u *url.URL, start time.Time)) {
	u, err := url.Parse(target)
	if err != nil {
		res.fail(err)
		return
	}
	run(ctx, clients, func() {
		start := time.Now()
		conn, err := dial(ctx, u.Host)
		if err != nil {
			res.fail(err)
			return
		}
		defer conn.Close()
		client(conn, u, start)
	})
}

// run runs clients copies of client and waits for them.
func run(ctx context.Context, clients int, client func()) {
	var wg sync.WaitGroup
	for range clients {
		wg.Go(client)
	}
	wg.Wait()
}

func dial(ctx context.Context, host string) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	return d.DialContext(ctx, "tcp", host)
}

// Peak samples the resident memory of process pid every interval until
// ctx ends, and returns the largest seen (bytes).
func Peak(ctx context.Context, pid int, interval time.Duration) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var peak int64
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if u, err := testnode.ReadUsage(pid); err == nil {
				peak = max(peak, u.RSS)
			}
			select {
			case <-ctx.Done():
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}
