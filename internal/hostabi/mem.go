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
			st, err := body(ctx, c, mem, stack)
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

// output writes data to the guest's buffer at buf (capacity cap) and its
// size at lenPtr; a buffer too small gets only the size, and
// BufferTooSmall.
func output(mem engine.Memory, buf, cap, lenPtr uint64, data []byte) (Status, error) {
	if !mem.WriteUint32Le(u32(lenPtr), uint32(len(data))) {
		return OK, fault{"result length pointer"}
	}
	if uint64(len(data)) > uint64(u32(cap)) {
		return BufferTooSmall, nil
	}
	if !mem.Write(u32(buf), data) {
		return OK, fault{"result buffer"}
	}
	return OK, nil
}

func writeU32(mem engine.Memory, ptr uint64, v uint32, what string) error {
	if !mem.WriteUint32Le(u32(ptr), v) {
		return fault{what}
	}
	return nil
}
