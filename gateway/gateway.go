// Package gateway is the HTTP front of a Wisp node: it routes each request
// to the app version serving it, runs the app once CGI/WAGI style (request
// as environment, argv and stdin; response parsed from stdout, see
// internal/cgi) and writes the answer. It also builds the http.Server with
// the timeouts and size limits a public listener needs.
//
// Status codes the gateway itself produces: 404 (no route), 413 (body over
// the app's max_body), 500 (the app trapped, exited non-zero, wrote no CGI
// header or too much output), 502 (the app's CGI header was malformed),
// 503 (app at its concurrency limit; or no route while the node is
// starting up or draining), 504 (app ran past its timeout). Each has a one-line plain-text body; details go to the app's
// log (`wisp logs APP`).
package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/cgi"
)

// Gateway is an http.Handler serving a node's apps. Safe for concurrent use.
type Gateway struct {
	node   *wisp.Node
	log    *slog.Logger
	bufs   sync.Pool // *bytes.Buffer for guest stdout
	server cgi.Server
}

// New returns a Gateway for node. Logger gets one line per request (nil:
// discard).
func New(node *wisp.Node, logger *slog.Logger) *Gateway {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Gateway{
		node:   node,
		log:    logger,
		bufs:   sync.Pool{New: func() any { return new(bytes.Buffer) }},
		server: cgi.Server{Software: "Wisp"},
	}
}

// maxPooledBuffer is the largest stdout buffer returned to the pool, so
// one huge response does not pin its memory forever.
const maxPooledBuffer = 1 << 20

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if len(r.RequestURI) > MaxURLBytes {
		msg := fmt.Sprintf("request URI of %d bytes is longer than this node's limit of %d", len(r.RequestURI), MaxURLBytes)
		g.plain(w, http.StatusRequestURITooLong, msg)
		g.log.Warn("request", "method", r.Method, "status", http.StatusRequestURITooLong, "error", msg)
		return
	}
	host, _ := cgi.SplitHost(r.Host)
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	reqPath := cleanPath(r.URL.Path)
	if reqPath != r.URL.Path {
		// Guests see the path that was routed, not "/a/../b".
		u := *r.URL
		u.Path, u.RawPath = reqPath, ""
		r = r.WithContext(r.Context())
		r.URL = &u
	}
	t, ok := g.node.Lookup(host, reqPath)
	if !ok {
		status := http.StatusNotFound
		if ready, _ := g.node.Ready(); ready {
			g.plain(w, status, fmt.Sprintf("no app serves %s on this node", reqPath))
		} else {
			// Starting up (apps still loading) or draining: the route may
			// well exist; tell the client to come back.
			status = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", "1")
			g.plain(w, status, "this node is starting up or shutting down; retry shortly")
		}
		g.log.Info("request", "method", r.Method, "path", reqPath, "status", status, "duration", time.Since(start))
		return
	}
	status, detail := g.serveApp(w, r, t, reqPath)
	dur := time.Since(start)
	g.node.LogRequest(t, r.Method, reqPath, status, dur)
	attrs := []any{"app", t.App, "version", t.Version, "method", r.Method, "path", reqPath, "status", status, "duration", dur}
	level := slog.LevelInfo
	if detail != "" {
		attrs = append(attrs, "error", detail)
		level = slog.LevelWarn
	}
	g.log.Log(r.Context(), level, "request", attrs...)
}

