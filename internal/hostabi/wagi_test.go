package hostabi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/dnstest"
	"github.com/wisphq/wisp/internal/egress"
	"github.com/wisphq/wisp/internal/engine"
)

// egressServices sends outbound requests through a real egress.Client, as
// the node does; the other services are absent.
type egressServices struct {
	client *egress.Client
	policy *egress.Policy
	budget *egress.Budget
	logs   []string
}

var errNoStore = errors.New("no stores in this test")

func (s *egressServices) MaxValue() int64 { return 1 << 20 }
func (s *egressServices) OutboundRoom() int64 {
	_, used := s.budget.Used()
	return 1<<20 - used
}

func (s *egressServices) OpenKV(ctx context.Context, name string) (Bucket, error) {
	return nil, errNoStore
}
func (s *egressServices) Variable(ctx context.Context, name string) (string, error) {
	return "", errNoStore
}
func (s *egressServices) Log(ctx context.Context, level Level, c, msg string, fields []string) error {
	s.logs = append(s.logs, fmt.Sprintf("%s %s: %s", level, c, msg))
	return nil
}
func (s *egressServices) Send(ctx context.Context, req *http.Request) (*http.Response, error) {
	return s.client.Do(ctx, s.policy, s.budget, req)
}
func (s *egressServices) Classify(err error) Status {
	for _, k := range []struct {
		err error
		st  Status
	}{
		{egress.ErrDenied, Denied}, {egress.ErrInvalid, Invalid}, {egress.ErrLimit, Limit},
		{egress.ErrTimeout, Timeout}, {egress.ErrUnavailable, Unavailable},
	} {
		if errors.Is(err, k.err) {
			return k.st
		}
	}
	return Unavailable
}

// wagiEngine returns an engine offering the guest ABI and
// wasi_experimental_http, and the compiled fixture.
func wagiEngine(t *testing.T) *engine.Prepared {
	t.Helper()
	modules := Modules()
	has := false
	for _, m := range modules {
		has = has || m.Name == "wasi_experimental_http"
	}
	if !has {
		modules = append(modules, wagiModule())
	}
	e, err := engine.New(engine.Config{HostModules: modules})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Cleanup(func() { e.Close(ctx) })
	wasm, err := os.ReadFile("../../testdata/wasm/wagi-http.wasm")
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.Compile(ctx, wasm, 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(ctx) })
	p, err := m.Prepare(ctx, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(ctx) })
	return p
}

