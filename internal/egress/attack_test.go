package egress

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
)

// The egress attacks of issue 11: each is refused before any connection is
// made (the upstream on loopback accepts nothing, the client dials
// nothing), with the error the guest sees.

func TestAttacksThroughDNSAreRefusedBeforeConnecting(t *testing.T) {
	up := startUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secret") }))
	cases := []struct {
		name         string
		host         string
		allowPrivate bool
		want         []string
	}{
		{"name to loopback", "loop.test", false, []string{"loop.test resolves to 127.0.0.1, a loopback address", "a host name never reaches such addresses", fmt.Sprintf(`"http://127.0.0.1:%d"`, up.port), "--allow-private-egress"}},
		{"name to IPv6 loopback", "loop6.test", false, []string{"resolves to ::1, a loopback address", fmt.Sprintf(`"http://[::1]:%d"`, up.port)}},
		{"name to 10/8", "private.test", false, []string{"private.test resolves to 10.0.0.5, a private address"}},
		{"name to 172.16/12", "private172.test", false, []string{"resolves to 172.16.0.1, a private address"}},
		{"name to CGNAT", "cgnat.test", false, []string{"100.64.0.1, a carrier-grade NAT address"}},
		{"name to link-local", "linklocal.test", false, []string{"169.254.1.1, a link-local address"}},
		{"name to unique-local", "ula.test", false, []string{"fd12:3456::1, a unique-local address"}},
		{"name to metadata", "metadata.test", false, []string{"resolves to 169.254.169.254, a cloud metadata address, which apps may never reach"}},
		{"name to ECS metadata", "ecs.test", false, []string{"169.254.170.2, a cloud metadata address"}},
		{"name to Alibaba metadata", "alibaba.test", false, []string{"100.100.100.200, a cloud metadata address"}},
		{"name to IPv6 metadata", "metadata6.test", false, []string{"fd00:ec2::254, a cloud metadata address"}},
		{"name to unspecified", "zero.test", false, []string{"0.0.0.0, the unspecified address, which apps may never reach"}},
		{"name to multicast", "multicast.test", false, []string{"224.0.0.1, a multicast address"}},
		{"name to IPv4-mapped loopback", "mapped.test", false, []string{"::ffff:127.0.0.1, an IPv4-mapped form of 127.0.0.1, a loopback address"}},
		{"name to IPv4-mapped metadata", "mappedmeta.test", false, []string{"an IPv4-mapped form of 169.254.169.254, a cloud metadata address, which apps may never reach"}},
		{"name to IPv4-compatible loopback", "compat.test", false, []string{"an IPv4-compatible form of 127.0.0.1"}},
		{"name to NAT64 private", "nat64.test", false, []string{"a NAT64 form of 10.0.0.5, a private address"}},
		{"name to 6to4 loopback", "sixtofour.test", false, []string{"a 6to4 form of 127.0.0.1"}},
		{"name to Teredo loopback", "teredo.test", false, []string{"a Teredo form (client) of 127.0.0.1"}},
		{"name to public and private", "mixed.test", false, []string{"resolves to 10.0.0.5, a private address"}},
		{"metadata with private egress on", "metadata.test", true, []string{"cloud metadata address, which apps may never reach"}},
		{"mapped metadata with private egress on", "mappedmeta.test", true, []string{"which apps may never reach"}},
		{"unspecified with private egress on", "zero.test", true, []string{"the unspecified address"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{AllowPrivate: c.allowPrivate})
			before := up.accepts.Load()
			_, _, err := e.do(testCtx(t), []string{"http://*:*"}, NewBudget(10, 1<<20), "GET", fmt.Sprintf("http://%s:%d/", c.host, up.port), nil, nil)
			checkErr(t, err, ErrDenied, c.want...)
			if e.dns.Queries(c.host) == 0 {
				t.Errorf("%s was never looked up: the test does not test the DNS path", c.host)
			}
			if n := e.dials.Load(); n != 0 {
				t.Errorf("%d dials, want none", n)
			}
			if n := up.accepts.Load() - before; n != 0 {
				t.Errorf("upstream accepted %d connections, want none", n)
			}
		})
	}
}

