package egress

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Policy is an app's parsed allowed_outbound_hosts: the URLs its requests
// may go to. A Policy is immutable and safe for concurrent use; parse it
// once per deployed version. The zero Policy and a nil *Policy allow
// nothing.
type Policy struct {
	patterns []pattern
}

// pattern is one allowed_outbound_hosts entry.
type pattern struct {
	text   string // as written
	scheme string // "http", "https", or "" for any
	host   hostPattern
	// defPort: the scheme's default port (80 for http, 443 for https);
	// otherwise lo..hi, inclusive.
	defPort bool
	lo, hi  uint16
}

// hostPattern is one of: any host, the subdomains of a domain, one name,
// or IP addresses (one address, or a CIDR range; only one address, or a
// /32 or /128, lets a request reach a non-public address).
type hostPattern struct {
	any    bool
	suffix string       // ".example.com" for "*.example.com"
	name   string       // "api.example.com"
	prefix netip.Prefix // 127.0.0.1/32, 10.0.0.0/8, ::1/128
}

// Parse parses an app's allowed_outbound_hosts. Each entry is
// "scheme://host[:port]" (docs/outbound.md):
//
//   - scheme: "http", "https", or "*" for both;
//   - host: a name ("api.example.com"), "*.example.com" for every
//     subdomain of example.com (not example.com itself), "*" for any
//     host, an IP address ("127.0.0.1", "[::1]") or a CIDR range
//     ("10.0.0.0/8", "[fd00::]/8"). Only an address (or a /32 or /128)
//     lets requests reach a non-public address; a range, like "*", reaches
//     only the public addresses it covers unless Options.AllowPrivate;
//   - port: a number, a range "8000..8100" (the end excluded, as in Spin),
//     or "*" for any; none means the scheme's default (80 for http, 443
//     for https, either for "*").
//
// A trailing "/" is allowed; a path, query, user info or anything else is
// not. An error names the entry by its index and says how to write it;
// it wraps ErrInvalid. An empty list parses to a Policy that allows
// nothing.
func Parse(patterns []string) (*Policy, error) {
	p := &Policy{patterns: make([]pattern, 0, len(patterns))}
	for i, s := range patterns {
		pat, err := parsePattern(s)
		if err != nil {
			return nil, fail(ErrInvalid, "allowed_outbound_hosts[%d] %q: %v", i, s, err)
		}
		p.patterns = append(p.patterns, pat)
	}
	return p, nil
}

// Patterns returns the entries as written.
func (p *Policy) Patterns() []string {
	if p == nil {
		return nil
	}
	out := make([]string, len(p.patterns))
	for i, pat := range p.patterns {
		out[i] = pat.text
	}
	return out
}

// String returns the entries in canonical form, separated by ", ".
func (p *Policy) String() string {
	if p == nil {
		return ""
	}
	out := make([]string, len(p.patterns))
	for i, pat := range p.patterns {
		out[i] = pat.String()
	}
	return strings.Join(out, ", ")
}

// match is what a policy's patterns make of one target.
type match struct {
	// ok: some pattern allows the target.
	ok bool
	// exact: one that does names the target's address exactly (an IP
	// address, or a /32 or /128 range), which lets it reach a non-public
	// address.
	exact bool
	// rng: otherwise, the first range pattern that allows the target, in
	// canonical form, for the refusal to name; "" if none.
	rng string
}

// allows matches t against the patterns. Only a pattern naming t's address
// exactly grants a non-public address: a range ("10.0.0.0/8",
// "0.0.0.0/0") grants the public addresses it covers, the non-public ones
// only with Options.AllowPrivate, so a wide range cannot open loopback or
// the private network by accident.
func (p *Policy) allows(t target) match {
	var m match
	if p == nil {
		return m
	}
	for _, pat := range p.patterns {
		if !pat.matches(t) {
			continue
		}
		m.ok = true
		switch prefix := pat.host.prefix; {
		case !prefix.IsValid():
		case prefix.IsSingleIP():
			m.exact, m.rng = true, ""
			return m
		case m.rng == "":
			m.rng = pat.String()
		}
	}
	return m
}

