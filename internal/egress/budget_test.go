package egress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestBudgetCountsRequestsAndRedirects(t *testing.T) {
	up := startUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/", http.StatusFound)
			return
		}
		io.WriteString(w, "ok")
	}))
	patterns := []string{"http://127.0.0.1:*"}
	cases := []struct {
		name     string
		budget   int
		paths    []string
		failAt   int // index of the request that fails with ErrLimit; -1: none
		wantHits int64
	}{
		{"within the budget", 2, []string{"/", "/"}, -1, 2},
		{"one over", 2, []string{"/", "/", "/"}, 2, 2},
		{"a redirect is a request", 1, []string{"/redirect"}, 0, 1},
		{"redirect within the budget", 2, []string{"/redirect"}, -1, 2},
		{"zero allows nothing", 0, []string{"/"}, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			b := NewBudget(c.budget, 1<<20)
			before := up.hits.Load()
			for i, path := range c.paths {
				_, _, err := e.do(testCtx(t), patterns, b, "GET", up.url(path), nil, nil)
				if i == c.failAt {
					checkErr(t, err, ErrLimit, fmt.Sprintf("over limits.outbound_requests (%d)", c.budget), "make fewer requests or raise the limit")
					break
				}
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
			}
			if n := up.hits.Load() - before; n != c.wantHits {
				t.Errorf("upstream served %d requests, want %d", n, c.wantHits)
			}
		})
	}
}

// A denied pattern costs nothing; a request that passes the patterns counts
// even if its address is then refused (its host was looked up).
func TestBudgetCountsLookupsNotPatternDenials(t *testing.T) {
	e := newEnv(t, Options{})
	b := NewBudget(10, 1<<20)
	_, _, err := e.do(testCtx(t), []string{"https://api.example.com"}, b, "GET", "http://private.test/", nil, nil)
	checkErr(t, err, ErrDenied, "is not allowed")
	if n, _ := b.Used(); n != 0 {
		t.Errorf("a request the patterns refused used %d of the budget", n)
	}
	_, _, err = e.do(testCtx(t), []string{"http://*.test"}, b, "GET", "http://private.test/", nil, nil)
	checkErr(t, err, ErrDenied, "a private address")
	if n, _ := b.Used(); n != 1 {
		t.Errorf("a request refused after its lookup used %d of the budget, want 1", n)
	}
}

func TestBudgetCountsBodyBytes(t *testing.T) {
	big := strings.Repeat("x", 1000)
	up := startUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		switch r.URL.Path {
		case "/big":
			io.WriteString(w, big)
		case "/redirect307":
			http.Redirect(w, r, "/small", http.StatusTemporaryRedirect)
		default:
			io.WriteString(w, "0123456789")
		}
	}))
	patterns := []string{"http://127.0.0.1:*"}
	cases := []struct {
		name     string
		budget   int64
		path     string
		body     string
		kind     error // nil: success
		want     string
		readOK   int   // bytes the guest gets before the error
		used     int64 // bytes used at the end
		wantHits int64
	}{
		{"response within", 1000, "/big", "", nil, "", 1000, 1000, 1},
		{"response one over", 999, "/big", "", ErrLimit, "the body goes past limits.outbound_bytes (999 bytes", 999, 999, 1},
		{"response far over", 500, "/big", "", ErrLimit, "reading the response of POST http://127.0.0.1", 500, 500, 1},
		{"request body over, refused before sending", 500, "/small", strings.Repeat("y", 600), ErrLimit, "the request body is more than the 500 bytes left", 0, 0, 0},
		{"request and response share the budget", 15, "/small", "abcdefgh", ErrLimit, "goes past", 7, 15, 1},
		{"307 sends the body again", 15, "/redirect307", "abcdefgh", ErrLimit, "its 8-byte body is more than the 7 bytes left", 0, 8, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			b := NewBudget(10, c.budget)
			before, acceptsBefore := up.hits.Load(), up.accepts.Load()
			p, _ := Parse(patterns)
			var body []byte
			if c.body != "" {
				body = []byte(c.body)
			}
			req, _ := NewRequest("POST", up.url(c.path), body)
			resp, err := e.client.Do(testCtx(t), p, b, req)
			var got []byte
			if err == nil {
				got, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					// The read stays failed.
					if n, again := resp.Body.Read(make([]byte, 10)); n != 0 || !errors.Is(again, ErrLimit) {
						t.Errorf("read after the limit: %d, %v", n, again)
					}
				}
			}
			if c.kind == nil {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				checkErr(t, err, c.kind, c.want)
			}
			if len(got) != c.readOK {
				t.Errorf("the guest read %d bytes, want %d", len(got), c.readOK)
			}
			if _, used := b.Used(); used != c.used {
				t.Errorf("budget used %d bytes, want %d", used, c.used)
			}
			if n := up.hits.Load() - before; n != c.wantHits {
				t.Errorf("upstream served %d requests, want %d", n, c.wantHits)
			}
			if c.wantHits == 0 && up.accepts.Load() != acceptsBefore {
				t.Error("a connection was made for a request refused by its size")
			}
		})
	}
}

func TestTimeIsBoundedByTheContext(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	up := startUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow-body" {
			io.WriteString(w, "first part")
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	cases := []struct {
		name string
		path string
	}{
		{"no answer", "/slow-headers"},
		{"body stalls", "/slow-body"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, body, err := e.do(ctx, []string{"http://127.0.0.1:*"}, nil, "GET", up.url(c.path), nil, nil)
			checkErr(t, err, ErrTimeout, "no answer within the invocation's time (limits.timeout)")
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %v after a 200ms deadline", took)
			}
			if c.path == "/slow-body" && body != "first part" {
				t.Errorf("read %q before the timeout, want the first part", body)
			}
		})
	}
}

func TestNilBudgetSetsNoLimit(t *testing.T) {
	var b *Budget
	if err := b.takeRequest("x", 1<<40); err != nil {
		t.Fatal(err)
	}
	if n := b.takeBytes(1 << 40); n != 1<<40 {
		t.Fatalf("takeBytes = %d", n)
	}
	if r, n := b.Used(); r != 0 || n != 0 {
		t.Fatalf("Used = %d, %d", r, n)
	}
}
