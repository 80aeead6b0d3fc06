package wasi

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/wisphq/wisp/internal/component/canon"
)

const (
	// WritePermit is what output-stream.check-write permits: a write of
	// more bytes traps, as the WIT says.
	WritePermit = 64 << 10
	// MaxBlockingWrite is the most bytes blocking-write-and-flush,
	// blocking-write-zeroes-and-flush and splice accept in one call (the
	// WIT asks for at most 4096; more is accepted, up to this bound).
	MaxBlockingWrite = 1 << 20
	// MaxRead is the most bytes one input-stream read or skip returns,
	// whatever length the guest asks for.
	MaxRead = 1 << 20
	// readTries bounds how many times a blocking read retries a reader
	// that returns no bytes and no error.
	readTries = 100
)

// inputStream is the object behind an input-stream.
type inputStream struct {
	r      io.Reader // nil: empty
	closed bool
}

// outputStream is the object behind an output-stream.
type outputStream struct {
	w      io.Writer // nil: discard
	closed bool
}

// addStreams adds wasi:io/streams.
func addStreams(m map[string]Interface, t *types) {
	in := canon.Borrow(InputStream)
	out := canon.Borrow(OutputStream)
	u64 := canon.U64()
	readResult := canon.Result(t.bytes, t.streamError)
	countResult := canon.Result(u64, t.streamError)
	unitResult := canon.Result(nil, t.streamError)
	subscribe := func(_ context.Context, s *State, args []any) ([]any, error) {
		return newRep(s, &pollable{})
	}
	m["wasi:io/streams"] = Interface{
		"[method]input-stream.read":          fn(ps(in, u64), readResult, read(false)),
		"[method]input-stream.blocking-read": fn(ps(in, u64), readResult, read(true)),
		"[method]input-stream.skip":          fn(ps(in, u64), countResult, skip(false)),
		"[method]input-stream.blocking-skip": fn(ps(in, u64), countResult, skip(true)),
		"[method]input-stream.subscribe":     fn(ps(in), canon.Own(Pollable), checked(InputStream, subscribe)),
		"[resource-drop]input-stream":        dropFunc(InputStream),

		"[method]output-stream.check-write": fn(ps(out), countResult, checkWrite),
		"[method]output-stream.write":       fn(ps(out, t.bytes), unitResult, write(WritePermit, "write")),
		"[method]output-stream.blocking-write-and-flush": fn(ps(out, t.bytes), unitResult,
			write(MaxBlockingWrite, "blocking-write-and-flush")),
		"[method]output-stream.flush":          fn(ps(out), unitResult, flush),
		"[method]output-stream.blocking-flush": fn(ps(out), unitResult, flush),
		"[method]output-stream.subscribe":      fn(ps(out), canon.Own(Pollable), checked(OutputStream, subscribe)),
		"[method]output-stream.write-zeroes":   fn(ps(out, u64), unitResult, writeZeroes(WritePermit, "write-zeroes")),
		"[method]output-stream.blocking-write-zeroes-and-flush": fn(ps(out, u64), unitResult,
			writeZeroes(MaxBlockingWrite, "blocking-write-zeroes-and-flush")),
		"[method]output-stream.splice":          fn(ps(out, in, u64), countResult, splice),
		"[method]output-stream.blocking-splice": fn(ps(out, in, u64), countResult, splice),
		"[resource-drop]output-stream":          dropFunc(OutputStream),
	}
}

// checked runs call once args[0] is known to be a live rt.
func checked(rt *canon.ResourceType, call func(context.Context, *State, []any) ([]any, error)) func(context.Context, *State, []any) ([]any, error) {
	return func(ctx context.Context, s *State, args []any) ([]any, error) {
		if _, err := s.lookup(rt, args[0]); err != nil {
			return nil, err
		}
		return call(ctx, s, args)
	}
}

// closedErr is result::err(stream-error::closed).
func closedErr() ([]any, error) {
	return one(errValue(canon.VariantValue{Case: 1}))
}

// failed closes a stream after err: result::err(last-operation-failed(e)).
func failed(s *State, err error) ([]any, error) {
	e := &ioError{msg: err.Error()}
	if code := fsError(0); errors.As(err, &code) {
		c := uint32(code)
		e.fsCode = &c
	}
	if errors.Is(err, errBetweenBytesTimeout) {
		c := errCode(ecConnectionReadTimeout, nil)
		e.httpCode = &c
	}
	r, addErr := s.add(e)
	if addErr != nil {
		return nil, addErr
	}
	return one(errValue(canon.VariantValue{Case: 0, Value: r}))
}

