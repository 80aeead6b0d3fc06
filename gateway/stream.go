package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wisphq/wisp/internal/cgi"
)

// How a response travels from the guest's stdout to the client.
//
// The gateway holds the CGI header until it is complete, then up to
// responseWindow bytes of body. A guest that exits within the window gets
// a response framed with an exact Content-Length, and a guest that fails
// before anything was sent (a trap, its timeout) gets a clean error
// status. Once the window is full the response is committed: the status
// and headers go out (with the guest's Content-Length when it declared one
// within max_response, chunked otherwise) and every later write goes to
// the client, flushed within streamDelay. A guest that asks for its output
// to be sent as it writes it, with "Content-Type: text/event-stream"
// (server-sent events) or "X-Accel-Buffering: no" (nginx's convention),
// is committed streamDelay after its header is complete, whatever the
// window holds. A client that reads slowly slows the guest's writes down
// (back-pressure) until the app's deadline; nothing piles up in the node.
// A response that fails after it was committed (the guest traps, times
// out, writes past max_response or short of its Content-Length) is cut:
// the connection is closed without the final chunk, which clients report
// as an incomplete response.
const (
	// responseWindow is how much of a response body is held before the
	// response streams. With the header's own limit, it is what one
	// request's response costs the node in memory, reserved in its budget.
	responseWindow = 64 << 10
	// streamDelay is how long output may wait in the gateway while the
	// guest runs: server-sent events and long responses reach the client
	// within it.
	streamDelay = 10 * time.Millisecond
	// responseBuffer is the memory one response holds at most.
	responseBuffer = cgi.MaxHeaderBytes + responseWindow
)

// errRequestFailed stops a response whose request failed before it could
// start; the gateway answers for the request instead.
var errRequestFailed = errors.New("the request failed before its response started")

// errStreamClosed fails guest writes that come after the client went away,
// the response was cut or the invocation ended. The guest sees EIO.
var errStreamClosed = errors.New("response stream closed")

// requestBody is what a responseStream asks of the request's body.
type requestBody interface {
	held() bool   // still arriving: hold the response
	failed() bool // over max_body or too slow: never commit
}

// responseStream is a guest's stdout on its way to the client: the
// io.Writer the invocation writes to. Its timer flushes from another
// goroutine, so every method takes mu.
type responseStream struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	head bool  // a HEAD request: the body is counted, never sent
	max  int64 // the app's max_response: a larger Content-Length is not used
	// body, if set, is the request's body as it arrives (the gateway's
	// limitedBody): while body.held() the timer does not commit the
	// response (the body is still arriving); once body.failed() (it was
	// over max_body or too slow) the response is never committed, and the
	// guest's writes past the window fail.
	body requestBody

	mu        sync.Mutex
	buf       []byte       // the header, then the body window (cap responseBuffer)
	bodyAt    int          // offset of the body in buf; -1 until the header is complete
	resp      cgi.Response // the parsed header, once bodyAt >= 0
	headErr   error        // the header is invalid
	committed bool         // status and headers went to the client
	sent      int64        // body bytes sent (or counted, for HEAD) after commit
	failure   error        // why the stream stopped taking writes, after commit
	overrun   error        // the guest wrote past its Content-Length: the rest was dropped
	pending   bool         // bytes written since the last flush
	timer     *time.Timer  // armed while output waits; nil when idle
	deadline  time.Time    // the invocation's deadline: writes to the client end there
	closed    bool
}

func newResponseStream(w http.ResponseWriter, rc *http.ResponseController, head bool, maxResponse int64, buf []byte) *responseStream {
	return &responseStream{w: w, rc: rc, head: head, max: maxResponse, buf: buf[:0], bodyAt: -1}
}

// start records the invocation's deadline; writes to the client end there.
func (s *responseStream) start(deadline time.Time) {
	s.mu.Lock()
	s.deadline = deadline
	s.mu.Unlock()
}

// Write implements io.Writer for the guest's stdout.
func (s *responseStream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.headErr != nil || s.failure != nil || s.overrun != nil {
		return 0, errStreamClosed
	}
	written := 0
	for !s.committed && len(p) > 0 {
		limit := cap(s.buf) // the header and the window after it
		if s.bodyAt >= 0 {
			limit = s.bodyAt + responseWindow
		}
		n := min(len(p), limit-len(s.buf))
		if n == 0 {
			// The window is full (the header is complete: its limit is
			// below the buffer's size): stream from here on.
			if s.body != nil && s.body.failed() {
				s.headErr = errRequestFailed
				return written, errStreamClosed
			}
			s.commit()
			break
		}
		s.buf = append(s.buf, p[:n]...)
		p, written = p[n:], written+n
		if s.bodyAt < 0 && !s.parseHeader() {
			if s.headErr != nil {
				return written, errStreamClosed
			}
			continue
		}
		if s.bodyAt >= 0 && !s.streams() {
			// HEAD, 204, 304: the body is counted and dropped, never held.
			s.sent += int64(len(s.buf) - s.bodyAt)
			s.buf = s.buf[:s.bodyAt]
		}
	}
	if len(p) == 0 {
		return written, nil
	}
	if s.failure != nil {
		return written, errStreamClosed
	}
	n, err := s.send(p)
	return written + n, err
}

