package egress

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

func hello(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello from upstream") }

func TestAllowedLoopbackUpstreamAnswers(t *testing.T) {
	up := startUpstream(t, http.HandlerFunc(hello))
	cases := []struct {
		name         string
		patterns     []string
		url          string
		allowPrivate bool
	}{
		{"address and port named", []string{fmt.Sprintf("http://127.0.0.1:%d", up.port)}, up.url("/x"), false},
		{"address named, any port", []string{"http://127.0.0.1:*"}, up.url("/x"), false},
		{"address named as a /32", []string{"http://127.0.0.1/32:*"}, up.url("/x"), false},
		{"address in a range with private egress on", []string{"http://127.0.0.0/8:*"}, up.url("/x"), true},
		{"every address with private egress on", []string{"http://0.0.0.0/0:*"}, up.url("/x"), true},
		{"links example's patterns", []string{"http://127.0.0.1:*", "https://*"}, up.url("/x"), false},
		{"name with private egress on", []string{"http://*.test:*"}, fmt.Sprintf("http://loop.test:%d/x", up.port), true},
		{"address with private egress on", []string{"http://*:*"}, up.url("/x"), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{AllowPrivate: c.allowPrivate})
			b := NewBudget(5, 1<<20)
			status, body, err := e.do(testCtx(t), c.patterns, b, "GET", c.url, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if status != 200 || body != "hello from upstream" {
				t.Errorf("got %d %q", status, body)
			}
			if n, bytes := b.Used(); n != 1 || bytes != int64(len(body)) {
				t.Errorf("budget used %d requests, %d bytes; want 1, %d", n, bytes, len(body))
			}
		})
	}
}

// The address dialled is the one checked: one lookup per request (A and
// AAAA), and the dialler refuses an address the checks did not pass.
func TestDialsOnlyTheAddressChecked(t *testing.T) {
	up := startUpstream(t, http.HandlerFunc(hello))
	e := newEnv(t, Options{AllowPrivate: true})
	if _, _, err := e.do(testCtx(t), []string{"http://*:*"}, nil, "GET", fmt.Sprintf("http://loop.test:%d/", up.port), nil, nil); err != nil {
		t.Fatal(err)
	}
	if n := e.dns.Queries("loop.test"); n != 2 {
		t.Errorf("loop.test was looked up with %d queries, want 2 (A and AAAA, once)", n)
	}

	cases := []struct {
		name string
		ctx  context.Context
		addr string
	}{
		{"no checked addresses", context.Background(), up.url("")[7:]},
		{"another port", context.WithValue(context.Background(), dialKey{}, dialTarget{addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}, port: 1}), up.url("")[7:]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.client.dial(c.ctx, "tcp", c.addr)
			checkErr(t, err, ErrDenied, "was not checked")
		})
	}
	t.Run("control refuses an unchecked address", func(t *testing.T) {
		ctx := context.WithValue(context.Background(), dialKey{}, dialTarget{addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}, port: 80})
		checkErr(t, e.client.control(ctx, "tcp4", "127.0.0.2:80", nil), ErrDenied, "127.0.0.2:80 was not checked")
		if err := e.client.control(ctx, "tcp4", "127.0.0.1:80", nil); err != nil {
			t.Errorf("control refused the checked address: %v", err)
		}
	})
}

func TestNoProxyFromTheEnvironment(t *testing.T) {
	proxy := startUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "proxied") }))
	up := startUpstream(t, http.HandlerFunc(hello))
	t.Setenv("HTTP_PROXY", proxy.url(""))
	t.Setenv("http_proxy", proxy.url(""))
	t.Setenv("NO_PROXY", "")
	e := newEnv(t, Options{})
	_, body, err := e.do(testCtx(t), []string{"http://127.0.0.1:*"}, nil, "GET", up.url("/"), nil, nil)
	if err != nil || body != "hello from upstream" {
		t.Fatalf("got %q, %v", body, err)
	}
	if proxy.accepts.Load() != 0 {
		t.Error("the request went through the environment's proxy")
	}
}

func TestHTTPSUsesTheURLsHostForTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(hello)) // certificate for example.com and 127.0.0.1
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	port := srv.Listener.Addr().(interface{ AddrPort() netip.AddrPort }).AddrPort().Port()

	cases := []struct {
		name       string
		patterns   []string
		url        string
		serverName string // Options.TLS.ServerName
		wantErr    string
	}{
		{"address", []string{"https://127.0.0.1:*"}, fmt.Sprintf("https://127.0.0.1:%d/", port), "", ""},
		{"name (resolves to loopback, private egress on)", []string{"https://example.com:*"}, fmt.Sprintf("https://example.com:%d/", port), "", ""},
		{"name the certificate does not cover", []string{"https://*.test:*"}, fmt.Sprintf("https://loop.test:%d/", port), "", "certificate"},
		// A ServerName in the options would verify every host's
		// certificate against that one name: it is ignored.
		{"a ServerName the certificate covers does not vouch for another host", []string{"https://*.test:*"}, fmt.Sprintf("https://loop.test:%d/", port), "example.com", "not loop.test"},
		{"a ServerName the certificate does not cover is not used", []string{"https://127.0.0.1:*"}, fmt.Sprintf("https://127.0.0.1:%d/", port), "loop.test", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conf := &tls.Config{RootCAs: pool, ServerName: c.serverName}
			e := newEnv(t, Options{AllowPrivate: true, TLS: conf})
			_, body, err := e.do(testCtx(t), c.patterns, nil, "GET", c.url, nil, nil)
			if conf.ServerName != c.serverName {
				t.Errorf("the caller's TLS config was changed: ServerName %q", conf.ServerName)
			}
			if c.wantErr != "" {
				checkErr(t, err, ErrUnavailable, c.wantErr)
				return
			}
			if err != nil || body != "hello from upstream" {
				t.Fatalf("got %q, %v", body, err)
			}
		})
	}
}

