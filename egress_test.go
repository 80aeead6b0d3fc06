package wisp_test

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/dnstest"
)

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	accepted atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

// TestEgressAttacksAsTheGuestSeesThem sends the outbound attacks through
// a real module: names that resolve (through a resolver on loopback) to
// private, loopback and metadata addresses, a redirect to one, a Host
// header naming another host, disguised address forms. Each is refused
// before any connection is made, and the guest sees why.
func TestEgressAttacksAsTheGuestSeesThem(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	upstream := &countingListener{Listener: ln}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		w.Write([]byte("ok"))
	})}
	go srv.Serve(upstream)
	defer srv.Close()
	self := "http://" + ln.Addr().String()
	port := strings.TrimPrefix(ln.Addr().String(), "127.0.0.1:")

	dns, err := dnstest.Start(map[string][]netip.Addr{
		"loopback.test": {netip.MustParseAddr("127.0.0.1")},
		"private.test":  {netip.MustParseAddr("10.0.0.5")},
		"metadata.test": {netip.MustParseAddr("169.254.169.254")},
		"mapped.test":   {netip.MustParseAddr("::ffff:10.0.0.1")},
		"mixed.test":    {netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("192.168.1.1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer dns.Close()
	n := servicesNode(t, wisp.Config{Outbound: wisp.OutboundConfig{Resolver: dns.Resolver()}}, func(s *wisp.AppSpec) {
		s.AllowedOutboundHosts = []string{"http://*.test:*", self}
	})

	tests := []struct {
		name, url, header string
		want              string // the start of the guest's line
	}{
		{"a name resolving to loopback", "http://loopback.test:" + port + "/", "", "send 3: denied: "},
		{"a name resolving to a private address", "http://private.test/", "", "send 3: denied: "},
		{"a name resolving to the metadata address", "http://metadata.test/latest/", "", "send 3: denied: "},
		{"a name resolving to an IPv4-mapped private address", "http://mapped.test/", "", "send 3: denied: "},
		{"a name with one public and one private address", "http://mixed.test/", "", "send 3: denied: "},
		{"a redirect from an allowed upstream to a private name", self + "/?to=http://private.test/", "", "send 3: denied: "},
		{"a redirect to the metadata address", self + "/?to=http://169.254.169.254/", "", "send 3: denied: "},
		{"a Host header naming another host", self + "/", "Host=evil.test", "send 3: denied: "},
		{"a decimal IPv4 address", "http://2130706433/", "", "send 4: invalid: "},
		{"a hexadecimal short IPv4 address", "http://0x7f.1/", "", "send 4: invalid: "},
		{"an IPv4-mapped IPv6 literal", "http://[::ffff:127.0.0.1]/", "", "send "},
		{"user info hiding the host", "http://loopback.test@private.test/", "", "send 4: invalid: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := upstream.accepted.Load()
			s := "send GET " + tt.url
			if tt.header != "" {
				s += " " + tt.header
			}
			got := script(t, n, s)
			if !strings.HasPrefix(got, tt.want) || strings.HasPrefix(got, "send 0") {
				t.Fatalf("got %q, want a refusal starting %q", got, tt.want)
			}
			t.Logf("the guest sees: %s", strings.TrimSpace(got))
			// A redirect's first hop reaches the allowed upstream; nothing else may.
			wantAccepts := int64(0)
			if strings.Contains(tt.name, "redirect") {
				wantAccepts = 1
			}
			if d := upstream.accepted.Load() - before; d > wantAccepts {
				t.Errorf("%d connections reached the upstream, want at most %d", d, wantAccepts)
			}
		})
	}
	if q := dns.Queries("2130706433"); q != 0 {
		t.Errorf("a disguised address was looked up as a name %d times", q)
	}
	t.Run("the allowed upstream works", func(t *testing.T) {
		if got := script(t, n, "send GET "+self+"/"); !strings.HasPrefix(got, "send 0 200") {
			t.Fatalf("got %q", got)
		}
	})
}

// TestRefusedOutboundIsLogged checks that the operator sees why an
// outbound call failed: the node notes it in the app's log.
func TestRefusedOutboundIsLogged(t *testing.T) {
	n := servicesNode(t, wisp.Config{}, nil)
	script(t, n, "send GET http://10.1.2.3/secret?token=abc")
	entries, _, _ := n.Logs("svc", 0, 0)
	for _, e := range entries {
		if e.Stream == "node" && e.Level == "warn" && e.Context == "outbound" && strings.Contains(e.Message, "denied: GET http://10.1.2.3/secret") {
			if strings.Contains(e.Message, "token=abc") {
				t.Errorf("the note keeps the URL's query: %q", e.Message)
			}
			return
		}
	}
	t.Fatalf("no note of the refused call in the app's log: %+v", entries)
}
