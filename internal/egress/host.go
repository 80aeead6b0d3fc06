package egress

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// target is a request URL whose form passed the checks: http or https, no
// user info, a host that is either a valid DNS name or an IP address in its
// standard form, a port in range.
type target struct {
	url    *url.URL   // the URL to send, its host in canonical form
	scheme string     // "http" or "https"
	host   string     // lower-case name, or the IP address's text
	ip     netip.Addr // the host, if it is an IP address
	port   uint16     // explicit or the scheme's default
}

// authority returns host[:port] as a pattern or a URL writes it: IPv6 in
// brackets, the port only if it is not the scheme's default.
func (t target) authority() string {
	h := t.host
	if t.ip.Is6() {
		h = "[" + h + "]"
	}
	if t.port != defaultPort(t.scheme) {
		h += ":" + strconv.Itoa(int(t.port))
	}
	return h
}

// origin is the pattern that allows exactly this target's scheme, host and
// port, as error messages suggest it.
func (t target) origin() string { return t.scheme + "://" + t.authority() }

func defaultPort(scheme string) uint16 {
	if scheme == "https" {
		return 443
	}
	return 80
}

// checkURL checks the form of a request URL and returns it with its host in
// canonical form. Everything it refuses wraps ErrInvalid; nothing it
// refuses is ever looked up or dialled.
func checkURL(u *url.URL) (target, error) {
	shown := showURL(u)
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "http" && scheme != "https":
		if scheme == "" {
			return target{}, fail(ErrInvalid, "%q is not an absolute URL: write it like \"https://api.example.com/path\"", shown)
		}
		return target{}, fail(ErrInvalid, "%s: scheme %q is not supported: outbound HTTP sends http and https URLs", shown, u.Scheme)
	case u.Opaque != "" || u.Host == "":
		return target{}, fail(ErrInvalid, "%s has no host: write it like \"%s://api.example.com/path\"", shown, scheme)
	case u.User != nil:
		return target{}, fail(ErrInvalid, "%s has user info before '@', so its host is %q: write the host alone and send credentials in an Authorization header", shown, u.Hostname())
	}
	name, portText, err := splitAuthority(u.Host)
	if err != nil {
		return target{}, fail(ErrInvalid, "%s: %v", shown, err)
	}
	t := target{scheme: scheme, port: defaultPort(scheme)}
	if portText != "" {
		p, err := parsePort(portText)
		if err != nil {
			return target{}, fail(ErrInvalid, "%s: %v", shown, err)
		}
		t.port = p
	}
	t.host, t.ip, err = checkHost(name)
	if err != nil {
		return target{}, fail(ErrInvalid, "%s: %v", shown, err)
	}
	canon := *u
	canon.Scheme = scheme
	canon.Host = t.host
	if t.ip.Is6() {
		canon.Host = "[" + t.host + "]"
	}
	if portText != "" {
		canon.Host += ":" + strconv.Itoa(int(t.port))
	}
	canon.Fragment, canon.RawFragment = "", ""
	t.url = &canon
	return t, nil
}

// splitAuthority splits "host", "host:port", "[v6]" or "[v6]:port". The
// host keeps its brackets.
func splitAuthority(hostport string) (host, port string, err error) {
	if strings.HasPrefix(hostport, "[") {
		end := strings.IndexByte(hostport, ']')
		if end < 0 {
			return "", "", fmt.Errorf("host %q has no closing ']'", hostport)
		}
		host, rest := hostport[:end+1], hostport[end+1:]
		if rest == "" {
			return host, "", nil
		}
		if rest[0] != ':' {
			return "", "", fmt.Errorf("unexpected %q after the address %s", rest, host)
		}
		return host, rest[1:], nil
	}
	host, port, found := strings.Cut(hostport, ":")
	if found && strings.Contains(port, ":") {
		return "", "", fmt.Errorf("host %q has several colons: write IPv6 addresses in brackets, like \"[2001:db8::1]\"", hostport)
	}
	return host, port, nil
}

// parsePort parses a port number from 1 to 65535.
func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("port %q is not a number from 1 to 65535", s)
	}
	return uint16(n), nil
}