func TestDisguisedAddressesNeverReachTheResolver(t *testing.T) {
	up := startUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secret") }))
	p := up.port
	cases := []struct {
		name string
		url  string
		want []string
	}{
		{"decimal", fmt.Sprintf("http://2130706433:%d/", p), []string{`host "2130706433" is the IPv4 address 127.0.0.1 in a non-standard form`, `"127.0.0.1"`}},
		{"localhost", fmt.Sprintf("http://localhost:%d/", p), []string{`host "localhost" is this machine's own name: call 127.0.0.1`}},
		{"hexadecimal", fmt.Sprintf("http://0x7f000001:%d/", p), []string{"127.0.0.1 in a non-standard form"}},
		{"dotted hex", fmt.Sprintf("http://0x7f.1:%d/", p), []string{"127.0.0.1 in a non-standard form"}},
		{"short form", fmt.Sprintf("http://127.1:%d/", p), []string{"127.0.0.1 in a non-standard form"}},
		{"octal", fmt.Sprintf("http://0177.0.0.1:%d/", p), []string{"127.0.0.1 in a non-standard form"}},
		{"octal metadata", "http://0251.0376.0251.0376/", []string{"169.254.169.254 in a non-standard form"}},
		{"numeric last label", fmt.Sprintf("http://loop.test.1:%d/", p), []string{"ends in a number"}},
		{"trailing dot address", fmt.Sprintf("http://127.0.0.1.:%d/", p), []string{"ends with a dot"}},
		{"trailing dot name", fmt.Sprintf("http://loop.test.:%d/", p), []string{`host "loop.test." ends with a dot: write it without ("loop.test")`}},
		{"IPv4-mapped literal", fmt.Sprintf("http://[::ffff:127.0.0.1]:%d/", p), []string{"IPv4-mapped IPv6 address: write the IPv4 address itself (127.0.0.1)"}},
		{"IPv4-mapped hex literal", fmt.Sprintf("http://[::ffff:7f00:1]:%d/", p), []string{"IPv4-mapped"}},
		{"IPv4-mapped long literal", fmt.Sprintf("http://[0:0:0:0:0:ffff:127.0.0.1]:%d/", p), []string{"IPv4-mapped"}},
		{"zone", fmt.Sprintf("http://[fe80::1%%25lo]:%d/", p), []string{"zone"}},
		{"user info", fmt.Sprintf("http://allowed.test@127.0.0.1:%d/", p), []string{"user info", `its host is "127.0.0.1"`, "Authorization header"}},
		{"user info with port", fmt.Sprintf("http://127.0.0.1:%d@loop.test/", p), []string{"user info", `its host is "loop.test"`}},
		{"percent-encoded host", fmt.Sprintf("http://%%31%%32%%37.0.0.1:%d/", p), []string{"invalid URL escape"}},
		{"full-width host", fmt.Sprintf("http://ｌｏｏｐ.test:%d/", p), []string{"not ASCII"}},
		{"non-http scheme", "file:///etc/passwd", []string{`scheme "file" is not supported`}},
		{"gopher", "gopher://127.0.0.1:70/", []string{`scheme "gopher"`}},
		{"no host", "http:///path", []string{"has no host"}},
		{"opaque", "http:127.0.0.1", []string{"has no host"}},
		{"relative", "/path", []string{"not an absolute URL"}},
		{"control character", "http://loop.test/\r\nHost: evil.test", []string{"invalid control character"}},
		{"unbracketed IPv6", "http://::1/", []string{"invalid"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{AllowPrivate: true})
			before := up.accepts.Load()
			_, _, err := e.do(testCtx(t), []string{"*://*:*"}, NewBudget(10, 1<<20), "GET", c.url, nil, nil)
			checkErr(t, err, ErrInvalid, c.want...)
			if n := e.dns.Total(); n != 0 {
				t.Errorf("the resolver got %d queries, want none", n)
			}
			if n := e.dials.Load(); n != 0 {
				t.Errorf("%d dials, want none", n)
			}
			if n := up.accepts.Load() - before; n != 0 {
				t.Errorf("upstream accepted %d connections, want none", n)
			}
		})
	}
}

