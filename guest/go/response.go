package wisp

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// holdLimit is how much body a response holds before it starts
// streaming: a handler that writes less gets its whole response written
// at once when it returns (the node then sends it with an exact
// Content-Length); past it, or at a Flush, the header goes out and the
// body streams through a buffer of streamBuffer bytes.
const (
	holdLimit    = 64 << 10
	streamBuffer = 32 << 10
)

// response is the http.ResponseWriter of Serve: it writes a CGI response
// (Status line, headers, blank line, body) to out. It also implements
// http.Flusher and FlushError (for http.ResponseController). Like
// net/http's, it is not safe for concurrent use.
type response struct {
	out       *bufio.Writer
	header    http.Header
	status    int    // 0 until WriteHeader
	held      []byte // the body until the response commits
	committed bool   // the CGI header has been written to out
	err       error  // the first error writing to out
}

func newResponse(w io.Writer) *response {
	return &response{out: bufio.NewWriterSize(w, streamBuffer), header: http.Header{}}
}

// Header returns the header map to set before WriteHeader or Write.
func (rw *response) Header() http.Header { return rw.header }

// WriteHeader sets the status as net/http's does: a code outside 100-999
// panics; a second call is ignored; informational codes (1xx), which a
// CGI response cannot carry, are ignored.
func (rw *response) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if rw.status != 0 || code < 200 {
		return
	}
	rw.status = code
}

// Write writes body bytes, calling WriteHeader(http.StatusOK) first if
// needed. A status that has no body (204, 304) answers
// http.ErrBodyNotAllowed.
func (rw *response) Write(p []byte) (int, error) {
	if rw.status == 0 {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.status == http.StatusNoContent || rw.status == http.StatusNotModified {
		return 0, http.ErrBodyNotAllowed
	}
	if rw.err != nil {
		return 0, rw.err
	}
	if !rw.committed {
		if len(rw.held)+len(p) <= holdLimit {
			rw.held = append(rw.held, p...)
			return len(p), nil
		}
		if err := rw.commit(); err != nil {
			return 0, err
		}
	}
	n, err := rw.out.Write(p)
	if err != nil {
		rw.err = err
	}
	return n, err
}

// WriteString is Write for a string.
func (rw *response) WriteString(s string) (int, error) { return rw.Write([]byte(s)) }

// Flush sends the header and the body written so far.
func (rw *response) Flush() { rw.FlushError() }

// FlushError is Flush, reporting a failed write.
func (rw *response) FlushError() error {
	if rw.status == 0 {
		rw.WriteHeader(http.StatusOK)
	}
	if err := rw.commit(); err != nil {
		return err
	}
	if err := rw.out.Flush(); err != nil && rw.err == nil {
		rw.err = err
	}
	return rw.err
}

// finish completes the response when the handler has returned.
func (rw *response) finish() error {
	if rw.status == 0 {
		rw.WriteHeader(http.StatusOK)
	}
	return rw.FlushError()
}

// reset forgets the header, status and body of a response that has not
// committed yet, so another can be written instead.
func (rw *response) reset() {
	rw.header, rw.status, rw.held = http.Header{}, 0, nil
}

// commit writes the CGI header and the held body, once.
func (rw *response) commit() error {
	if rw.committed {
		return rw.err
	}
	rw.committed = true
	if _, ok := rw.header["Content-Type"]; !ok && len(rw.held) > 0 {
		rw.header.Set("Content-Type", http.DetectContentType(rw.held))
	}
	rw.out.WriteString(cgiHeader(rw.status, rw.header))
	rw.out.Write(rw.held)
	rw.held = nil
	return nil
}

// cgiHeader returns the CGI header block of a response: "Status: CODE
// TEXT", the headers sorted by name, and the blank line. Headers the node
// would refuse are mended the way net/http mends them: names that are not
// tokens and trailers are dropped, control characters in values become
// spaces, and Content-Type and Location keep their first value only.
func cgiHeader(status int, h http.Header) string {
	var b strings.Builder
	b.WriteString("Status: " + strconv.Itoa(status))
	if text := http.StatusText(status); text != "" {
		b.WriteString(" " + text)
	}
	b.WriteByte('\n')
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		values := h[name]
		if !validHeaderName(name) || strings.EqualFold(name, "Status") || strings.HasPrefix(name, http.TrailerPrefix) {
			continue
		}
		if (strings.EqualFold(name, "Content-Type") || strings.EqualFold(name, "Location")) && len(values) > 1 {
			values = values[:1]
		}
		for _, v := range values {
			b.WriteString(name + ": " + cleanHeaderValue(v) + "\n")
		}
	}
	b.WriteByte('\n')
	return b.String()
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// cleanHeaderValue replaces control characters other than tab with
// spaces and trims the ends.
func cleanHeaderValue(v string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < ' ' && r != '\t' || r == 0x7f {
			return ' '
		}
		return r
	}, v))
}
