package wisp

import (
	"fmt"
	"path"
	"strings"
)

// PrefixSuffix marks a prefix route: "/api/..." matches "/api" and every
// path below it. "/..." alone matches every path.
const PrefixSuffix = "/..."

// Route says which requests an app answers. Its text form is
// "[HOST]/PATH" for an exact path or "[HOST]/PATH/..." for a prefix, for
// example "/hello", "/api/...", "shop.example.com/...". A route without a
// host matches any host; a route with one matches only requests whose Host
// header (port removed, case folded) equals it.
//
// When several routes match a request, the most specific wins: a route with
// a host over one without, an exact path over a prefix, a longer prefix over
// a shorter one. Two apps may not declare the same route.
type Route struct {
	Host   string // lower case, no port; empty matches any host
	Path   string // clean absolute path, without the "/..." of a prefix
	Prefix bool   // path and everything below it
}

// ParseRoute parses the text form described on [Route].
func ParseRoute(s string) (Route, error) {
	var r Route
	rest := strings.TrimSpace(s)
	if rest == "" {
		return r, fmt.Errorf("route is empty: use a path like \"/hello\" or a prefix like \"/api/...\"")
	}
	if !strings.HasPrefix(rest, "/") {
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			return r, noSlashError(s, rest)
		}
		r.Host, rest = strings.ToLower(rest[:i]), rest[i:]
		if err := checkHost(r.Host); err != nil {
			return Route{}, fmt.Errorf("route %q: %w", s, err)
		}
	}
	if rest == PrefixSuffix {
		r.Path, r.Prefix = "/", true
		return r, nil
	}
	if strings.HasSuffix(rest, PrefixSuffix) {
		r.Prefix = true
		rest = strings.TrimSuffix(rest, PrefixSuffix)
	}
	if strings.Contains(rest, "...") {
		return Route{}, fmt.Errorf("route %q: \"...\" may only end a route, as in \"/api/...\"", s)
	}
	for _, seg := range strings.Split(rest[1:], "/") {
		if seg == "" && rest != "/" {
			return Route{}, fmt.Errorf("route %q has an empty path segment (\"//\" or a trailing \"/\"); write it as %q", s, path.Clean(rest))
		}
		if seg == "." || seg == ".." {
			return Route{}, fmt.Errorf("route %q contains %q; use a clean absolute path", s, seg)
		}
	}
	for _, c := range rest {
		if c <= ' ' || c == 0x7f || c == '?' || c == '#' || c == '%' {
			return Route{}, fmt.Errorf("route %q contains %q; routes are plain paths without spaces, query, fragment or escapes", s, c)
		}
	}
	r.Path = rest
	return r, nil
}

// noSlashError reports route s, rest once trimmed, which has no "/": it
// was most likely meant as a path, or, with a dot, perhaps as a host.
func noSlashError(s, rest string) error {
	if strings.Contains(rest, ".") {
		return fmt.Errorf("route %q: routes start with \"/\", or with a host then \"/\"; did you mean %q, or %q for every path on that host?", s, "/"+rest, rest+PrefixSuffix)
	}
	return fmt.Errorf("route %q: routes start with \"/\"; did you mean %q?", s, "/"+rest)
}

func checkHost(h string) error {
	if h == "" {
		return fmt.Errorf("host is empty")
	}
	if strings.Contains(h, ":") {
		return fmt.Errorf("host %q must not include a port; routes match any port", h)
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return fmt.Errorf("host %q may only contain letters, digits, '-' and '.'", h)
		}
	}
	return nil
}

// String returns the text form accepted by [ParseRoute].
func (r Route) String() string {
	p := r.Path
	if r.Prefix {
		if p == "/" {
			p = PrefixSuffix
		} else {
			p += PrefixSuffix
		}
	}
	return r.Host + p
}

// MarshalText implements encoding.TextMarshaler.
func (r Route) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Route) UnmarshalText(text []byte) error {
	v, err := ParseRoute(string(text))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Matches reports whether the route matches a request for host (lower case,
// port removed) and the cleaned absolute path.
func (r Route) Matches(host, path string) bool {
	if r.Host != "" && r.Host != host {
		return false
	}
	if !r.Prefix {
		return path == r.Path
	}
	if r.Path == "/" {
		return true
	}
	return path == r.Path || strings.HasPrefix(path, r.Path) && path[len(r.Path)] == '/'
}

// specificity orders matching routes: higher wins.
func (r Route) specificity() int {
	s := len(r.Path) * 2
	if !r.Prefix {
		s++ // an exact path beats a prefix of the same length
	}
	if r.Host != "" {
		s += 1 << 20
	}
	return s
}