// A URL built by hand (not parsed) can carry what url.Parse refuses.
func TestHandBuiltURLsAreCheckedToo(t *testing.T) {
	cases := []struct {
		name, host string
		want       string
	}{
		{"percent-encoded", "%31%32%37.0.0.1", "percent-encoded"},
		{"bracketed IPv4", "[127.0.0.1]", "is not an IPv6 address"},
		{"two colons", "127.0.0.1:80:80", "several colons"},
		{"junk after bracket", "[::1]x", "unexpected"},
		{"space", "loop test", "not a valid host name"},
		{"empty", "", "has no host"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{AllowPrivate: true})
			p, _ := Parse([]string{"*://*:*"})
			req := &http.Request{Method: "GET", URL: &url.URL{Scheme: "http", Host: c.host, Path: "/"}, Header: http.Header{}}
			_, err := e.client.Do(testCtx(t), p, nil, req)
			checkErr(t, err, ErrInvalid, c.want)
			if e.dns.Total() != 0 || e.dials.Load() != 0 {
				t.Errorf("%d queries, %d dials; want none", e.dns.Total(), e.dials.Load())
			}
		})
	}
}

func TestHostHeaderCannotSteerTheRequest(t *testing.T) {
	seen := make(chan string, 1)
	up := startUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case seen <- r.Host:
		default:
		}
		io.WriteString(w, "ok")
	}))
	authority := fmt.Sprintf("127.0.0.1:%d", up.port)
	patterns := []string{fmt.Sprintf("http://127.0.0.1:%d", up.port), "http://*.test:*"}
	cases := []struct {
		name   string
		header http.Header
		host   string // req.Host
		denied string // "": allowed
	}{
		{"Host header to another host", http.Header{"Host": {"evil.test"}}, "", `the Host header "evil.test" differs from the URL's host "` + authority + `"`},
		{"lower-case key", http.Header{"host": {"evil.test"}}, "", "differs from the URL's host"},
		{"Host header, other port", http.Header{"Host": {"127.0.0.1"}}, "", "differs"},
		{"Host header to metadata", http.Header{"Host": {"169.254.169.254"}}, "", "differs"},
		{"second Host value", http.Header{"Host": {authority, "evil.test"}}, "", "differs"},
		{"req.Host", nil, "evil.test:80", `"evil.test:80" differs`},
		{"Host header naming the URL's host", http.Header{"Host": {authority}}, "", ""},
		{"req.Host naming the URL's host", nil, authority, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			p, _ := Parse(patterns)
			req, _ := NewRequest("GET", "http://"+authority+"/", nil)
			for k, v := range c.header {
				req.Header[k] = v
			}
			req.Host = c.host
			before := up.accepts.Load()
			resp, err := e.client.Do(testCtx(t), p, NewBudget(10, 1<<20), req)
			if c.denied != "" {
				checkErr(t, err, ErrDenied, c.denied, "put the host in the URL")
				if n := up.accepts.Load() - before; n != 0 || e.dials.Load() != 0 {
					t.Errorf("upstream accepted %d connections, want none", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := <-seen; got != authority {
				t.Errorf("upstream saw Host %q, want %q", got, authority)
			}
		})
	}
}

func TestBadHeadersAndMethodsAreInvalid(t *testing.T) {
	up := startUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	cases := []struct {
		name   string
		method string
		header http.Header
		want   string
	}{
		{"line break in a value", "GET", http.Header{"X-A": {"1\r\nHost: evil.test"}}, "control character"},
		{"NUL in a value", "GET", http.Header{"X-A": {"a\x00b"}}, "control character"},
		{"space in a name", "GET", http.Header{"X A": {"1"}}, `header name "X A"`},
		{"colon in a name", "GET", http.Header{"Host:": {"evil.test"}}, "header name"},
		{"method with a space", "GET /x HTTP/1.1\r\n", nil, "is not a valid HTTP method"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			_, _, err := e.do(testCtx(t), []string{"http://127.0.0.1:*"}, nil, c.method, up.url("/"), nil, c.header)
			checkErr(t, err, ErrInvalid, c.want)
			if up.accepts.Load() != 0 || e.dials.Load() != 0 {
				t.Errorf("a connection was made")
			}
		})
	}
}