// parseHeader looks for the end of the header block in buf and parses it.
// It reports whether the header is complete and valid; headErr is set when
// it is invalid. Called with mu held.
func (s *responseStream) parseHeader() bool {
	end := cgi.HeaderEnd(s.buf)
	if end < 0 {
		if len(s.buf) > cgi.MaxHeaderBytes {
			_, s.headErr = cgi.ParseResponse(s.buf)
			if s.headErr == nil { // cannot happen: no blank line in the limit
				s.headErr = fmt.Errorf("%w: no blank line in the first %d bytes", cgi.ErrBadHeader, cgi.MaxHeaderBytes)
			}
		}
		return false
	}
	resp, err := cgi.ParseResponse(s.buf[:end])
	if err != nil {
		s.headErr = err
		return false
	}
	if resp.ContentLength > s.max {
		resp.ContentLength = -1 // it cannot be kept: stream it chunked, cut at max_response
	}
	s.resp, s.bodyAt = resp, end
	// A guest that asks for its output as it writes it is committed
	// streamDelay from now.
	early := strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") ||
		strings.EqualFold(resp.Header.Get("X-Accel-Buffering"), "no")
	if early && s.streams() {
		s.arm()
	}
	return true
}

// streams reports whether the response has a body to send: not for HEAD,
// nor for statuses that have none.
func (s *responseStream) streams() bool {
	st := s.resp.Status
	return !s.head && st != http.StatusNoContent && st != http.StatusNotModified
}

// commit sends the status, the headers and the body held so far, and
// switches to streaming. Called with mu held, the header complete.
func (s *responseStream) commit() {
	s.committed = true
	h := s.w.Header()
	for k, vs := range s.resp.Header {
		h[k] = vs
	}
	if s.resp.ContentLength >= 0 {
		h.Set("Content-Length", strconv.FormatInt(s.resp.ContentLength, 10))
	}
	if !s.deadline.IsZero() {
		// A client that stops reading holds the guest only until its
		// deadline: the write fails then, and so does the guest's.
		s.rc.SetWriteDeadline(s.deadline)
	}
	s.w.WriteHeader(s.resp.Status)
	body := s.buf[s.bodyAt:]
	s.buf = s.buf[:0]
	if len(body) > 0 {
		s.send(body)
	}
}

// send passes p to the client after commit, within the declared
// Content-Length. Called with mu held.
func (s *responseStream) send(p []byte) (int, error) {
	if cl := s.resp.ContentLength; cl >= 0 && s.sent+int64(len(p)) > cl {
		// The client gets the complete response it was promised; the
		// guest's write fails.
		n, err := s.send(p[:cl-s.sent])
		if err == nil {
			s.overrun = fmt.Errorf("the app wrote more than the %d bytes of its Content-Length header; the rest was dropped", cl)
		}
		return n, errStreamClosed
	}
	n, err := s.w.Write(p)
	s.sent += int64(n)
	if err != nil {
		s.failure = fmt.Errorf("sending the response: %w", err)
		return n, errStreamClosed
	}
	s.pending = true
	s.arm()
	return n, nil
}

// arm starts the timer that commits or flushes waiting output. Called with
// mu held.
func (s *responseStream) arm() {
	if s.timer == nil {
		s.timer = time.AfterFunc(streamDelay, s.tick)
	}
}

// tick runs on the timer's goroutine: it commits a held response whose
// guest is still running, or flushes what was written since.
func (s *responseStream) tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timer = nil
	if s.closed || s.headErr != nil || s.failure != nil {
		return
	}
	if !s.committed {
		switch {
		case s.bodyAt < 0 || !s.streams():
		case s.body != nil && s.body.held():
			s.arm() // ask again later
		default:
			s.commit()
		}
		return
	}
	if s.pending {
		s.pending = false
		if err := s.rc.Flush(); err != nil {
			s.failure = fmt.Errorf("sending the response: %w", err)
		}
	}
}

// close ends the stream once the invocation returned: no more writes, no
// more ticks. It reports whether the response was committed and, if so,
// why it is incomplete (nil: complete).
func (s *responseStream) close() (committed bool, incomplete error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if !s.committed {
		return false, nil
	}
	if s.failure != nil {
		return true, s.failure
	}
	if cl := s.resp.ContentLength; cl >= 0 && s.sent < cl {
		return true, fmt.Errorf("the app wrote %d bytes of the %d of its Content-Length header", s.sent, cl)
	}
	return true, nil
}

// sentBytes is how many body bytes went to the client after commit.
func (s *responseStream) sentBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}

// response returns the whole response held by a stream that was not
// committed: its header and body (for HEAD and bodiless statuses, the body
// is empty and bodyLen is the length the guest wrote). The error is the
// header's. Called after close.
func (s *responseStream) response() (resp cgi.Response, bodyLen int64, err error) {
	if s.headErr != nil {
		return cgi.Response{}, 0, s.headErr
	}
	if s.bodyAt < 0 {
		_, err := cgi.ParseResponse(s.buf)
		if err == nil { // the header block never ended
			err = fmt.Errorf("%w: the output ended inside the header", cgi.ErrNoHeader)
		}
		return cgi.Response{}, 0, err
	}
	resp = s.resp
	resp.Body = s.buf[s.bodyAt:]
	return resp, s.sent + int64(len(resp.Body)), nil
}