func TestRedirects(t *testing.T) {
	other := startUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "other saw %s auth=%q", r.Method, r.Header.Get("Authorization"))
	}))
	var up *upstream
	up = startUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := http.StatusFound
		fmt.Sscan(r.URL.Query().Get("code"), &code)
		switch r.URL.Path {
		case "/to":
			w.Header().Set("Location", r.URL.Query().Get("url"))
			w.WriteHeader(code)
		case "/relative":
			http.Redirect(w, r, "/final", code)
		case "/loop":
			http.Redirect(w, r, "/loop", code)
		case "/final":
			body, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "final saw %s %q auth=%q", r.Method, body, r.Header.Get("Authorization"))
		case "/nolocation":
			w.WriteHeader(http.StatusFound)
			io.WriteString(w, "no location")
		}
	}))
	to := func(target string, code int) string {
		return up.url("/to?code=" + fmt.Sprint(code) + "&url=" + url.QueryEscape(target))
	}
	self := fmt.Sprintf("http://127.0.0.1:%d", up.port)
	auth := http.Header{"Authorization": {"Bearer t"}}

	cases := []struct {
		name     string
		patterns []string
		method   string
		url      string
		body     string
		kind     error  // nil: success
		want     string // body, or a substring of the error
		hits     int64  // requests the first upstream serves
	}{
		{"relative, same origin", []string{self}, "GET", up.url("/relative"), "", nil, `final saw GET "" auth="Bearer t"`, 2},
		{"303 turns POST into GET", []string{self}, "POST", up.url("/relative?code=303"), "data", nil, `final saw GET "" auth="Bearer t"`, 2},
		{"302 turns POST into GET", []string{self}, "POST", up.url("/relative?code=302"), "data", nil, `final saw GET ""`, 2},
		{"307 keeps method and body", []string{self}, "POST", up.url("/relative?code=307"), "data", nil, `final saw POST "data" auth="Bearer t"`, 2},
		{"308 keeps method and body", []string{self}, "PUT", up.url("/relative?code=308"), "data", nil, `final saw PUT "data"`, 2},
		{"a 302 without Location is the answer", []string{self}, "GET", up.url("/nolocation"), "", nil, "no location", 1},
		{"to another allowed origin drops credentials", []string{self, fmt.Sprintf("http://127.0.0.1:%d", other.port)}, "GET", to(other.url("/"), 302), "", nil, `other saw GET auth=""`, 1},
		{"to a port not allowed", []string{self}, "GET", to(other.url("/"), 302), "", ErrDenied, fmt.Sprintf("redirect 1 to http://127.0.0.1:%d/ is not allowed by allowed_outbound_hosts", other.port), 1},
		{"to a name resolving to loopback", []string{self, "http://*.test:*"}, "GET", to(fmt.Sprintf("http://loop.test:%d/", other.port), 307), "", ErrDenied, "loop.test resolves to 127.0.0.1, a loopback address", 1},
		{"to a name resolving to private", []string{self, "http://*:*"}, "GET", to("http://private.test/", 301), "", ErrDenied, "redirect 1 to http://private.test/: private.test resolves to 10.0.0.5", 1},
		{"to metadata", []string{self, "http://*:*"}, "GET", to("http://169.254.169.254/latest/meta-data/", 302), "", ErrDenied, "169.254.169.254 is a cloud metadata address, which apps may never reach", 1},
		{"to a name resolving to metadata", []string{self, "http://*:*"}, "GET", to("http://metadata.test/", 308), "", ErrDenied, "a cloud metadata address", 1},
		{"to loopback not named", []string{self, "http://*:*"}, "GET", to(other.url("/"), 302), "", ErrDenied, fmt.Sprintf(`127.0.0.1 is a loopback address; name the address in allowed_outbound_hosts ("http://127.0.0.1:%d")`, other.port), 1},
		{"to an IPv4-mapped address", []string{self, "http://*:*"}, "GET", to(fmt.Sprintf("http://[::ffff:127.0.0.1]:%d/", other.port), 302), "", ErrInvalid, "redirect 1 from " + self + "/to", 1},
		{"to a disguised address", []string{self, "http://*:*"}, "GET", to(fmt.Sprintf("http://0x7f.1:%d/", other.port), 302), "", ErrInvalid, "127.0.0.1 in a non-standard form", 1},
		{"to user info", []string{self, "http://*:*"}, "GET", to(fmt.Sprintf("http://127.0.0.1:%d@evil.test/", up.port), 302), "", ErrInvalid, "user info", 1},
		{"to a file", []string{self}, "GET", to("file:///etc/passwd", 302), "", ErrInvalid, `scheme "file" is not supported`, 1},
		{"to https not allowed", []string{self}, "GET", to(fmt.Sprintf("https://127.0.0.1:%d/", up.port), 302), "", ErrDenied, "is not allowed", 1},
		{"a loop stops after 10", []string{self}, "GET", up.url("/loop"), "", ErrLimit, "stopped after 10 redirects", 11},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			hitsBefore, otherBefore := up.hits.Load(), other.accepts.Load()
			var body []byte
			if c.body != "" {
				body = []byte(c.body)
			}
			_, got, err := e.do(testCtx(t), c.patterns, NewBudget(20, 1<<20), c.method, c.url, body, auth)
			if c.kind == nil {
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(got, c.want) {
					t.Errorf("body %q, want %q", got, c.want)
				}
			} else {
				checkErr(t, err, c.kind, c.want)
				if n := other.accepts.Load() - otherBefore; n != 0 {
					t.Errorf("the disallowed target accepted %d connections", n)
				}
			}
			if n := up.hits.Load() - hitsBefore; n != c.hits {
				t.Errorf("upstream served %d requests, want %d", n, c.hits)
			}
		})
	}
}
