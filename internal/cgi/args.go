package cgi

import (
	"net/http"
	"strings"
)

// Args returns the guest's argv for r as WAGI builds it: the request path,
// still percent-encoded ("/" if empty), then each '&'-separated element of
// the raw query, not decoded, empty elements included. A request without a
// query has argv[0] only. Callers that want another argv[0] may replace it.
//
// For "/env?greet=matt&x=a%20b" it returns ["/env", "greet=matt", "x=a%20b"].
func Args(r *http.Request) []string {
	if r.URL == nil {
		return []string{"/"}
	}
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	q := r.URL.RawQuery
	if q == "" {
		return []string{path}
	}
	args := make([]string, 1, 2+strings.Count(q, "&"))
	args[0] = path
	for {
		elem, rest, more := strings.Cut(q, "&")
		if strings.IndexByte(elem, 0) >= 0 {
			// Only a hand-built request can hold a raw NUL, which cannot
			// be passed in argv: write it escaped, like the path.
			elem = strings.ReplaceAll(elem, "\x00", "%00")
		}
		args = append(args, elem)
		if !more {
			return args
		}
		q = rest
	}
}
