package egress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/dnstest"
)

// upstream is an HTTP server on 127.0.0.1 that counts the connections it
// accepts and the requests it serves.
type upstream struct {
	port    int
	accepts atomic.Int64
	hits    atomic.Int64
}

type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

func startUpstream(t *testing.T, h http.Handler) *upstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &upstream{port: ln.Addr().(*net.TCPAddr).Port}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u.hits.Add(1)
			h.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go srv.Serve(countingListener{ln, &u.accepts})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		srv.Close()
	})
	return u
}

// url returns "http://127.0.0.1:<port>" + path.
func (u *upstream) url(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", u.port, path)
}

// dnsRecords are the names the test resolver answers; every address is
// one the checks must refuse, except those on loopback, which the tests
// use with AllowPrivate.
var dnsRecords = map[string][]string{
	"loop.test":       {"127.0.0.1"},
	"localhost":       {"127.0.0.1"},
	"private.test":    {"10.0.0.5"},
	"private172.test": {"172.16.0.1"},
	"cgnat.test":      {"100.64.0.1"},
	"linklocal.test":  {"169.254.1.1"},
	"metadata.test":   {"169.254.169.254"},
	"ecs.test":        {"169.254.170.2"},
	"alibaba.test":    {"100.100.100.200"},
	"metadata6.test":  {"fd00:ec2::254"},
	"ula.test":        {"fd12:3456::1"},
	"loop6.test":      {"::1"},
	"zero.test":       {"0.0.0.0"},
	"mapped.test":     {"::ffff:127.0.0.1"},
	"mappedmeta.test": {"::ffff:169.254.169.254"},
	"compat.test":     {"::7f00:1"},
	"nat64.test":      {"64:ff9b::a00:5"},
	"sixtofour.test":  {"2002:7f00:1::1"},
	"teredo.test":     {"2001:0:4136:e378:8000:63bf:80ff:fffe"},
	"mixed.test":      {"93.184.216.34", "10.0.0.5"},
	"multicast.test":  {"224.0.0.1"},
	"example.com":     {"127.0.0.1"},
}

// env is one test's client, resolver and record of dials.
type env struct {
	client *Client
	dns    *dnstest.Server
	dials  atomic.Int64
}

// newEnv returns a client resolving through a dnstest server that answers
// dnsRecords. Its dialler refuses any address off loopback (so a bug can
// never send a test's traffic elsewhere) and counts every dial.
func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	records := map[string][]netip.Addr{}
	for name, addrs := range dnsRecords {
		for _, a := range addrs {
			records[name] = append(records[name], netip.MustParseAddr(a))
		}
	}
	dns, err := dnstest.Start(records)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dns.Close() })
	opts.Resolver = dns.Resolver()
	e := &env{dns: dns, client: New(opts)}
	e.client.beforeDial = func(ap netip.AddrPort) error {
		e.dials.Add(1)
		if !ap.Addr().IsLoopback() {
			return fmt.Errorf("test refuses to dial %s, off loopback", ap)
		}
		return nil
	}
	t.Cleanup(e.client.Close)
	return e
}

// do sends method rawURL with body and header under patterns and budget and returns
// the status and body read.
func (e *env) do(ctx context.Context, patterns []string, b *Budget, method, rawURL string, body []byte, header http.Header) (int, string, error) {
	p, err := Parse(patterns)
	if err != nil {
		return 0, "", err
	}
	req, err := NewRequest(method, rawURL, body)
	if err != nil {
		return 0, "", err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := e.client.Do(ctx, p, b, req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), err
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// checkErr fails unless err is of kind and its message starts with the
// kind's word and holds every want.
func checkErr(t *testing.T, err, kind error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", kind)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("error %q is not %v", err, kind)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, kind.Error()+": ") {
		t.Errorf("message %q does not start with %q", msg, kind.Error()+": ")
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q lacks %q", msg, w)
		}
	}
}
