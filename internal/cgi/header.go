package cgi

import "strings"

// isTokenByte reports whether c may appear in an RFC 7230 token, the
// syntax of a header field name.
func isTokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// badNameByte returns the index of the first byte of name that may not
// appear in a header field name, or -1 if name is a non-empty token.
func badNameByte(name string) int {
	if name == "" {
		return 0
	}
	for i := 0; i < len(name); i++ {
		if !isTokenByte(name[i]) {
			return i
		}
	}
	return -1
}

// badValueByte returns the index of the first control character (other
// than horizontal tab) in a header field value, or -1 if there is none.
// Bytes from 0x80 up (obs-text) are allowed, as net/http allows them.
func badValueByte(v string) int {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return i
		}
	}
	return -1
}

// isHopByHop reports whether the header with this name (any case) is about
// one connection rather than the message, so that a gateway must neither
// forward it to the guest nor take it from the guest. "Proxy" itself is
// included: as HTTP_PROXY it would become the guest's proxy setting.
func isHopByHop(name string) bool {
	switch {
	case strings.EqualFold(name, "Connection"),
		strings.EqualFold(name, "Keep-Alive"),
		strings.EqualFold(name, "TE"),
		strings.EqualFold(name, "Trailer"),
		strings.EqualFold(name, "Transfer-Encoding"),
		strings.EqualFold(name, "Upgrade"):
		return true
	}
	return len(name) >= 5 && strings.EqualFold(name[:5], "Proxy") && (len(name) == 5 || name[5] == '-')
}

// listedIn reports whether name (any case) is one of the comma-separated
// tokens of the Connection header values conn.
func listedIn(conn []string, name string) bool {
	for _, v := range conn {
		for v != "" {
			var tok string
			tok, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(strings.Trim(tok, " \t"), name) {
				return true
			}
		}
	}
	return false
}

// SplitHost splits a Host header value into the name and port parts.
// Unlike net.SplitHostPort it accepts a host without a port, and it keeps
// the brackets of an IPv6 literal, which SERVER_NAME requires (RFC 3875
// 4.1.14): "[::1]:8080" gives "[::1]" and "8080", "example.com" gives
// "example.com" and "". A port that is not all digits is dropped.
func SplitHost(host string) (name, port string) {
	// The port follows the last ':' after an IPv6 literal's ']'. A bare
	// IPv6 address (invalid in Host, but possible) has several colons and
	// no brackets: all of it is the name.
	i := strings.LastIndexByte(host, ':')
	if i < 0 || i < strings.LastIndexByte(host, ']') ||
		host[0] != '[' && strings.IndexByte(host, ':') != i {
		return host, ""
	}
	name, port = host[:i], host[i+1:]
	for j := 0; j < len(port); j++ {
		if port[j] < '0' || port[j] > '9' {
			return name, ""
		}
	}
	return name, port
}
