package egress

import (
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"testing"
)

// A range pattern, however wide, grants only the public addresses it
// covers: a non-public address needs a pattern naming it exactly, or the
// operator's AllowPrivate. Each refusal happens before any connection and
// costs no request.
func TestRangesDoNotOpenNonPublicAddresses(t *testing.T) {
	up := startUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secret") }))
	cases := []struct {
		name    string
		pattern string
		url     string
	}{
		{"every IPv4 address", "http://0.0.0.0/0:*", up.url("/")},
		{"half of IPv4", "http://0.0.0.0/1:*", up.url("/")},
		{"loopback's /8", "http://127.0.0.0/8:*", up.url("/")},
		{"a /31 holding the address", "http://127.0.0.0/31:*", up.url("/")},
		{"the private /8", "http://10.0.0.0/8:*", fmt.Sprintf("http://10.0.0.5:%d/", up.port)},
		{"every IPv6 address", "http://[::]/0:*", fmt.Sprintf("http://[::1]:%d/", up.port)},
		{"unique-local /7", "http://[fc00::]/7:*", fmt.Sprintf("http://[fd12::1]:%d/", up.port)},
		{"any scheme, every address", "*://0.0.0.0/0:*", up.url("/")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			b := NewBudget(5, 1<<20)
			before := up.accepts.Load()
			_, _, err := e.do(testCtx(t), []string{c.pattern}, b, "GET", c.url, nil, nil)
			checkErr(t, err, ErrDenied, "name the address in allowed_outbound_hosts", "reaches only public addresses", "--allow-private-egress")
			if n := e.dials.Load(); n != 0 {
				t.Errorf("%d dials, want none", n)
			}
			if n := up.accepts.Load() - before; n != 0 {
				t.Errorf("upstream accepted %d connections, want none", n)
			}
			if n, _ := b.Used(); n != 0 {
				t.Errorf("the refusal cost %d requests, want none", n)
			}
		})
	}
}

// A range still admits the public addresses it covers (admit is the whole
// check; nothing is dialled here).
func TestRangesAdmitPublicAddresses(t *testing.T) {
	e := newEnv(t, Options{})
	cases := []struct{ pattern, url, addr string }{
		{"http://0.0.0.0/0:*", "http://93.184.216.34:8080/", "93.184.216.34"},
		{"http://93.184.216.0/24", "http://93.184.216.34/", "93.184.216.34"},
		{"https://[::]/0:*", "https://[2606:2800:220:1:248:1893:25c8:1946]/", "2606:2800:220:1:248:1893:25c8:1946"},
	}
	for _, c := range cases {
		t.Run(c.pattern, func(t *testing.T) {
			p, err := Parse([]string{c.pattern})
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(c.url)
			tg, err := checkURL(u)
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.client.admit(testCtx(t), p, NewBudget(1, 0), tg, "GET "+c.url, 0)
			if err != nil {
				t.Fatal(err)
			}
			if want := []netip.Addr{netip.MustParseAddr(c.addr)}; !slices.Equal(got, want) {
				t.Errorf("admit = %v, want %v", got, want)
			}
		})
	}
}
