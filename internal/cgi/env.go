package cgi

import (
	"cmp"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Match is what the gateway's router decided about a request.
type Match struct {
	// Route is the matched route as declared, such as "/api/..." or
	// "shop.example.com/..." (wisp.Route.String). It becomes
	// X_MATCHED_ROUTE.
	Route string
	// ScriptName is the route's fixed path: "/api" for "/api/...",
	// "/hello" for the exact route "/hello". A trailing "/" is ignored, so
	// the catch-all "/..." has the empty script name; wisp.Route.Path can
	// be used as is. It must be a prefix of the request path at a '/'
	// boundary, as it is when the route matched; otherwise SCRIPT_NAME is
	// still ScriptName but PATH_INFO is the whole path.
	ScriptName string
}

// Server holds the facts about the gateway that a request does not carry.
// The zero value is ready to use.
type Server struct {
	// Software is SERVER_SOFTWARE, such as "Wisp/1.2.0". Empty means "Wisp".
	Software string
	// Name and Port are SERVER_NAME and SERVER_PORT for a request without
	// a Host header (HTTP/1.0), normally from the listener's address.
	// Empty means "localhost" and the scheme's default port.
	Name, Port string
	// TLS says that clients reach the gateway over HTTPS even when r.TLS
	// is nil because TLS ends in front of it (a load balancer). A request
	// with r.TLS set is always HTTPS.
	TLS bool
}

// Env returns the CGI environment of r as "KEY=VALUE" strings, in the
// stable order described in the package documentation. It reads r's URL,
// Host, headers, RemoteAddr, Proto, TLS and ContentLength, never its body.
func Env(r *http.Request, m Match, s Server) []string {
	return AppendEnv(nil, r, m, s)
}

// AppendEnv appends the CGI environment of r, as [Env] returns it, to dst
// and returns the extended slice. The strings share one backing buffer:
// this costs a few allocations per request rather than one per variable.
func AppendEnv(dst []string, r *http.Request, m Match, s Server) []string {
	u := r.URL
	if u == nil {
		u = &url.URL{}
	}
	https := r.TLS != nil || s.TLS
	scheme, defaultPort := "http", "80"
	if https {
		scheme, defaultPort = "https", "443"
	}
	name, port := SplitHost(r.Host)
	if name == "" {
		name, port = s.Name, s.Port
		if name == "" {
			name = "localhost"
		}
	}
	if port == "" {
		port = defaultPort
	}
	rawPath := u.EscapedPath()
	script, pathInfo, rawPathInfo := splitPath(u.Path, rawPath, m.ScriptName)
	if rawPath == "" {
		rawPath = "/"
	}
	remoteAddr, remotePort, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		remoteAddr, remotePort = r.RemoteAddr, ""
	}

	// Pick the headers to pass, sorted so the output is stable. The array
	// keeps the common case off the heap.
	var keyArray [32]string
	keys := keyArray[:0]
	var contentType string
	size := 512 + 2*len(r.Host) + 3*len(rawPath) + 2*len(u.RawQuery) + len(m.Route) + len(s.Software)
	conn := r.Header["Connection"]
	for k, vv := range r.Header {
		switch {
		case len(vv) == 0:
		case strings.EqualFold(k, "Content-Type"):
			contentType = vv[0]
		case strings.EqualFold(k, "Content-Length"), strings.EqualFold(k, "Host"),
			isHopByHop(k), listedIn(conn, k),
			badNameByte(k) >= 0, strings.IndexByte(k, '_') >= 0:
		default:
			keys = append(keys, k)
			size += len(k) + 6
			for _, v := range vv {
				size += len(v) + 2
			}
		}
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := compareEnvName(a, b); c != 0 {
			return c
		}
		return strings.Compare(a, b) // "X-A" before "x-a": stable output
	})

	w := envWriter{ends: make([]int, 0, 26+len(keys))}
	w.b.Grow(size)
	w.add("GATEWAY_INTERFACE", "CGI/1.1")
	w.add("SERVER_SOFTWARE", cmp.Or(s.Software, "Wisp"))
	w.add("SERVER_NAME", name)
	w.add("SERVER_PORT", port)
	w.add("SERVER_PROTOCOL", cmp.Or(r.Proto, "HTTP/1.1"))
	if https {
		w.add("HTTPS", "on")
	}
	w.add("REQUEST_METHOD", cmp.Or(r.Method, http.MethodGet))
	w.start("REQUEST_URI")
	w.writeRequestURI(rawPath, u)
	w.end()
	w.add("SCRIPT_NAME", script)
	w.add("PATH_INFO", pathInfo)
	w.add("PATH_TRANSLATED", pathInfo)
	w.add("QUERY_STRING", u.RawQuery)
	w.add("REMOTE_ADDR", remoteAddr)
	w.add("REMOTE_HOST", remoteAddr)
	if remotePort != "" {
		w.add("REMOTE_PORT", remotePort)
	}
	w.add("AUTH_TYPE", "")
	w.add("REMOTE_USER", "")
	w.add("CONTENT_TYPE", contentType)
	if r.ContentLength >= 0 {
		w.start("CONTENT_LENGTH")
		var digits [20]byte
		w.b.Write(strconv.AppendInt(digits[:0], r.ContentLength, 10))
		w.end()
	}
	w.add("X_MATCHED_ROUTE", m.Route)
	w.start("X_FULL_URL")
	w.b.WriteString(scheme)
	w.b.WriteString("://")
	if r.Host != "" {
		w.value(r.Host)
	} else {
		w.value(name)
		if port != defaultPort {
			w.b.WriteByte(':')
			w.value(port)
		}
	}
	w.writeRequestURI(rawPath, u)
	w.end()
	w.add("X_RAW_PATH_INFO", rawPathInfo)
	if r.Host != "" {
		w.add("HTTP_HOST", r.Host)
	}
	for i, k := range keys {
		sep := ", "
		if strings.EqualFold(k, "Cookie") {
			sep = "; "
		}
		if i > 0 && compareEnvName(keys[i-1], k) == 0 {
			// Two spellings of one name ("x-a" and "X-A"), possible only in
			// a hand-built request: continue the previous variable.
			w.b.WriteString(sep)
		} else {
			w.b.WriteString("HTTP_")
			for j := 0; j < len(k); j++ {
				w.b.WriteByte(envNameByte(k[j]))
			}
			w.b.WriteByte('=')
			w.ends = append(w.ends, -1) // placeholder, set by end below
		}
		for j, v := range r.Header[k] {
			if j > 0 {
				w.b.WriteString(sep)
			}
			w.value(v)
		}
		w.ends[len(w.ends)-1] = w.b.Len()
	}
	return w.appendTo(dst)
}

