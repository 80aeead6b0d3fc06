package egress

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestParseAcceptsSpinPatterns(t *testing.T) {
	cases := []struct {
		name, in, canon string
	}{
		{"https host", "https://api.example.com", "https://api.example.com"},
		{"trailing slash", "https://api.example.com/", "https://api.example.com"},
		{"upper case", "HTTPS://API.Example.COM", "https://api.example.com"},
		{"port", "http://api.example.com:8080", "http://api.example.com:8080"},
		{"any port", "http://api.example.com:*", "http://api.example.com:*"},
		{"port range, end excluded", "http://api.example.com:8000..8100", "http://api.example.com:8000..8100"},
		{"range of one port", "http://api.example.com:8000..8001", "http://api.example.com:8000"},
		{"range to the last port", "http://x.test:1..65536", "http://x.test:*"},
		{"any scheme", "*://api.example.com", "*://api.example.com"},
		{"subdomains", "https://*.example.com", "https://*.example.com"},
		{"any host", "https://*", "https://*"},
		{"everything", "*://*:*", "*://*:*"},
		{"loopback literal", "http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"loopback any port", "http://127.0.0.1:*", "http://127.0.0.1:*"},
		{"IPv6 literal", "http://[::1]:8080", "http://[::1]:8080"},
		{"IPv6 long form", "http://[0:0:0:0:0:0:0:1]:8080", "http://[::1]:8080"},
		{"IPv4 range", "http://10.0.0.0/8:*", "http://10.0.0.0/8:*"},
		{"IPv4 range, default port", "https://192.168.1.0/24", "https://192.168.1.0/24"},
		{"IPv6 range", "http://[fd00::]/8", "http://[fd00::]/8"},
		{"underscore label", "https://_dmarc.example.com", "https://_dmarc.example.com"},
		{"all addresses", "http://0.0.0.0/0:*", "http://0.0.0.0/0:*"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse([]string{c.in})
			if err != nil {
				t.Fatalf("Parse(%q): %v", c.in, err)
			}
			if got := p.String(); got != c.canon {
				t.Errorf("canonical form %q, want %q", got, c.canon)
			}
			if got := p.Patterns(); len(got) != 1 || got[0] != c.in {
				t.Errorf("Patterns() = %q, want the entry as written", got)
			}
			again, err := Parse([]string{p.String()})
			if err != nil || again.String() != p.String() {
				t.Errorf("the canonical form does not parse back: %v, %q", err, again)
			}
		})
	}
}

