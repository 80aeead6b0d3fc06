package gateway

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// requestWindow is how much of a chunked request body (one without
// Content-Length) the gateway reads before the app runs. A body that ends
// within it reaches the app with an exact CONTENT_LENGTH, as CGI guests
// expect; a longer one streams to the app's stdin without CONTENT_LENGTH
// (read stdin to its end). The window is reserved in the node's memory
// budget before it is read.
const requestWindow = 16 << 10

// buffers pools byte slices of one size (*[]byte of len size).
type buffers struct {
	size int
	pool sync.Pool
}

func (b *buffers) get() *[]byte {
	if p, ok := b.pool.Get().(*[]byte); ok {
		return p
	}
	p := make([]byte, b.size)
	return &p
}

func (b *buffers) put(p *[]byte) { b.pool.Put(p) }

// readWindow reads the start of a chunked body into buf, which holds one
// byte more than requestWindow. It returns the body as the guest will read
// it and its length when the whole body fit in requestWindow bytes (-1
// otherwise: the rest streams from body). The error is body's.
func readWindow(body *limitedBody, buf []byte) (stdin io.Reader, length int64, err error) {
	n, err := io.ReadFull(body, buf)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return bytes.NewReader(buf[:n]), int64(n), nil
	case err != nil:
		return nil, 0, err
	}
	return io.MultiReader(bytes.NewReader(buf), body), -1, nil
}

// limitedBody is a request body that fails after left bytes, remembering
// that it did so the gateway can answer 413. Once the whole body was read
// it lifts rc's read deadline (when rc is set), so the deadline cannot end
// the request's context afterwards.
type limitedBody struct {
	r    io.Reader
	left int64
	over bool        // more than left bytes came
	eof  atomic.Bool // the whole body was read (read by the response's timer too)
	err  error       // the first read error other than EOF
	rc   *http.ResponseController
	// length is the request's ContentLength (-1: chunked), for held and
	// failed.
	length int64
}

// read returns how many bytes of the body were read, given the limit the
// body was made with (at most limit: the byte that probes past it is not
// counted).
func (b *limitedBody) read(limit int64) int64 {
	return limit - max(b.left, 0)
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// Probe one byte: exactly at the limit is fine, past it is not.
		var one [1]byte
		n, err := b.r.Read(one[:])
		switch {
		case n > 0:
			b.over = true
			return 0, errors.New("request body too large")
		case err == io.EOF:
			b.setEOF()
			return 0, io.EOF
		case err != nil:
			if b.err == nil {
				b.err = err
			}
			return 0, err
		}
		return 0, nil
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	switch {
	case err == io.EOF:
		b.setEOF()
	case err != nil && b.err == nil:
		b.err = err
	}
	return n, err
}

// pending reports whether some of a body is still to be read.
func (b *limitedBody) pending(contentLength int64) bool {
	return contentLength != 0 && !b.eof.Load()
}

// timedOut reports whether reading the body hit its deadline.
func (b *limitedBody) timedOut() bool {
	if b.err == nil {
		return false // before errors.As: its target would be allocated on every call
	}
	var netErr net.Error
	return errors.As(b.err, &netErr) && netErr.Timeout()
}

func (b *limitedBody) setEOF() {
	if !b.eof.Swap(true) && b.rc != nil {
		b.rc.SetReadDeadline(time.Time{})
	}
}

// held reports whether the response must be held: the body is still
// arriving (requestBody, for the response stream).
func (b *limitedBody) held() bool { return b.pending(b.length) }

// failed reports whether the request already failed: its body was over
// max_body or too slow (requestBody, for the response stream).
func (b *limitedBody) failed() bool { return b.over || b.timedOut() }