// serveApp runs the app for one request and writes the answer. It returns
// the status written and, for failures, what went wrong.
func (g *Gateway) serveApp(w http.ResponseWriter, r *http.Request, t wisp.Target, reqPath string) (int, string) {
	limits := t.Limits()
	rc := http.NewResponseController(w)
	// A client trickling its body must not hold an instance past its
	// timeout: reading the body fails at the app's deadline, counted from
	// when it starts (for chunked bodies, read before, from now). The
	// deadline is lifted once the body is read, so it cannot end the
	// request's context afterwards.
	bodyDeadline := func() {
		if r.ContentLength != 0 {
			rc.SetReadDeadline(time.Now().Add(time.Duration(limits.Timeout)))
		}
	}
	if len(r.TransferEncoding) > 0 {
		// net/http read this request by its chunked framing and dropped any
		// Content-Length. A proxy in front may have framed it by that
		// Content-Length instead; closing the connection after answering
		// means no bytes after this request are ever read as another
		// (RFC 9112 6.3: request smuggling).
		w.Header().Set("Connection", "close")
	}
	if r.ContentLength > int64(limits.MaxBody) {
		return g.bodyTooLarge(w, limits)
	}
	body := &limitedBody{r: r.Body, left: int64(limits.MaxBody), atEOF: func() { rc.SetReadDeadline(time.Time{}) }}
	if r.ContentLength < 0 {
		bodyDeadline()
		// Chunked: read it all first (within max_body) so CONTENT_LENGTH is
		// exact, as CGI guests expect.
		buf, err := io.ReadAll(body)
		if err != nil {
			if body.over {
				return g.bodyTooLarge(w, limits)
			}
			if body.timedOut() {
				return g.bodyTimedOut(w, t, limits)
			}
			msg := "reading request body: " + err.Error()
			return g.plain(w, http.StatusBadRequest, msg), msg
		}
		r.ContentLength = int64(len(buf))
		body = &limitedBody{r: bytes.NewReader(buf), left: int64(len(buf)), atEOF: func() {}}
	}

	match := cgi.Match{Route: t.Route.String(), ScriptName: t.Route.Path}
	in := wisp.Input{
		Args:  cgi.Args(r),
		Env:   cgi.Env(r, match, g.server),
		Stdin: body,
	}
	if !body.eof {
		in.OnStart = bodyDeadline
	}
	out := g.bufs.Get().(*bytes.Buffer)
	defer func() {
		if out.Cap() <= maxPooledBuffer {
			out.Reset()
			g.bufs.Put(out)
		}
	}()
	in.Stdout = out

	err := g.node.Invoke(r.Context(), t, in)
	// The guest may have run for its whole timeout; the answer gets its own
	// time to be written.
	rc.SetWriteDeadline(time.Now().Add(WriteTimeout))
	if !body.eof && r.ContentLength != 0 {
		// net/http would read the rest of the body before answering, with
		// no deadline left; close the connection instead.
		w.Header().Set("Connection", "close")
	}
	if body.over {
		return g.bodyTooLarge(w, limits)
	}
	if body.timedOut() {
		return g.bodyTimedOut(w, t, limits)
	}
	if err != nil {
		return g.invokeFailed(w, r, t, err)
	}
	resp, err := cgi.ParseResponse(out.Bytes())
	if err != nil {
		status := http.StatusBadGateway
		if errors.Is(err, cgi.ErrNoHeader) {
			status = http.StatusInternalServerError
		}
		msg := "invalid CGI response: " + err.Error()
		g.node.AppLogf(t, "%s", msg)
		return g.plain(w, status, fmt.Sprintf("app %s produced an invalid response; see `wisp logs %s`", t.App, t.App)), msg
	}
	h := w.Header()
	for k, vs := range resp.Header {
		h[k] = vs
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	w.WriteHeader(resp.Status)
	if r.Method != http.MethodHead {
		w.Write(resp.Body)
	}
	return resp.Status, ""
}

// invokeFailed answers an invocation error with the matching status.
func (g *Gateway) invokeFailed(w http.ResponseWriter, r *http.Request, t wisp.Target, err error) (int, string) {
	var status int
	var msg string
	switch {
	case errors.Is(err, wisp.ErrTimeout):
		status, msg = http.StatusGatewayTimeout, fmt.Sprintf("app %s did not answer within its %s timeout", t.App, t.Limits().Timeout)
	case errors.Is(err, wisp.ErrOverloaded):
		status, msg = http.StatusServiceUnavailable, fmt.Sprintf("app %s is busy: try again shortly", t.App)
		w.Header().Set("Retry-After", "1")
	case errors.Is(err, wisp.ErrNotFound):
		status, msg = http.StatusNotFound, fmt.Sprintf("app %s is not deployed", t.App)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		return 499, "client closed the request" // nobody to answer
	default: // ErrGuest, ErrTooLarge, and anything unexpected
		status, msg = http.StatusInternalServerError, fmt.Sprintf("app %s failed; see `wisp logs %s`", t.App, t.App)
	}
	g.node.AppLogf(t, "%s", err)
	return g.plain(w, status, msg), err.Error()
}

// bodyTooLarge answers 413 for a body over the app's max_body.
func (g *Gateway) bodyTooLarge(w http.ResponseWriter, limits wisp.Limits) (int, string) {
	msg := fmt.Sprintf("request body is over this app's limit of %s (limits.max_body)", limits.MaxBody)
	return g.plain(w, http.StatusRequestEntityTooLarge, msg), msg
}

// bodyTimedOut answers 408 for a body that did not arrive in time.
func (g *Gateway) bodyTimedOut(w http.ResponseWriter, t wisp.Target, limits wisp.Limits) (int, string) {
	msg := fmt.Sprintf("the request body did not arrive within app %s's %s timeout", t.App, limits.Timeout)
	return g.plain(w, http.StatusRequestTimeout, msg), msg
}

// plain writes a short text answer produced by the gateway itself.
func (g *Gateway) plain(w http.ResponseWriter, status int, msg string) int {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(msg)+1))
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
	return status
}

// cleanPath returns the canonical form of an absolute request path, the
// form routes are matched against: "/a/./b/../c//" -> "/a/c".
func cleanPath(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	return path.Clean(p)
}

// limitedBody is a request body that fails after left bytes, remembering
// that it did so the gateway can answer 413. atEOF runs once the whole
// body was read.
type limitedBody struct {
	r     io.Reader
	left  int64
	over  bool  // more than left bytes came
	eof   bool  // the whole body was read
	err   error // the first read error other than EOF
	atEOF func()
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

// timedOut reports whether reading the body hit its deadline.
func (b *limitedBody) timedOut() bool {
	var netErr net.Error
	return errors.As(b.err, &netErr) && netErr.Timeout()
}

func (b *limitedBody) setEOF() {
	if !b.eof {
		b.eof = true
		b.atEOF()
	}
}
