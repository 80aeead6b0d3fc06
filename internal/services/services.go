// Package services defines what one invocation may do with the platform
// services (key-value stores, variables, logging, outbound HTTP): the
// Services interface the node implements per invocation (the root
// package's session), and the status codes its errors are classified into.
// Both guest ABIs call it: internal/hostabi (preview 1 modules) and
// internal/component/wasi (WASI 0.2 components), so they reach the
// services through the same Go code. It imports nothing of the engine.
package services

import (
	"context"
	"net/http"
	"time"
)

// Status is a guest ABI status code (docs/guest-abi.md).
type Status uint32

// The status codes.
const (
	OK             Status = 0
	NotFound       Status = 1
	BufferTooSmall Status = 2
	Denied         Status = 3
	Invalid        Status = 4
	Limit          Status = 5
	Unavailable    Status = 6
	Timeout        Status = 7
	Fault          Status = 8
	Conflict       Status = 9
)

// Services is what one invocation may do; the node implements it per
// call, applying the app's declarations and limits. Errors are mapped to
// status codes with Classify.
type Services interface {
	// OpenKV opens a key-value store the app declares.
	OpenKV(ctx context.Context, name string) (Bucket, error)
	// Variable returns a variable's value (a secret's plaintext).
	Variable(ctx context.Context, name string) (string, error)
	// Log records one guest log entry; fields alternate keys and values.
	Log(ctx context.Context, level Level, context, msg string, fields []string) error
	// Send sends an outbound request, following redirects as allowed, and
	// returns the response with its body unread.
	Send(ctx context.Context, req *http.Request) (*http.Response, error)
	// MaxValue is the largest key-value value the node stores, and
	// OutboundRoom the bytes of bodies the invocation may still send and
	// receive: the ABI refuses larger arguments before copying them out
	// of guest memory.
	MaxValue() int64
	OutboundRoom() int64
	// Classify maps an error of the methods above to the status the
	// guest sees.
	Classify(err error) Status
}

// Bucket is one open key-value store, as the ABI uses it.
type Bucket interface {
	Get(ctx context.Context, key string) ([]byte, error) // NotFound if absent
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	Delete(ctx context.Context, key string) error
	Exists(ctx context.Context, key string) (bool, error)
	Keys(ctx context.Context, prefix, after string, limit int) (keys []string, more bool, err error)
	Increment(ctx context.Context, key string, delta int64) (int64, error)
	CompareAndSwap(ctx context.Context, key string, old []byte, expectAbsent bool, new []byte) (bool, error)
}

// Level is a log level, numbered as wasi:logging's.
type Level uint32

// The log levels.
const (
	Trace Level = iota
	Debug
	Info
	Warn
	Error
	Critical
)

// String returns the level's name as wasi:logging spells it ("info").
func (l Level) String() string {
	switch l {
	case Trace:
		return "trace"
	case Debug:
		return "debug"
	case Info:
		return "info"
	case Warn:
		return "warn"
	case Error:
		return "error"
	case Critical:
		return "critical"
	}
	return "unknown"
}
