package egress

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics; an error wraps ErrInvalid and names the
// entry; an accepted pattern's canonical form parses back to itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"https://api.example.com", "http://127.0.0.1:8080", "*://*:*", "https://*.example.com:8000..8100",
		"http://[::1]:*", "http://10.0.0.0/8:*", "http://[fd00::]/8", "http//x", "http://127.1",
		"http://[::ffff:127.0.0.1]", "http://0x7f.1:80", "https://a.b/", "http://x:1..65536", "insecure:allow-all",
		"HTTP://EXAMPLE.COM:080", "http://[fe80::1%25eth0]", "http://a@b", "http://*.*.com", "http://self",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse([]string{s})
		if err != nil {
			if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "invalid: allowed_outbound_hosts[0] ") {
				t.Fatalf("Parse(%q): error %q does not wrap ErrInvalid with the entry's index", s, err)
			}
			return
		}
		canon := p.String()
		again, err := Parse([]string{canon})
		if err != nil {
			t.Fatalf("Parse(%q) gave %q, which does not parse: %v", s, canon, err)
		}
		if again.String() != canon || len(again.patterns) != 1 {
			t.Fatalf("Parse(%q) gave %q, which parses as %q", s, canon, again)
		}
		if again.patterns[0].host != p.patterns[0].host || again.patterns[0].lo != p.patterns[0].lo ||
			again.patterns[0].hi != p.patterns[0].hi || again.patterns[0].defPort != p.patterns[0].defPort ||
			again.patterns[0].scheme != p.patterns[0].scheme {
			t.Fatalf("Parse(%q) and Parse(%q) differ: %+v, %+v", s, canon, p.patterns[0], again.patterns[0])
		}
	})
}

// FuzzCheckURL: checkURL never panics, and a host it accepts is either an
// address in standard form or a name no resolver reads as an address, in
// canonical form (checking the canonical URL again gives the same target).
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{
		"http://example.com/x", "https://127.0.0.1:8443/", "http://[::1]:80/", "http://2130706433/",
		"http://0x7f.1/", "http://127.0.0.1./", "http://[::ffff:127.0.0.1]/", "http://a@b/", "http://EXAMPLE.com:0080/",
		"http://%31.0.0.1/", "http://xn--bcher-kva.example/", "http://a_b.example:65535/?q#f",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		tg, err := checkURL(u)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("checkURL(%q): %v does not wrap ErrInvalid", raw, err)
			}
			return
		}
		if tg.ip.IsValid() {
			if tg.host != tg.ip.String() || tg.ip.Is4In6() || tg.ip.Zone() != "" {
				t.Fatalf("checkURL(%q) accepted address host %q (%v)", raw, tg.host, tg.ip)
			}
		} else {
			if _, ok := looseIPv4(tg.host); ok || looksNumeric(tg.host) {
				t.Fatalf("checkURL(%q) accepted %q, which resolvers may read as an IPv4 address", raw, tg.host)
			}
			if checkName(tg.host) != nil || strings.ToLower(tg.host) != tg.host {
				t.Fatalf("checkURL(%q) accepted host %q", raw, tg.host)
			}
		}
		u2, err := url.Parse(tg.url.String())
		if err != nil {
			t.Fatalf("checkURL(%q) gave %q, which does not parse: %v", raw, tg.url, err)
		}
		again, err := checkURL(u2)
		if err != nil || again.host != tg.host || again.port != tg.port || again.scheme != tg.scheme || again.ip != tg.ip {
			t.Fatalf("checkURL(%q) gave %q, which checks as %+v, %v", raw, tg.url, again, err)
		}
	})
}