func (pat pattern) matches(t target) bool {
	if pat.scheme != "" && pat.scheme != t.scheme {
		return false
	}
	if pat.defPort {
		if t.port != defaultPort(t.scheme) {
			return false
		}
	} else if t.port < pat.lo || t.port > pat.hi {
		return false
	}
	h := pat.host
	switch {
	case h.any:
		return true
	case h.prefix.IsValid():
		return t.ip.IsValid() && h.prefix.Contains(t.ip)
	case h.suffix != "":
		return !t.ip.IsValid() && strings.HasSuffix(t.host, h.suffix)
	default:
		return !t.ip.IsValid() && t.host == h.name
	}
}

// String returns the pattern in canonical form, which Parse reads back as
// the same pattern.
func (pat pattern) String() string {
	var b strings.Builder
	if pat.scheme == "" {
		b.WriteString("*")
	} else {
		b.WriteString(pat.scheme)
	}
	b.WriteString("://")
	h := pat.host
	switch {
	case h.any:
		b.WriteString("*")
	case h.suffix != "":
		b.WriteString("*" + h.suffix)
	case h.prefix.IsValid():
		a := h.prefix.Addr()
		if a.Is6() {
			b.WriteString("[" + a.String() + "]")
		} else {
			b.WriteString(a.String())
		}
		if !h.prefix.IsSingleIP() {
			b.WriteString("/" + strconv.Itoa(h.prefix.Bits()))
		}
	default:
		b.WriteString(h.name)
	}
	switch {
	case pat.defPort:
	case pat.lo == 1 && pat.hi == 65535:
		b.WriteString(":*")
	case pat.lo == pat.hi:
		b.WriteString(":" + strconv.Itoa(int(pat.lo)))
	default:
		fmt.Fprintf(&b, ":%d..%d", pat.lo, int(pat.hi)+1)
	}
	return b.String()
}

const writeLike = `write it like "https://api.example.com"`

func parsePattern(s string) (pattern, error) {
	pat := pattern{text: s}
	if s == "insecure:allow-all" {
		return pat, fmt.Errorf(`Spin's "insecure:allow-all" is not supported: write "*://*:*" to allow every host and port (private addresses stay refused)`)
	}
	if strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		return pat, fmt.Errorf("contains spaces or control characters: remove them")
	}
	scheme, rest, found := strings.Cut(s, "://")
	if !found || scheme == "" {
		return pat, fmt.Errorf("has no scheme: %s (or \"*://api.example.com\" for http and https)", writeLike)
	}
	switch scheme = strings.ToLower(scheme); scheme {
	case "*":
	case "http", "https":
		pat.scheme = scheme
	default:
		return pat, fmt.Errorf("scheme %q is not supported: outbound HTTP sends http and https (\"*\" for both); %s", scheme, writeLike)
	}
	rest = strings.TrimSuffix(rest, "/")
	if i := strings.IndexAny(rest, "@?#"); i >= 0 {
		return pat, fmt.Errorf("has %q: a pattern is a scheme, a host and a port only; %s", rest[i:i+1], writeLike)
	}

	// host, then an optional "/bits" (CIDR), then an optional ":port".
	var host string
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return pat, fmt.Errorf("has no closing ']' after the IPv6 address")
		}
		host, rest = rest[:end+1], rest[end+1:]
	} else {
		if strings.Count(rest, ":") > 1 {
			return pat, fmt.Errorf("has several colons: write IPv6 addresses in brackets, like \"http://[2001:db8::1]:8080\" or \"http://[fd00::]/8\"")
		}
		end := strings.IndexAny(rest, ":/")
		if end < 0 {
			end = len(rest)
		}
		host, rest = rest[:end], rest[end:]
	}
	bits := ""
	if strings.HasPrefix(rest, "/") {
		end := strings.IndexByte(rest, ':')
		if end < 0 {
			end = len(rest)
		}
		bits, rest = rest[1:end], rest[end:]
	}
	port, hasPort := strings.CutPrefix(rest, ":")
	if rest != "" && !hasPort || strings.Contains(port, "/") {
		return pat, fmt.Errorf("has a path: a pattern is a scheme, a host and a port only; %s", writeLike)
	}

	var err error
	if pat.host, err = parseHostPattern(host, bits); err != nil {
		return pat, err
	}
	if !hasPort {
		pat.defPort = true
		return pat, nil
	}
	if pat.lo, pat.hi, err = parsePortPattern(port); err != nil {
		return pat, err
	}
	return pat, nil
}

