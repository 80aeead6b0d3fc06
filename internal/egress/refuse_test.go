package egress

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"testing"
)

// Options.Refuse keeps apps off the node's own listeners, even when their
// patterns name the address exactly and the operator allows private
// egress: an app allowed "http://127.0.0.1:*" must not reach the admin API
// or loop through the gateway. Each refusal happens before any connection
// and costs no request.
func TestRefusedListeners(t *testing.T) {
	admin := startUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "admin secrets") }))
	other := startUpstream(t, http.HandlerFunc(hello))
	redirect := startUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	}))
	port := uint16(admin.port)
	ap := func(s string) netip.AddrPort { return netip.AddrPortFrom(netip.MustParseAddr(s), port) }
	own := map[netip.AddrPort]string{ap("127.0.0.1"): "the node's own admin listener"}
	every4 := map[netip.AddrPort]string{ap("0.0.0.0"): "the node's own gateway"}
	every6 := map[netip.AddrPort]string{ap("::"): "the node's own gateway"}
	mapped := map[netip.AddrPort]string{ap("::ffff:127.0.0.1"): "the node's own admin listener"}
	loopAny := []string{"http://127.0.0.1:*"}
	cases := []struct {
		name         string
		refuse       map[netip.AddrPort]string
		allowPrivate bool
		patterns     []string
		url          string
		want         []string
	}{
		{"the address named exactly", own, false, loopAny, admin.url("/"), []string{fmt.Sprintf("127.0.0.1:%d is the node's own admin listener, which apps may never reach", port)}},
		{"with private egress on", own, true, []string{"http://*:*"}, admin.url("/"), []string{"the node's own admin listener"}},
		{"through a name", own, true, []string{"http://*.test:*"}, fmt.Sprintf("http://loop.test:%d/", port), []string{fmt.Sprintf("loop.test resolves to 127.0.0.1, and 127.0.0.1:%d is the node's own admin listener", port)}},
		{"through a redirect", own, false, loopAny, fmt.Sprintf("http://127.0.0.1:%d/?to=%s", redirect.port, url.QueryEscape(admin.url("/"))), []string{"redirect 1 to", "the node's own admin listener"}},
		{"an IPv4-mapped entry", mapped, false, loopAny, admin.url("/"), []string{"the node's own admin listener"}},
		{"a listener on every IPv4 address, reached on 127.0.0.1", every4, false, loopAny, admin.url("/"), []string{"the node's own gateway"}},
		{"a listener on every IPv4 address, reached on 127.0.0.2", every4, false, []string{"http://127.0.0.2:*"}, fmt.Sprintf("http://127.0.0.2:%d/", port), []string{"127.0.0.2:" + fmt.Sprint(port) + " is the node's own gateway"}},
		{"a listener on every IPv4 address, reached on ::1", every4, false, []string{"http://[::1]:*"}, fmt.Sprintf("http://[::1]:%d/", port), []string{"the node's own gateway"}},
		{"a listener on every IPv6 address, reached on 127.0.0.1", every6, false, loopAny, admin.url("/"), []string{"the node's own gateway"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{Refuse: c.refuse, AllowPrivate: c.allowPrivate})
			b := NewBudget(5, 1<<20)
			before, dialsBefore := admin.accepts.Load(), e.dials.Load()
			_, _, err := e.do(testCtx(t), c.patterns, b, "GET", c.url, nil, nil)
			checkErr(t, err, ErrDenied, c.want...)
			if n := admin.accepts.Load() - before; n != 0 {
				t.Errorf("the refused listener accepted %d connections", n)
			}
			wantDials, wantRequests := int64(0), 0
			if c.name == "through a redirect" {
				wantDials, wantRequests = 1, 1 // the first hop, to the redirecting upstream
			} else if c.name == "through a name" {
				wantRequests = 1 // a lookup counts
			}
			if n := e.dials.Load() - dialsBefore; n != wantDials {
				t.Errorf("%d dials, want %d", n, wantDials)
			}
			if n, _ := b.Used(); n != wantRequests {
				t.Errorf("%d requests counted, want %d", n, wantRequests)
			}
		})
	}

	t.Run("other ports are not refused", func(t *testing.T) {
		e := newEnv(t, Options{Refuse: every4})
		if _, body, err := e.do(testCtx(t), loopAny, nil, "GET", other.url("/"), nil, nil); err != nil || body != "hello from upstream" {
			t.Fatalf("got %q, %v", body, err)
		}
	})
	t.Run("entries without a port are ignored", func(t *testing.T) {
		e := newEnv(t, Options{Refuse: map[netip.AddrPort]string{netip.AddrPortFrom(netip.MustParseAddr("0.0.0.0"), 0): "nothing"}})
		if _, _, err := e.do(testCtx(t), loopAny, nil, "GET", other.url("/"), nil, nil); err != nil {
			t.Fatal(err)
		}
	})
}

// A listener on every address covers the host's own addresses, public ones
// included, listed when a request goes to its port. admit is the whole
// check: nothing is dialled here.
func TestRefusedListenerOnEveryAddressCoversTheHostsAddresses(t *testing.T) {
	p, err := Parse([]string{"http://*:*"})
	if err != nil {
		t.Fatal(err)
	}
	admitURL := func(c *Client, raw string) ([]netip.Addr, error) {
		u, _ := url.Parse(raw)
		tg, err := checkURL(u)
		if err != nil {
			t.Fatal(err)
		}
		return c.admit(testCtx(t), p, nil, tg, "GET "+raw, 0)
	}
	e := newEnv(t, Options{Refuse: map[netip.AddrPort]string{netip.MustParseAddrPort("0.0.0.0:8080"): "the node's own gateway"}})
	lists := 0
	e.client.localAddrs = func() ([]netip.Addr, error) {
		lists++
		return []netip.Addr{netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("2606:2800:220:1:248:1893:25c8:1946")}, nil
	}
	cases := []struct {
		url     string
		refused bool
	}{
		{"http://93.184.216.34:8080/", true},
		{"http://[2606:2800:220:1:248:1893:25c8:1946]:8080/", true},
		{"http://93.184.216.35:8080/", false},
		{"http://93.184.216.34:8081/", false},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			_, err := admitURL(e.client, c.url)
			if c.refused {
				checkErr(t, err, ErrDenied, "is the node's own gateway (listening on every address of this host), which apps may never reach")
			} else if err != nil {
				t.Fatal(err)
			}
		})
	}
	if lists != 3 {
		t.Errorf("the host's addresses were listed %d times, want 3 (only for requests to the refused port)", lists)
	}
	t.Run("the host's addresses cannot be listed", func(t *testing.T) {
		e.client.localAddrs = func() ([]netip.Addr, error) { return nil, errors.New("no netlink") }
		_, err := admitURL(e.client, "http://93.184.216.35:8080/")
		checkErr(t, err, ErrDenied, "perhaps the node's own gateway", "no netlink")
	})
}

func TestInterfaceAddrsListsLoopback(t *testing.T) {
	addrs, err := interfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if a.Is4In6() || a.Zone() != "" {
			t.Errorf("%s is mapped or has a zone", a)
		}
	}
	if !slices.ContainsFunc(addrs, netip.Addr.IsLoopback) {
		t.Errorf("the host's addresses %v hold no loopback address", addrs)
	}
}