// splitPath splits the request path into SCRIPT_NAME, PATH_INFO and
// X_RAW_PATH_INFO.
func splitPath(path, rawPath, scriptName string) (script, pathInfo, rawPathInfo string) {
	script = strings.TrimSuffix(scriptName, "/")
	if !hasPathPrefix(path, script) {
		return script, path, rawPath
	}
	pathInfo = path[len(script):]
	// The raw path has the same prefix unless the script name itself holds
	// bytes that the raw path escapes ("/café" is "/caf%C3%A9"), or the
	// client escaped bytes that need no escaping. Then escape PATH_INFO
	// afresh.
	if hasPathPrefix(rawPath, script) {
		return script, pathInfo, rawPath[len(script):]
	}
	return script, pathInfo, (&url.URL{Path: pathInfo}).EscapedPath()
}

// hasPathPrefix reports whether path is prefix or below it.
func hasPathPrefix(path, prefix string) bool {
	return strings.HasPrefix(path, prefix) && (len(path) == len(prefix) || prefix == "" || path[len(prefix)] == '/')
}

// envNameByte maps a byte of a header name to its byte in the variable
// name: letters are upper-cased and '-' becomes '_'.
func envNameByte(c byte) byte {
	switch {
	case 'a' <= c && c <= 'z':
		return c - 'a' + 'A'
	case c == '-':
		return '_'
	}
	return c
}

// compareEnvName orders header names by the variable names they become.
func compareEnvName(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if ca, cb := envNameByte(a[i]), envNameByte(b[i]); ca != cb {
			return int(ca) - int(cb)
		}
	}
	return len(a) - len(b)
}

// envWriter writes "KEY=VALUE" strings one after the other into a single
// buffer and remembers where each ends, so the result is one allocation
// sliced into many strings.
type envWriter struct {
	b    strings.Builder
	ends []int // end offset in b of each variable written so far
}

// add writes the variable key=value.
func (w *envWriter) add(key, value string) {
	w.start(key)
	w.value(value)
	w.end()
}

// start begins the variable key; write its value, then call end.
func (w *envWriter) start(key string) {
	w.b.WriteString(key)
	w.b.WriteByte('=')
}

func (w *envWriter) end() { w.ends = append(w.ends, w.b.Len()) }

// value writes v with each NUL byte, which cannot appear in an environment
// string, written as "%00".
func (w *envWriter) value(v string) {
	for {
		i := strings.IndexByte(v, 0)
		if i < 0 {
			w.b.WriteString(v)
			return
		}
		w.b.WriteString(v[:i])
		w.b.WriteString("%00")
		v = v[i+1:]
	}
}

// writeRequestURI writes the escaped path and the query of u.
func (w *envWriter) writeRequestURI(rawPath string, u *url.URL) {
	w.b.WriteString(rawPath)
	if u.RawQuery != "" || u.ForceQuery {
		w.b.WriteByte('?')
		w.value(u.RawQuery)
	}
}

// appendTo appends the written variables to dst.
func (w *envWriter) appendTo(dst []string) []string {
	all := w.b.String()
	dst = slices.Grow(dst, len(w.ends))
	start := 0
	for _, end := range w.ends {
		dst = append(dst, all[start:end])
		start = end
	}
	return dst
}