// checkHost checks one host as written in a URL or a pattern (IPv6 in
// brackets) and returns its canonical text and, for an address, the
// address. It refuses every form a resolver or a URL parser elsewhere might
// read as a different host: non-standard IPv4 forms ("127.1", "0x7f.1",
// "2130706433", "0177.0.0.1"), IPv4-mapped IPv6 literals, zones, trailing
// dots, percent signs, non-ASCII text.
func checkHost(h string) (string, netip.Addr, error) {
	if h == "" {
		return "", netip.Addr{}, fmt.Errorf("the host is empty")
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		inner := h[1 : len(h)-1]
		if strings.ContainsAny(inner, "%") {
			return "", netip.Addr{}, fmt.Errorf("host %s has a zone or a percent sign: write a global IPv6 address without them", h)
		}
		a, err := netip.ParseAddr(inner)
		if err != nil || !a.Is6() {
			return "", netip.Addr{}, fmt.Errorf("host %s is not an IPv6 address", h)
		}
		if a.Is4In6() {
			return "", netip.Addr{}, fmt.Errorf("host %s is an IPv4-mapped IPv6 address: write the IPv4 address itself (%s)", h, a.Unmap())
		}
		return a.String(), a, nil
	}
	for _, r := range h {
		if r >= 0x80 {
			return "", netip.Addr{}, fmt.Errorf("host %q is not ASCII: write an internationalised name in its ASCII form (\"xn--...\")", h)
		}
	}
	if strings.Contains(h, "%") {
		return "", netip.Addr{}, fmt.Errorf("host %q is percent-encoded: write it plainly", h)
	}
	if a, err := netip.ParseAddr(h); err == nil && a.Is4() {
		return a.String(), a, nil
	}
	lower := strings.ToLower(h)
	if strings.HasSuffix(lower, ".") && lower != "." {
		return "", netip.Addr{}, fmt.Errorf("host %q ends with a dot: write it without (%q)", h, strings.TrimSuffix(h, "."))
	}
	if lower == "localhost" || strings.HasSuffix(lower, ".localhost") {
		// Resolved from /etc/hosts, if at all, and always this machine
		// (RFC 6761): the address is what a pattern must name.
		return "", netip.Addr{}, fmt.Errorf("host %q is this machine's own name: call 127.0.0.1 (or [::1]) and name that address in allowed_outbound_hosts, like \"http://127.0.0.1:9000\"", h)
	}
	if looksNumeric(lower) {
		if a, ok := looseIPv4(lower); ok {
			return "", netip.Addr{}, fmt.Errorf("host %q is the IPv4 address %s in a non-standard form: write it as four decimal numbers (%q)", h, a, a.String())
		}
		return "", netip.Addr{}, fmt.Errorf("host %q ends in a number, so resolvers may read it as an IPv4 address: write a host name or an address as four decimal numbers", h)
	}
	if err := checkName(lower); err != nil {
		return "", netip.Addr{}, err
	}
	return lower, netip.Addr{}, nil
}

// checkName checks a DNS name: labels of 1 to 63 letters, digits, '-' and
// '_', not starting or ending with '-', 253 bytes in all.
func checkName(name string) error {
	if len(name) > 253 {
		return fmt.Errorf("host %.40q... is longer than 253 bytes", name)
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("host %q is not a valid host name: its labels (between dots) must be 1 to 63 characters", name)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("host %q is not a valid host name: a label may not start or end with '-'", name)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("host %q is not a valid host name: %q is not allowed (use letters, digits, '-', '.')", name, c)
			}
		}
	}
	return nil
}

// looksNumeric reports whether a host's last label is a number (decimal,
// or hexadecimal with 0x), which URL parsers and C resolvers (inet_aton)
// read as an IPv4 address. No real top-level domain is numeric.
func looksNumeric(host string) bool {
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return false
	}
	if strings.HasPrefix(last, "0x") {
		return strings.TrimLeft(last[2:], "0123456789abcdef") == ""
	}
	return strings.TrimLeft(last, "0123456789") == ""
}

// looseIPv4 reads host the way inet_aton and the WHATWG URL standard do:
// one to four parts, each decimal, octal (leading 0) or hexadecimal (0x),
// the last filling the remaining bytes. It only serves to tell a user which
// address a disguised form means; such hosts are always refused.
func looseIPv4(host string) (netip.Addr, bool) {
	parts := strings.Split(host, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		base := 10
		switch {
		case strings.HasPrefix(p, "0x"):
			p, base = p[2:], 16
			if p == "" {
				p = "0"
			}
		case len(p) > 1 && p[0] == '0':
			p, base = p[1:], 8
		}
		n, err := strconv.ParseUint(p, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		nums[i] = n
	}
	var v uint64
	for i, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, false
		}
		v |= n << (8 * (3 - i))
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, false
	}
	v |= last
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}