func TestParseRefusesBadPatternsClearly(t *testing.T) {
	cases := []struct {
		name, in string
		want     []string // substrings of the message
	}{
		{"no scheme separator", "http//x", []string{`allowed_outbound_hosts[1] "http//x"`, "has no scheme", `write it like "https://api.example.com"`}},
		{"bare host", "api.example.com", []string{"has no scheme"}},
		{"other scheme", "redis://cache.example.com", []string{`scheme "redis" is not supported`, "http and https"}},
		{"path", "https://api.example.com/v1", []string{"has a path"}},
		{"path after port", "https://api.example.com:8080/v1", []string{"has a path"}},
		{"query", "https://api.example.com?x=1", []string{`has "?"`}},
		{"user info", "https://user@api.example.com", []string{`has "@"`}},
		{"no host", "https://", []string{"has no host"}},
		{"no host, port", "https://:8080", []string{"has no host"}},
		{"wildcard in the middle", "https://api.*.com", []string{"a wildcard must be the whole host"}},
		{"localhost", "http://localhost:3000", []string{`host "localhost" is this machine's own name`, `"http://127.0.0.1:9000"`}},
		{"a localhost subdomain", "http://app.localhost", []string{"this machine's own name"}},
		{"partial wildcard", "https://*api.example.com", []string{"a wildcard must be"}},
		{"wildcard on an address", "http://*.127.0.0.1", []string{`"*." must be followed by a domain name`}},
		{"port zero", "http://x.test:0", []string{`port "0" is not a number from 1 to 65535`}},
		{"port too big", "http://x.test:65536", []string{"from 1 to 65535"}},
		{"port word", "http://x.test:http", []string{"is not a number", `"8000..8100"`}},
		{"empty range", "http://x.test:8000..8000", []string{"is empty", "the end is excluded"}},
		{"backwards range", "http://x.test:9000..8000", []string{"is empty"}},
		{"range word", "http://x.test:80..x", []string{"port range"}},
		{"spaces", " https://api.example.com", []string{"spaces"}},
		{"allow-all", "insecure:allow-all", []string{`"*://*:*"`}},
		{"self", "http://self", []string{`"self" is not supported`}},
		{"self in any case", "http://SeLf", []string{`"self" is not supported`}},
		{"metadata", "http://169.254.169.254", []string{"169.254.169.254 is a cloud metadata address", "never"}},
		{"metadata IPv6", "http://[fd00:ec2::254]", []string{"cloud metadata"}},
		{"metadata as a /32", "http://169.254.169.254/32", []string{"169.254.169.254 is a cloud metadata address", "never"}},
		{"metadata as a /128", "http://[fd00:ec2::254]/128", []string{"cloud metadata"}},
		{"unspecified", "http://0.0.0.0:8080", []string{"the unspecified address"}},
		{"multicast", "http://224.0.0.1", []string{"multicast"}},
		{"short IPv4", "http://127.1:8080", []string{`"127.1" is the IPv4 address 127.0.0.1 in a non-standard form`, `"127.0.0.1"`}},
		{"octal IPv4", "http://0177.0.0.1", []string{"127.0.0.1"}},
		{"decimal IPv4", "http://2130706433", []string{"127.0.0.1"}},
		{"hex IPv4", "http://0x7f.1", []string{"127.0.0.1"}},
		{"numeric last label", "http://foo.123", []string{"ends in a number"}},
		{"mapped IPv6", "http://[::ffff:127.0.0.1]", []string{"IPv4-mapped", "(127.0.0.1)"}},
		{"zone", "http://[fe80::1%25eth0]", []string{"zone"}},
		{"unbracketed IPv6", "http://::1:8080", []string{"brackets"}},
		{"unbracketed IPv6 range", "http://fd00::/8:80", []string{"brackets"}},
		{"unclosed bracket", "http://[::1", []string{"no closing ']'"}},
		{"CIDR host bits", "http://10.0.0.1/8", []string{"write 10.0.0.0/8"}},
		{"CIDR too long", "http://10.0.0.0/33", []string{"prefix length from 0 to 32"}},
		{"CIDR on a name", "http://example.com/8", []string{"has a path"}},
		{"trailing dot", "https://api.example.com.", []string{"ends with a dot"}},
		{"bad character", "https://api_ex!ample.com", []string{"not a valid host name"}},
		{"non-ASCII", "https://bücher.example", []string{"not ASCII", "xn--"}},
		{"percent", "https://%61pi.example.com", []string{"percent"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]string{"https://ok.example.com", c.in})
			if err == nil {
				t.Fatalf("Parse accepted %q", c.in)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "invalid: allowed_outbound_hosts[1] ") {
				t.Errorf("message %q does not start with the entry's index", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestPolicyMatches(t *testing.T) {
	cases := []struct {
		name     string
		patterns []string
		url      string
		ok       bool
		exact    bool
		rng      string
	}{
		{"exact host, default port", []string{"https://api.example.com"}, "https://api.example.com/x", true, false, ""},
		{"explicit default port", []string{"https://api.example.com"}, "https://api.example.com:443/x", true, false, ""},
		{"other port", []string{"https://api.example.com"}, "https://api.example.com:8443/x", false, false, ""},
		{"other scheme", []string{"https://api.example.com"}, "http://api.example.com/", false, false, ""},
		{"host case", []string{"https://api.example.com"}, "https://API.example.COM/", true, false, ""},
		{"other host", []string{"https://api.example.com"}, "https://example.com/", false, false, ""},
		{"suffix trick", []string{"https://api.example.com"}, "https://api.example.com.evil.test/", false, false, ""},
		{"subdomain", []string{"https://*.example.com"}, "https://a.b.example.com/", true, false, ""},
		{"subdomain pattern, apex", []string{"https://*.example.com"}, "https://example.com/", false, false, ""},
		{"subdomain pattern, lookalike", []string{"https://*.example.com"}, "https://evilexample.com/", false, false, ""},
		{"any scheme, http default", []string{"*://x.test"}, "http://x.test/", true, false, ""},
		{"any scheme, https default", []string{"*://x.test"}, "https://x.test/", true, false, ""},
		{"any scheme, crossed default", []string{"*://x.test"}, "https://x.test:80/", false, false, ""},
		{"any host any port", []string{"*://*:*"}, "http://x.test:9999/", true, false, ""},
		{"any host matches an address", []string{"http://*:*"}, "http://127.0.0.1:9999/", true, false, ""},
		{"range start", []string{"http://x.test:8000..8100"}, "http://x.test:8000/", true, false, ""},
		{"range end excluded", []string{"http://x.test:8000..8100"}, "http://x.test:8100/", false, false, ""},
		{"range last", []string{"http://x.test:8000..8100"}, "http://x.test:8099/", true, false, ""},
		{"literal address", []string{"http://127.0.0.1:8080"}, "http://127.0.0.1:8080/", true, true, ""},
		{"literal address, other port", []string{"http://127.0.0.1:8080"}, "http://127.0.0.1:8081/", false, false, ""},
		{"literal does not match a name", []string{"http://127.0.0.1:*"}, "http://loopback.test:8080/", false, false, ""},
		{"name does not match an address", []string{"http://loopback.test:*"}, "http://127.0.0.1:8080/", false, false, ""},
		{"literal IPv6", []string{"http://[::1]:*"}, "http://[0::1]:8080/", true, true, ""},
		{"a range is not exact", []string{"http://10.0.0.0/8:*"}, "http://10.1.2.3:80/", true, false, "http://10.0.0.0/8:*"},
		{"every address is not exact", []string{"http://0.0.0.0/0:*"}, "http://127.0.0.1:80/", true, false, "http://0.0.0.0/0:*"},
		{"half the addresses are not exact", []string{"http://0.0.0.0/1:*"}, "http://127.0.0.1:80/", true, false, "http://0.0.0.0/1:*"},
		{"every IPv6 address is not exact", []string{"http://[::]/0:*"}, "http://[::1]:80/", true, false, "http://[::]/0:*"},
		{"a /32 is exact", []string{"http://127.0.0.1/32:*"}, "http://127.0.0.1:80/", true, true, ""},
		{"a /128 is exact", []string{"http://[::1]/128:*"}, "http://[::1]:80/", true, true, ""},
		{"exact wins over a range", []string{"http://0.0.0.0/0:*", "http://127.0.0.1:80"}, "http://127.0.0.1:80/", true, true, ""},
		{"the first range is named", []string{"http://*:*", "http://127.0.0.0/8:*", "http://0.0.0.0/0:*"}, "http://127.0.0.1:80/", true, false, "http://127.0.0.0/8:*"},
		{"literal wins over any", []string{"http://*:*", "http://127.0.0.1:*"}, "http://127.0.0.1:1/", true, true, ""},
		{"empty policy", nil, "https://api.example.com/", false, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse(c.patterns)
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(c.url)
			tg, err := checkURL(u)
			if err != nil {
				t.Fatal(err)
			}
			m := p.allows(tg)
			if want := (match{c.ok, c.exact, c.rng}); m != want {
				t.Errorf("allows(%s) = %+v, want %+v", c.url, m, want)
			}
		})
	}
	var nilPolicy *Policy
	if m := nilPolicy.allows(target{scheme: "https", host: "x.test", port: 443}); m.ok {
		t.Error("a nil policy allowed a request")
	}
}