func parseHostPattern(host, bits string) (hostPattern, error) {
	switch {
	case host == "":
		return hostPattern{}, fmt.Errorf("has no host; %s", writeLike)
	case host == "*" && bits == "":
		return hostPattern{any: true}, nil
	case strings.HasPrefix(host, "*.") && bits == "":
		domain := strings.ToLower(host[2:])
		if strings.Contains(domain, "*") {
			break
		}
		if _, a, err := checkHost(domain); err != nil || a.IsValid() {
			return hostPattern{}, fmt.Errorf("\"*.\" must be followed by a domain name, like \"*.example.com\"")
		}
		return hostPattern{suffix: "." + domain}, nil
	case strings.EqualFold(host, "self"): // host names ignore case
		return hostPattern{}, fmt.Errorf(`Spin's "self" is not supported: name the host and port of the app's own URL`)
	}
	if strings.Contains(host, "*") {
		return hostPattern{}, fmt.Errorf("host %q: a wildcard must be the whole host (\"*\") or its first label (\"*.example.com\")", host)
	}
	canon, a, err := checkHost(host)
	if err != nil {
		return hostPattern{}, err
	}
	if !a.IsValid() {
		if bits != "" {
			return hostPattern{}, fmt.Errorf("has a path: a pattern is a scheme, a host and a port only; %s", writeLike)
		}
		return hostPattern{name: canon}, nil
	}
	prefix := netip.PrefixFrom(a, a.BitLen())
	if bits != "" {
		n, err := strconv.Atoi(bits)
		if err != nil || n < 0 || n > a.BitLen() || strings.TrimLeft(bits, "0123456789") != "" {
			return hostPattern{}, fmt.Errorf("%q is not a prefix length from 0 to %d", bits, a.BitLen())
		}
		prefix = netip.PrefixFrom(a, n)
		if prefix.Masked() != prefix {
			return hostPattern{}, fmt.Errorf("range %s has bits set past its prefix length: write %s", prefix, prefix.Masked())
		}
	}
	if v := classify(a); v.never && prefix.IsSingleIP() {
		return hostPattern{}, fmt.Errorf("%s is %s, which apps may never reach", a, v.reason)
	}
	return hostPattern{prefix: prefix}, nil
}

func parsePortPattern(port string) (lo, hi uint16, err error) {
	if port == "*" {
		return 1, 65535, nil
	}
	if a, b, ok := strings.Cut(port, ".."); ok {
		l, err1 := parsePort(a)
		h, err2 := strconv.ParseUint(b, 10, 17)
		if err1 != nil || err2 != nil || h > 65536 || strings.TrimLeft(b, "0123456789") != "" {
			return 0, 0, fmt.Errorf("port range %q: write two numbers from 1 to 65535, like \"8000..8100\" (the end excluded)", port)
		}
		if h <= uint64(l) {
			return 0, 0, fmt.Errorf("port range %q is empty: the end is excluded, so write a larger end, like \"%d..%d\"", port, l, l+1)
		}
		return l, uint16(h - 1), nil
	}
	p, err := parsePort(port)
	if err != nil {
		return 0, 0, fmt.Errorf("%v, a range like \"8000..8100\", or \"*\"", err)
	}
	return p, p, nil
}
