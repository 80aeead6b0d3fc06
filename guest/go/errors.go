package wisp

import (
	"errors"
	"strconv"
)

// Code is a status code of the guest ABI: what a host call answered
// (docs/guest-abi.md, "Status codes").
type Code uint32

// The status codes of the guest ABI.
const (
	CodeOK             Code = 0
	CodeNotFound       Code = 1
	CodeBufferTooSmall Code = 2
	CodeDenied         Code = 3
	CodeInvalid        Code = 4
	CodeLimit          Code = 5
	CodeUnavailable    Code = 6
	CodeTimeout        Code = 7
	CodeFault          Code = 8
	CodeConflict       Code = 9
)

// String returns the code's name in words, such as "not found", or
// "status N" for a code the ABI does not define.
func (c Code) String() string {
	switch c {
	case CodeOK:
		return "ok"
	case CodeNotFound:
		return "not found"
	case CodeBufferTooSmall:
		return "buffer too small"
	case CodeDenied:
		return "denied"
	case CodeInvalid:
		return "invalid"
	case CodeLimit:
		return "limit reached"
	case CodeUnavailable:
		return "unavailable"
	case CodeTimeout:
		return "timeout"
	case CodeFault:
		return "fault"
	case CodeConflict:
		return "conflict"
	}
	return "status " + strconv.FormatUint(uint64(c), 10)
}

// Errors a host call can fail with. Every error the SDK returns for a
// failed host call is an *Error, which matches the sentinel of its Code
// with errors.Is:
//
//	v, err := kv.Get("user:1")
//	if errors.Is(err, wisp.ErrNotFound) { ... }
var (
	// ErrNotFound: the key, variable or header does not exist (or a
	// variable is declared without a value or default).
	ErrNotFound = errors.New("not found")
	// ErrDenied: the app may not do this: a store or variable its
	// wisp.toml does not declare, an outbound URL its
	// allowed_outbound_hosts does not allow.
	ErrDenied = errors.New("denied")
	// ErrInvalid: an argument is malformed: an empty or over-long key, a
	// bad URL or header, an integer key that is not a decimal number.
	ErrInvalid = errors.New("invalid")
	// ErrLimit: a limit was reached: value or key size, keys or bytes in
	// the store, operations or outbound requests or bytes per request.
	ErrLimit = errors.New("limit reached")
	// ErrUnavailable: the backend or the network failed, or the call was
	// made where no request is being handled (a reactor's
	// initialization, or a program not running on a Wisp node); the same
	// call may succeed later.
	ErrUnavailable = errors.New("unavailable")
	// ErrTimeout: an outbound call ran out of time.
	ErrTimeout = errors.New("timeout")
	// ErrFault: the SDK passed the host memory outside the module's
	// linear memory (a bug in the SDK; please report it).
	ErrFault = errors.New("fault")
	// ErrConflict: a compare-and-swap raced with other writers too many
	// times.
	ErrConflict = errors.New("conflict")
)

// Error is a failed host call.
type Error struct {
	// Op says what was asked, such as `kv get "user:1"`.
	Op string
	// Code is the status the host answered.
	Code Code
	// Message is the host's explanation (from wisp:host/error@1.last),
	// such as `denied: http://10.0.0.1/ is a private address ...`, or ""
	// when the status says it all (not found).
	Message string
}

// Error returns "wisp: OP: MESSAGE", or "wisp: OP: CODE" without a
// message.
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Code.String()
	}
	return "wisp: " + e.Op + ": " + msg
}

// Is reports whether target is the sentinel error of e's code
// (ErrNotFound for CodeNotFound, and so on).
func (e *Error) Is(target error) bool {
	s := sentinel(e.Code)
	return s != nil && target == s
}

// sentinel returns the sentinel error of code, or nil.
func sentinel(code Code) error {
	switch code {
	case CodeNotFound:
		return ErrNotFound
	case CodeDenied:
		return ErrDenied
	case CodeInvalid:
		return ErrInvalid
	case CodeLimit:
		return ErrLimit
	case CodeUnavailable:
		return ErrUnavailable
	case CodeTimeout:
		return ErrTimeout
	case CodeFault:
		return ErrFault
	case CodeConflict:
		return ErrConflict
	}
	return nil
}

// fail returns the *Error of a call to h that answered code, with the
// host's message for codes that come with one (not for CodeNotFound,
// which the host answers without recording a message, so the last one
// would belong to an earlier call).
func fail(h host, op string, code Code) error {
	e := &Error{Op: op, Code: code}
	if code != CodeNotFound && code != CodeBufferTooSmall {
		e.Message = h.lastError()
	}
	return e
}
