package wisp

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned when an app, version or blob does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a change loses a race (the stored revision
// moved on since it was read) or would clash with existing state, such as
// two apps claiming the same route.
var ErrConflict = errors.New("conflict")

// ErrInvalid is returned for input that can never succeed as given: a
// malformed module, a bad app name, a route or limit out of range. The
// wrapping error says what was wrong and how to fix it.
var ErrInvalid = errors.New("invalid")

// ErrTooLarge is returned when an upload, request body or guest output
// exceeds its size limit.
var ErrTooLarge = errors.New("too large")

// ErrTimeout is returned when a guest runs past its wall-clock limit. The
// instance is killed.
var ErrTimeout = errors.New("timed out")

// ErrCPULimit is returned when a guest uses more CPU than its limits.cpu
// allows, counted as fuel (docs/cpu.md). The instance is stopped. The
// gateway answers 503. The same request uses the same fuel every time, so
// retrying it fails again.
var ErrCPULimit = errors.New("cpu limit exceeded")

// ErrOverloaded is returned when an app is at its concurrency limit and its
// wait queue is full, or no slot came free within its timeout.
var ErrOverloaded = errors.New("overloaded")

// ErrUnavailable is returned when the store cannot be reached (a fleet's
// NATS servers are down or partitioned away). The node goes on serving
// the apps it has; changes can be retried once the store is back.
var ErrUnavailable = errors.New("unavailable")

// ErrGuest is returned when a guest traps, exits with a non-zero code or
// otherwise fails while running. The app's log holds the details.
var ErrGuest = errors.New("guest failed")

// kindError carries a message of its own and matches one of the sentinels
// above with errors.Is, so messages read "app name ...: use ..." rather
// than "invalid: app name ...".
type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }

// errorf formats an error that wraps any %w operands and also matches kind.
func errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, err: fmt.Errorf(format, args...)}
}
