// Package cgi maps HTTP requests to CGI/WAGI guest input and a guest's
// output back to an HTTP response. It is pure: it runs no guest, does no
// I/O and keeps no state, so every function is safe for concurrent use.
//
// The mapping follows RFC 3875 (CGI 1.1) as extended by WAGI
// (github.com/deislabs/wagi), so WAGI modules run unchanged. Where the two
// differ, or where RFC 3875 leaves room, the choices below hold.
//
// # Request: environment ([Env], [AppendEnv])
//
// Every request gets these variables, always in this order, set even when
// empty (WAGI sets them all, and guests written for it read them without
// checking):
//
//	GATEWAY_INTERFACE  CGI/1.1
//	SERVER_SOFTWARE    Server.Software, or "Wisp"
//	SERVER_NAME        host of the Host header (IPv6 keeps its brackets);
//	                   without a Host header, Server.Name, or "localhost"
//	SERVER_PORT        port of the Host header; without one, the scheme's
//	                   default (80, 443), or Server.Port when there is no Host
//	SERVER_PROTOCOL    r.Proto, such as "HTTP/1.1" or "HTTP/2.0"
//	HTTPS              "on", only for HTTPS requests (r.TLS set or Server.TLS)
//	REQUEST_METHOD     r.Method
//	REQUEST_URI        escaped path and query, as sent ("/api/x%20y?a=1")
//	SCRIPT_NAME        Match.ScriptName without a trailing "/" ("/api", "")
//	PATH_INFO          the decoded request path after SCRIPT_NAME ("/x y")
//	PATH_TRANSLATED    same as PATH_INFO: the guest has no host file system
//	QUERY_STRING       the raw query, without "?"
//	REMOTE_ADDR        client IP from r.RemoteAddr (IPv6 without brackets)
//	REMOTE_HOST        same as REMOTE_ADDR: no reverse DNS lookups
//	REMOTE_PORT        client port, only when r.RemoteAddr has one
//	AUTH_TYPE          "" (see below)
//	REMOTE_USER        "" (see below)
//	CONTENT_TYPE       the Content-Type header, or ""
//	CONTENT_LENGTH     r.ContentLength, only when known (>= 0)
//	X_MATCHED_ROUTE    Match.Route, the route as declared ("/api/...")
//	X_FULL_URL         scheme://host/path?query as the client asked for it
//	X_RAW_PATH_INFO    PATH_INFO still percent-encoded ("/x%20y")
//	HTTP_HOST          r.Host, when the request has one
//	HTTP_*             the other request headers, sorted by name
//
// SCRIPT_NAME + PATH_INFO is the request path. For an exact route
// ("/hello") SCRIPT_NAME is the whole path and PATH_INFO is empty; for a
// prefix route ("/api/...") PATH_INFO is the rest ("" or "/v1/users"; the
// gateway cleans the path first, so "/api/" and "/api" both give "");
// the catch-all "/..." has an empty SCRIPT_NAME (WAGI would say "/", which
// breaks SCRIPT_NAME + PATH_INFO). CONTENT_LENGTH is only set when the
// length is known: a gateway that read a whole chunked body first should
// set r.ContentLength to its length before calling Env.
//
// Request headers become HTTP_ + the name upper-cased with '-' turned into
// '_'. A header's values are joined with ", " (Cookie with "; ", as RFC 6265
// asks). These headers are not passed:
//
//   - Proxy: a guest's HTTP client could take HTTP_PROXY as its proxy
//     setting ("httpoxy", CVE-2016-5385).
//   - Hop-by-hop headers, which are about the connection to the gateway,
//     not the request: Connection and every header it lists, Keep-Alive,
//     Proxy-* (Proxy-Authorization, Proxy-Connection...), TE, Trailer,
//     Transfer-Encoding and Upgrade.
//   - Content-Type and Content-Length, which are CONTENT_TYPE and
//     CONTENT_LENGTH only (RFC 3875 4.1.18); Host, which is HTTP_HOST from
//     r.Host.
//   - Headers whose name contains '_': "X-User" and "X_User" would both be
//     HTTP_X_USER, letting a client smuggle a value past a proxy that
//     strips or sets "X-User". Apache and nginx drop them too.
//   - Headers whose name is not an RFC 7230 token (net/http never lets
//     them through; this guards requests built by hand).
//
// Authorization IS passed, as HTTP_AUTHORIZATION, although RFC 3875
// suggests not to (and WAGI drops it). That advice protects credentials
// from scripts on a web server that did the authentication itself. Wisp
// authenticates nobody: the app is the origin server the client sent its
// credentials to, and dropping them would make bearer-token or Basic auth
// impossible to implement in an app. For the same reason AUTH_TYPE and
// REMOTE_USER are always empty: the gateway vouches for no user, and
// filling REMOTE_USER from an unchecked Basic header would invite apps to
// trust it.
//
// No variable name or value contains a NUL byte (the WASI environment is
// NUL-terminated): a NUL in a value, which can only come from a decoded
// "%00" in the path, is written as "%00".
//
// # Request: arguments ([Args])
//
// As in WAGI, argv[0] is the request path, still percent-encoded, and each
// '&'-separated element of the raw query follows, NOT percent-decoded and
// including empty elements: "/env?greet=matt&x=a%20b" gives
// ["/env", "greet=matt", "x=a%20b"]. (Spin's WAGI executor decodes and
// splits "k=v" into two arguments; WAGI itself does not, and Wisp follows
// WAGI.) The body is the guest's stdin, which the gateway provides.
//
// # Response ([ParseResponse])
//
// A guest answers by writing to stdout a header block, a blank line and
// the body. Header lines end with "\n" ("\r\n" is accepted). The header
// needs at least one of Content-Type, Location and Status. The status is
// that of "Status: NNN [reason]" (the reason phrase is ignored: Go sends
// its own), else 302 Found when Location is present, else 200 OK.
//
// A malformed response is refused as a whole rather than repaired, so a
// guest bug fails loudly instead of sending something half right. The
// error names the line and the problem and wraps one of:
//
//   - [ErrNoHeader]: empty output, output that does not start with a
//     header line, no blank line before the output ends, or none of
//     Content-Type, Location and Status. The app did not speak CGI at all.
//   - [ErrBadHeader]: a line without ':', a name that is not a token
//     (spaces, continuation lines), a value with a control character (bare
//     CR, NUL...), Content-Type or Location given twice, an empty Location,
//     more than [MaxHeaderLines] lines or more than [MaxHeaderBytes] bytes.
//   - [ErrBadStatus]: a Status that is not three digits optionally followed
//     by a space and a reason, that is given twice, or that is below 200:
//     1xx statuses are informational (101 would switch protocols) and can
//     never end a CGI response.
//
// Headers the guest must not control are dropped silently after
// validation: the hop-by-hop headers listed above, and Content-Length,
// which goes to [Response.ContentLength] instead (the gateway frames the
// body itself, and uses it only for a response it streams). A Location that is a local path is sent
// to the client as a redirect: internal redirects (RFC 3875 6.2.2) are not
// supported.
package cgi
