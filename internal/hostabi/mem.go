package hostabi

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/wisphq/wisp/internal/engine"
)

// errNoServices is the failure of every call made where no invocation is
// running: a reactor's _initialize, which runs once at deploy.
var errNoServices = errors.New("services are not available during _initialize: call them while handling a request")

// fault is the failure of a pointer and length outside linear memory.
type fault struct{ what string }

func (f fault) Error() string {
	return fmt.Sprintf("%s: pointer and length lie outside linear memory", f.what)
}

// callOf returns the invocation's Call, or nil.
func callOf(ctx context.Context) *Call {
	c, _ := engine.HostData(ctx).(*Call)
	return c
}

// fn builds a host function whose body returns a Status and an error: the
// error's message becomes the instance's last error.
func fn(name string, params []engine.ValueType, body func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (Status, error)) engine.HostFunc {
	return engine.HostFunc{
		Name: name, Params: params, Results: []engine.ValueType{engine.I32},
		Fn: func(ctx context.Context, mem engine.Memory, stack []uint64) {
			c := callOf(ctx)
			if c == nil {
				stack[0] = uint64(Unavailable)
				return
			}
			// A value kept for a retried get lives for one call: any other
			// call in between (a set, say) makes the retry read again.
			c.retry, c.pending = c.pending, pendingGet{}
			st, err := body(ctx, c, mem, stack)
			c.retry = pendingGet{}
			if err != nil {
				c.lastErr = err.Error()
				if st == OK {
					st = c.classify(err)
				}
			}
			stack[0] = uint64(st)
		},
	}
}

func (c *Call) classify(err error) Status {
	var f fault
	if errors.As(err, &f) {
		return Fault
	}
	var inv invalidArg
	if errors.As(err, &inv) {
		return Invalid
	}
	var lim limitErr
	if errors.As(err, &lim) {
		return Limit
	}
	return c.svc.Classify(err)
}

// i32s returns n i32 parameter types.
func i32s(n int) []engine.ValueType {
	ts := make([]engine.ValueType, n)
	for i := range ts {
		ts[i] = engine.I32
	}
	return ts
}

func u32(v uint64) uint32 { return uint32(v) }

// bytesAt copies len bytes at ptr.
func bytesAt(mem engine.Memory, ptr, n uint64, what string) ([]byte, error) {
	b, ok := mem.Read(u32(ptr), u32(n))
	if !ok {
		return nil, fault{what}
	}
	return append([]byte(nil), b...), nil
}

// stringAt copies the UTF-8 string of len bytes at ptr.
func stringAt(mem engine.Memory, ptr, n uint64, what string) (string, error) {
	b, ok := mem.Read(u32(ptr), u32(n))
	if !ok {
		return "", fault{what}
	}
	if !utf8.Valid(b) {
		return "", invalidArg{fmt.Sprintf("%s is not valid UTF-8", what)}
	}
	return string(b), nil
}

// invalidArg is an argument the ABI refuses before any service sees it.
type invalidArg struct{ msg string }

func (e invalidArg) Error() string { return e.msg }

// checkOut checks, before a call does anything, that a result buffer of
// cap bytes at buf and its length at lenPtr lie inside linear memory, so a
// call that would fail with FAULT reads and writes nothing (and uses no
// operation of the request's limits).
func checkOut(mem engine.Memory, buf, cap, lenPtr uint64) error {
	if _, ok := mem.Read(u32(buf), u32(cap)); !ok {
		return fault{"result buffer"}
	}
	if _, ok := mem.Read(u32(lenPtr), 4); !ok {
		return fault{"result length pointer"}
	}
	return nil
}

// output writes data to the guest's buffer at buf (capacity cap) and its
// size at lenPtr; a buffer too small gets only the size, and
// BufferTooSmall. A FAULT writes nothing.
func output(mem engine.Memory, buf, cap, lenPtr uint64, data []byte) (Status, error) {
	if err := checkOut(mem, buf, cap, lenPtr); err != nil {
		return OK, err
	}
	mem.WriteUint32Le(u32(lenPtr), uint32(len(data)))
	if uint64(len(data)) > uint64(u32(cap)) {
		return BufferTooSmall, nil
	}
	mem.Write(u32(buf), data)
	return OK, nil
}

// Sizes the ABI refuses before copying anything from guest memory.
const (
	maxKey      = 512      // a key-value key (and a list prefix or cursor)
	maxName     = 256      // a store or variable name, a header name
	maxURL      = 8 << 10  // an outbound URL
	maxHeaders  = 64 << 10 // an outbound request's header lines
	maxTTLMilli = 100 * 365 * 24 * 3600 * 1000
)

// sizeOK refuses a length over max before the bytes are copied.
func sizeOK(n uint64, max int, what string) error {
	if u32(n) > uint32(max) {
		return invalidArg{fmt.Sprintf("%s of %d bytes is longer than the %d bytes allowed", what, u32(n), max)}
	}
	return nil
}

func writeU32(mem engine.Memory, ptr uint64, v uint32, what string) error {
	if !mem.WriteUint32Le(u32(ptr), v) {
		return fault{what}
	}
	return nil
}
