package egress

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// The kinds of failure. Every error this package returns matches exactly one
// of them with errors.Is; its message starts with the kind's word and then
// says what was refused and how to fix it. They map one to one onto the
// guest ABI's status codes (docs/guest-abi.md).
var (
	// ErrDenied: the app may not make this request. Its URL, or the
	// address its host resolves to, is not allowed by the app's
	// allowed_outbound_hosts and the node's rules on addresses, or the
	// request tries to steer itself elsewhere (a Host header).
	ErrDenied = errors.New("denied")
	// ErrInvalid: the request is malformed (a bad URL, method or header)
	// or an allowed_outbound_hosts pattern is.
	ErrInvalid = errors.New("invalid")
	// ErrLimit: a per-invocation budget (requests, bytes) or the redirect
	// limit was reached.
	ErrLimit = errors.New("limit")
	// ErrTimeout: the request ran out of time (the context's deadline,
	// which the node sets to the app's timeout).
	ErrTimeout = errors.New("timeout")
	// ErrUnavailable: the network or the server failed (no such host, a
	// refused connection, a TLS failure); the same request may succeed
	// later.
	ErrUnavailable = errors.New("unavailable")
)

// kindError carries a complete message and matches its kind (and the cause,
// if any) with errors.Is and errors.As.
type kindError struct {
	kind  error
	msg   string
	cause error
}

func (e *kindError) Error() string { return e.msg }

func (e *kindError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

// fail returns an error of the given kind whose message is the kind's word,
// ": ", and the formatted text. A %w operand is kept as the cause.
func fail(kind error, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &kindError{kind: kind, msg: kind.Error() + ": " + err.Error(), cause: errors.Unwrap(err)}
}

// within returns err with context put before its detail: "denied: ctx:
// detail" rather than "denied: ctx: denied: detail". Errors of other types
// are returned as they are.
func within(context string, err error) error {
	ke, ok := err.(*kindError)
	if !ok {
		return err
	}
	detail := strings.TrimPrefix(ke.msg, ke.kind.Error()+": ")
	return &kindError{kind: ke.kind, msg: ke.kind.Error() + ": " + context + ": " + detail, cause: ke.cause}
}

// MaxShownURL is how many bytes of a URL an error message shows at most.
const MaxShownURL = 200

// ShowURL returns rawURL as an error message or a log line may show it:
// without its query and fragment, where tokens travel (a guest's last
// error can reach public clients, and logs are read by many), its password
// hidden, and cut to MaxShownURL bytes, "..." marking a cut. It serves
// callers quoting a URL they could not hand to Client.Do, such as a
// malformed one; the package's own messages show URLs this way.
func ShowURL(rawURL string) string {
	s := rawURL
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if u, err := url.Parse(s); err == nil {
		return showURL(u)
	}
	// Unparsable: hide what would be a password in user info.
	if _, rest, ok := strings.Cut(s, "://"); ok {
		authority, _, _ := strings.Cut(rest, "/")
		if at := strings.LastIndexByte(authority, '@'); at >= 0 {
			if colon := strings.IndexByte(authority[:at], ':'); colon >= 0 {
				start := len(s) - len(rest) + colon + 1
				s = s[:start] + "xxxxx" + s[start+at-colon-1:]
			}
		}
	}
	return cutText(s, MaxShownURL)
}

// showURL is ShowURL for a parsed URL.
func showURL(u *url.URL) string {
	c := *u
	c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = "", false, "", ""
	return cutText(c.Redacted(), MaxShownURL)
}

// cutText returns s cut to at most max bytes, on a UTF-8 boundary, ending
// in "..." if it was cut.
func cutText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	end := max - len("...")
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end] + "..."
}