// runWAGI runs the fixture on urls with call as its host state and
// returns what it wrote after its CGI header.
func runWAGI(t *testing.T, p *engine.Prepared, call *Call, urls ...string) string {
	t.Helper()
	var out bytes.Buffer
	var host any
	if call != nil {
		host = call
		defer call.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Run(ctx, engine.Call{Args: append([]string{"wagi-http"}, urls...), Stdout: &out, Host: host}); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	return strings.TrimPrefix(out.String(), "Content-Type: text/plain\n\n")
}

func TestWAGIModuleFetchesThroughEgress(t *testing.T) {
	var hits atomic.Int64
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/x-up")
		w.Header().Set("X-Upstream", "yes")
		fmt.Fprintf(w, "%s %s %s %s", r.Method, body, r.Header.Get("X-Test"), r.Header.Get("Content-Type"))
	}))
	defer upstream.Close()
	dns, err := dnstest.Start(map[string][]netip.Addr{"private.test": {netip.MustParseAddr("10.0.0.5")}})
	if err != nil {
		t.Fatal(err)
	}
	defer dns.Close()
	client := egress.New(egress.Options{Resolver: dns.Resolver()})
	defer client.Close()
	p := wagiEngine(t)
	up := upstream.URL + "/x"
	fetched := func(url string) string {
		return "req " + url + ": status 200\ncontent-type text/x-up\nmissing 5\nsmall 4\nheaders\n" +
			"content-length:25\ncontent-type:text/x-up\ndate:DATE\nx-upstream:yes\n" +
			"body POST ping wagi text/plain\nclose 0\nread-closed 1\n"
	}
	date := regexp.MustCompile(`date:[^\n]*`)

	cases := []struct {
		name     string
		patterns []string
		requests int
		bytes    int64
		urls     []string
		want     string
		hits     int64
		log      string // a substring of the reason kept as the last error, if any
	}{
		{"fetches from the loopback upstream", []string{"http://127.0.0.1:*"}, 10, 1 << 20, []string{up}, fetched(up), 1, ""},
		{"a host not allowed: destination_not_allowed", []string{"http://127.0.0.1:1"}, 10, 1 << 20, []string{up},
			"req " + up + ": error 7\n", 0, "denied: POST " + up + " is not allowed by allowed_outbound_hosts"},
		{"loopback not named: destination_not_allowed", []string{"http://*:*"}, 10, 1 << 20, []string{up},
			"req " + up + ": error 7\n", 0, "a loopback address; name the address in allowed_outbound_hosts"},
		{"a name resolving to a private address", []string{"http://*.test"}, 10, 1 << 20, []string{"http://private.test/"},
			"req http://private.test/: error 7\n", 0, "private.test resolves to 10.0.0.5, a private address"},
		{"a disguised address: invalid_url", []string{"*://*:*"}, 10, 1 << 20, []string{strings.Replace(up, "127.0.0.1", "0x7f.1", 1)},
			"req " + strings.Replace(up, "127.0.0.1", "0x7f.1", 1) + ": error 10\n", 0, "127.0.0.1 in a non-standard form"},
		{"not a URL: invalid_url", []string{"*://*:*"}, 10, 1 << 20, []string{"http://[::1"},
			"req http://[::1: error 10\n", 0, ""},
		{"past the request budget: request_error", []string{"http://127.0.0.1:*"}, 1, 1 << 20, []string{up, up},
			fetched(up) + "req " + up + ": error 11\n", 1, "over limits.outbound_requests (1)"},
		{"past the byte budget while reading: request_error", []string{"http://127.0.0.1:*"}, 10, 14, []string{up},
			strings.Replace(fetched(up), "body POST ping wagi text/plain", "body POST ping  error 11", 1), 1, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			policy, err := egress.Parse(c.patterns)
			if err != nil {
				t.Fatal(err)
			}
			svc := &egressServices{client: client, policy: policy, budget: egress.NewBudget(c.requests, c.bytes)}
			before := hits.Load()
			call := NewCall(svc)
			got := date.ReplaceAllString(runWAGI(t, p, call, c.urls...), "date:DATE")
			if got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
			if n := hits.Load() - before; n != c.hits {
				t.Errorf("upstream served %d requests, want %d", n, c.hits)
			}
			// A WAGI module sees only a number: the reason is the
			// call's last error (the node's session also logs it).
			if c.log != "" && !strings.Contains(call.lastErr, c.log) {
				t.Errorf("last error %q, want it to hold %q", call.lastErr, c.log)
			}
		})
	}

	t.Run("too many open responses: too_many_sessions", func(t *testing.T) {
		policy, _ := egress.Parse([]string{"http://127.0.0.1:*"})
		call := NewCall(&egressServices{client: client, policy: policy, budget: egress.NewBudget(10, 1<<20)})
		call.wagi = map[uint32]*http.Response{}
		for i := range uint32(maxResponses) {
			call.wagi[i] = &http.Response{Body: io.NopCloser(strings.NewReader(""))}
		}
		if got, want := runWAGI(t, p, call, up), "req "+up+": error 13\n"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("without services: runtime_error", func(t *testing.T) {
		if got, want := runWAGI(t, p, nil, up), "req "+up+": error 12\n"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

func TestWAGIModuleDeclaresBothHeaderListNames(t *testing.T) {
	names := map[string]int{}
	for _, f := range wagiModule().Funcs {
		names[f.Name] = len(f.Params)
	}
	want := map[string]int{"req": 10, "close": 1, "header_get": 6, "headers_get_all": 4, "header_get_all": 4, "body_read": 4}
	for name, n := range want {
		if names[name] != n {
			t.Errorf("%s has %d parameters, want %d", name, names[name], n)
		}
	}
	if len(names) != len(want) {
		t.Errorf("functions %v, want %v", names, want)
	}
}
