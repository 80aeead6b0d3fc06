package egress

import (
	"errors"
	"fmt"
	"strings"
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