// readSome reads up to n bytes (at most MaxRead) from st; a nil data and
// nil error means the stream ended, and st is closed.
func readSome(st *inputStream, n uint64, blocking bool) ([]byte, error) {
	if st.closed {
		return nil, nil
	}
	if st.r == nil {
		st.closed = true
		return nil, nil
	}
	buf := make([]byte, min(n, MaxRead))
	if len(buf) == 0 {
		return buf, nil
	}
	for range readTries {
		k, err := st.r.Read(buf)
		if k > 0 {
			return buf[:k], nil
		}
		if errors.Is(err, io.EOF) {
			st.closed = true
			return nil, nil
		}
		if err != nil {
			st.closed = true
			return nil, err
		}
		if !blocking {
			break
		}
	}
	return buf[:0], nil
}

func read(blocking bool) func(context.Context, *State, []any) ([]any, error) {
	return readWith(blocking, func(data []byte) any { return data })
}

func skip(blocking bool) func(context.Context, *State, []any) ([]any, error) {
	return readWith(blocking, func(data []byte) any { return uint64(len(data)) })
}

// readWith is read and skip: up to args[1] bytes of the stream args[0],
// answered as result(data).
func readWith(blocking bool, result func(data []byte) any) func(context.Context, *State, []any) ([]any, error) {
	return func(_ context.Context, s *State, args []any) ([]any, error) {
		st, err := get[*inputStream](s, InputStream, args[0])
		if err != nil {
			return nil, err
		}
		n, _ := args[1].(uint64)
		data, err := readSome(st, n, blocking)
		switch {
		case err != nil:
			return failed(s, err)
		case data == nil:
			return closedErr()
		}
		return one(ok(result(data)))
	}
}

func checkWrite(_ context.Context, s *State, args []any) ([]any, error) {
	st, err := get[*outputStream](s, OutputStream, args[0])
	if err != nil {
		return nil, err
	}
	if st.closed {
		return closedErr()
	}
	if s.okPermit == nil {
		s.okPermit = []any{ok(uint64(WritePermit))}
	}
	return s.okPermit, nil
}

// put writes b to st, closing it on failure.
func put(s *State, st *outputStream, b []byte) ([]any, error) {
	if st.closed {
		return closedErr()
	}
	if st.w != nil && len(b) > 0 {
		if _, err := st.w.Write(b); err != nil {
			st.closed = true
			return failed(s, err)
		}
	}
	return s.okUnitResult()
}

func write(limit int, name string) func(context.Context, *State, []any) ([]any, error) {
	return func(_ context.Context, s *State, args []any) ([]any, error) {
		st, err := get[*outputStream](s, OutputStream, args[0])
		if err != nil {
			return nil, err
		}
		b, _ := args[1].([]byte)
		if len(b) > limit {
			return nil, &canon.Trap{Msg: fmt.Sprintf("output-stream.%s of %d bytes exceeds the %d bytes check-write permits", name, len(b), limit)}
		}
		return put(s, st, b)
	}
}

func writeZeroes(limit int, name string) func(context.Context, *State, []any) ([]any, error) {
	return func(_ context.Context, s *State, args []any) ([]any, error) {
		st, err := get[*outputStream](s, OutputStream, args[0])
		if err != nil {
			return nil, err
		}
		n, _ := args[1].(uint64)
		if n > uint64(limit) {
			return nil, &canon.Trap{Msg: fmt.Sprintf("output-stream.%s of %d bytes exceeds the %d bytes check-write permits", name, n, limit)}
		}
		return put(s, st, make([]byte, n))
	}
}

func flush(_ context.Context, s *State, args []any) ([]any, error) {
	st, err := get[*outputStream](s, OutputStream, args[0])
	if err != nil {
		return nil, err
	}
	if st.closed {
		return closedErr()
	}
	return s.okUnitResult()
}

// splice moves up to len bytes (at most MaxBlockingWrite) from an
// input-stream to an output-stream.
func splice(_ context.Context, s *State, args []any) ([]any, error) {
	out, err := get[*outputStream](s, OutputStream, args[0])
	if err != nil {
		return nil, err
	}
	in, err := get[*inputStream](s, InputStream, args[1])
	if err != nil {
		return nil, err
	}
	if out.closed {
		return closedErr()
	}
	n, _ := args[2].(uint64)
	data, err := readSome(in, min(n, MaxBlockingWrite), true)
	switch {
	case err != nil:
		return failed(s, err)
	case data == nil:
		return closedErr()
	}
	res, err := put(s, out, data)
	if err != nil || res[0].(canon.VariantValue).Case != 0 {
		return res, err
	}
	return one(ok(uint64(len(data))))
}
