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
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/cgi"
)

// Gateway is an http.Handler serving a node's apps. Safe for concurrent use.
type Gateway struct {
	node      *wisp.Node
	log       *slog.Logger
	windows   buffers // chunked request bodies' first bytes
	responses buffers // responses held before they stream
	server    cgi.Server
}

// New returns a Gateway for node. Logger gets one line per request (nil:
// discard).
func New(node *wisp.Node, logger *slog.Logger) *Gateway {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Gateway{
		node:      node,
		log:       logger,
		windows:   buffers{size: requestWindow + 1}, // one more byte tells "ends at the window" from "goes on"
		responses: buffers{size: responseBuffer},
		server:    cgi.Server{Software: "Wisp"},
	}
}

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	// acct lives on the heap (serveApp fills it in); the observation of
	// the request shares its allocation.
	acct := &accounting{}
	var obs *observed
	if g.node.Observing() {
		obs = &acct.obs
		w, r = g.observe(obs, w, r)
	}
	if len(r.RequestURI) > MaxURLBytes {
		msg := fmt.Sprintf("request URI of %d bytes is longer than this node's limit of %d", len(r.RequestURI), MaxURLBytes)
		g.plain(w, http.StatusRequestURITooLong, msg)
		g.log.Warn("request", "method", r.Method, "status", http.StatusRequestURITooLong, "error", msg)
		obs.done(nil, http.StatusRequestURITooLong, time.Since(start), 0)
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
	var t wisp.Target
	var ok bool
	if obs != nil {
		_, m := g.node.BeginRoute(r.Context())
		t, ok = g.node.Lookup(host, reqPath)
		g.node.EndRoute(m)
	} else {
		t, ok = g.node.Lookup(host, reqPath)
	}
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
		dur := time.Since(start)
		g.log.Info("request", "method", r.Method, "path", reqPath, "status", status, "duration", dur)
		obs.done(nil, status, dur, 0)
		return
	}
	status, detail, cut := g.serveApp(w, r, t, reqPath, acct)
	usage := acct.usage
	end := time.Now()
	dur := end.Sub(start)
	obs.done(&t, status, dur, acct.body)
	g.node.LogRequest(t, r.Method, reqPath, status, dur, usage)
	// Attrs rather than key-value pairs: no value is boxed.
	attrs := [...]slog.Attr{slog.String("app", t.App), slog.Int("version", t.Version), slog.String("method", r.Method),
		slog.String("path", reqPath), slog.Int("status", status), slog.Duration("duration", dur), {}, {}, {}}
	n, level := len(attrs)-3, slog.LevelInfo
	if usage.Fuel > 0 {
		attrs[n], attrs[n+1], n = slog.Duration("cpu", time.Duration(usage.CPU)), slog.Int64("fuel", usage.Fuel), n+2
	}
	if detail != "" {
		attrs[n], n, level = slog.String("error", detail), n+1, slog.LevelWarn
	}
	if ctx := r.Context(); g.log.Enabled(ctx, level) {
		// The record is made here rather than by LogAttrs, which would
		// read the clock again and walk the stack for a source line this
		// line never shows.
		rec := slog.NewRecord(end, level, "request", 0)
		rec.AddAttrs(attrs[:n]...)
		g.log.Handler().Handle(ctx, rec)
	}
	if cut {
		// The response started and cannot be finished: close the
		// connection without ending it, so the client sees it incomplete.
		panic(http.ErrAbortHandler)
	}
}

// accounting is what serveApp tells ServeHTTP of a request it served: the
// app's CPU and fuel, and how many bytes of the request's body were read.
// It also holds the request's observation, when the node has an Observer.
type accounting struct {
	usage wisp.Usage
	body  int64
	obs   observed
}

// serveApp runs the app for one request and writes the answer. It returns
// the status written and, for failures, what went wrong. A response that
// failed after it was committed is cut by panicking with
// http.ErrAbortHandler once the request is logged (see ServeHTTP).
func (g *Gateway) serveApp(w http.ResponseWriter, r *http.Request, t wisp.Target, reqPath string, acct *accounting) (status int, detail string, cut bool) {
	limits := t.Limits()
	rc := http.NewResponseController(w)
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
	if r.ContentLength != 0 {
		// The guest may read its body while its response streams.
		rc.EnableFullDuplex()
	}
	// The app's timeout counts from here: the window of a chunked body is
	// read within it, and Invoke then takes ctx's deadline. Otherwise
	// nothing here waits, and Invoke counts it from its call, microseconds
	// on (sparing a timer per request: Invoke's own arms one only when
	// something waits).
	deadline := time.Now().Add(time.Duration(limits.Timeout))
	ctx := r.Context()
	if r.ContentLength < 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	// Every byte held for this request is reserved in the node's memory
	// budget, in the app's share, until the answer is written: the
	// response held before it streams, and a chunked body's window.
	held, what := int64(responseBuffer), "holding its response"
	if r.ContentLength < 0 {
		held, what = held+requestWindow, "holding its response and its chunked body's start"
	}
	release, err := g.node.Reserve(t.App, held, what)
	if err != nil {
		if r.ContentLength != 0 {
			// Nothing of the body will be read: close after net/http's
			// short read of the rest, instead of its 5-minute limit.
			rc.SetReadDeadline(time.Now().Add(lingerTime))
			w.Header().Set("Connection", "close")
		}
		return g.invokeFailed(w, r, t, err)
	}
	defer release()
	// A client trickling its body must not hold an instance past its
	// timeout: reading the body fails at the deadline. The deadline is
	// lifted once the body is read, so it cannot end the request's
	// context afterwards.
	body := &limitedBody{r: r.Body, left: int64(limits.MaxBody), rc: rc}
	defer func() { acct.body = body.read(int64(limits.MaxBody)) }()
	var stdin io.Reader = body
	if r.ContentLength < 0 {
		buf := g.windows.get()
		defer g.windows.put(buf)
		rc.SetReadDeadline(deadline)
		if stdin, r.ContentLength, err = readWindow(body, *buf); err != nil {
			if body.over {
				return g.bodyTooLarge(w, limits)
			}
			if body.timedOut() {
				return g.bodyTimedOut(w, t, limits)
			}
			msg := "reading request body: " + err.Error()
			return g.plain(w, http.StatusBadRequest, msg), msg, false
		}
	}

	bufp := g.responses.get()
	defer g.responses.put(bufp)
	out := newResponseStream(w, rc, r.Method == http.MethodHead, int64(limits.MaxResponse), *bufp)
	// While its body arrives, a request's response is held (up to the
	// window): a body that then fails still gets its 408 or 413. And a
	// response is never started for a request whose body already failed.
	body.length = r.ContentLength // as readWindow left it
	out.body = body
	match := cgi.Match{Route: t.Route.String(), ScriptName: t.Route.Path}
	in := wisp.Input{
		Args: cgi.Args(r),
		// Built only if the guest reads its environment: many never do.
		EnvFunc: func() []string { return cgi.Env(r, match, g.server) },
		Stdin:   stdin,
		Stdout:  out,
		Request: r, // for an HTTP component: the node decides which it runs
		OnStart: func(deadline time.Time) {
			if body.pending(r.ContentLength) {
				rc.SetReadDeadline(deadline)
			}
			out.start(deadline)
		},
		Usage: &acct.usage,
	}
	err = g.node.Invoke(ctx, t, in)
	committed, incomplete := out.close()
	if err == nil && !committed && body.pending(r.ContentLength) {
		// The app answered without reading all of its body. Read the rest
		// (into nothing, within max_body and the deadline) before
		// answering, so the client, still sending, gets the answer rather
		// than a reset connection, and a body over max_body its 413.
		io.Copy(io.Discard, body)
	}
	if body.pending(r.ContentLength) {
		// net/http reads up to 256 KiB of an unread body after answering,
		// then closes the connection: it gets lingerTime for that (not
		// the 5-minute read limit), so a client still sending more likely
		// reads the answer before the connection closes on it.
		rc.SetReadDeadline(time.Now().Add(lingerTime))
		if !committed {
			w.Header().Set("Connection", "close")
		}
	}
	if committed {
		// The status and part of the body are out: a failure now can only
		// cut the response.
		if err == nil && body.over {
			err = fmt.Errorf("request body is over this app's limit of %s (limits.max_body)", limits.MaxBody)
		}
		if incomplete != nil {
			err = incomplete // what broke the stream says more than the cancelled call
		}
		if err != nil {
			g.node.AppLogf(t, "response cut after %d bytes of body: %s", out.sentBytes(), err)
			return out.resp.Status, err.Error(), true
		}
		// What net/http still buffers goes out on the answer's own time,
		// not the app's deadline.
		rc.SetWriteDeadline(time.Now().Add(WriteTimeout))
		if out.overrun != nil {
			g.node.AppLogf(t, "%s", out.overrun)
			return out.resp.Status, out.overrun.Error(), false
		}
		return out.resp.Status, "", false
	}
	// The guest may have run for its whole timeout; the answer gets its own
	// time to be written.
	rc.SetWriteDeadline(time.Now().Add(WriteTimeout))
	if body.over {
		return g.bodyTooLarge(w, limits)
	}
	if body.timedOut() {
		return g.bodyTimedOut(w, t, limits)
	}
	if err != nil {
		return g.invokeFailed(w, r, t, err)
	}
	resp, bodyLen, err := out.response()
	if err != nil {
		status := http.StatusBadGateway
		if errors.Is(err, cgi.ErrNoHeader) {
			status = http.StatusInternalServerError
		}
		msg := "invalid CGI response: " + err.Error()
		g.node.AppLogf(t, "%s", msg)
		return g.plain(w, status, fmt.Sprintf("app %s produced an invalid response; see `wisp logs %s`", t.App, t.App)), msg, false
	}
	h := w.Header()
	for k, vs := range resp.Header {
		h[k] = vs
	}
	switch {
	case out.streams():
		h.Set("Content-Length", strconv.FormatInt(bodyLen, 10))
	case r.Method != http.MethodHead:
	case resp.ContentLength >= 0:
		// A CGI script answers HEAD without a body (RFC 3875 4.3.2): the
		// length it declares is the GET's.
		h.Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	case bodyLen > 0:
		h.Set("Content-Length", strconv.FormatInt(bodyLen, 10))
	}
	w.WriteHeader(resp.Status)
	if out.streams() {
		w.Write(resp.Body)
	}
	return resp.Status, "", false
}

// invokeFailed answers an invocation error with the matching status.
func (g *Gateway) invokeFailed(w http.ResponseWriter, r *http.Request, t wisp.Target, err error) (int, string, bool) {
	var status int
	var msg string
	switch {
	case errors.Is(err, wisp.ErrTimeout):
		status, msg = http.StatusGatewayTimeout, fmt.Sprintf("app %s did not answer within its %s timeout", t.App, t.Limits().Timeout)
	case errors.Is(err, wisp.ErrCPULimit):
		// 503 as Cloudflare answers a Worker over its CPU limit, without
		// Retry-After: the same request would use the same fuel again.
		status, msg = http.StatusServiceUnavailable, fmt.Sprintf("app %s used more than its CPU limit of %s per request (limits.cpu)", t.App, t.Limits().CPU)
	case errors.Is(err, wisp.ErrOverloaded):
		status, msg = http.StatusServiceUnavailable, fmt.Sprintf("app %s is busy: try again shortly", t.App)
		w.Header().Set("Retry-After", "1")
	case errors.Is(err, wisp.ErrNotFound):
		status, msg = http.StatusNotFound, fmt.Sprintf("app %s is not deployed", t.App)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		return 499, "client closed the request", false // nobody to answer
	default: // ErrGuest, ErrTooLarge, and anything unexpected
		status, msg = http.StatusInternalServerError, fmt.Sprintf("app %s failed; see `wisp logs %s`", t.App, t.App)
	}
	g.node.AppLogf(t, "%s", err)
	return g.plain(w, status, msg), err.Error(), false
}

// bodyTooLarge answers 413 for a body over the app's max_body.
func (g *Gateway) bodyTooLarge(w http.ResponseWriter, limits wisp.Limits) (int, string, bool) {
	msg := fmt.Sprintf("request body is over this app's limit of %s (limits.max_body)", limits.MaxBody)
	return g.plain(w, http.StatusRequestEntityTooLarge, msg), msg, false
}

// bodyTimedOut answers 408 for a body that did not arrive in time.
func (g *Gateway) bodyTimedOut(w http.ResponseWriter, t wisp.Target, limits wisp.Limits) (int, string, bool) {
	msg := fmt.Sprintf("the request body did not arrive within app %s's %s timeout", t.App, limits.Timeout)
	return g.plain(w, http.StatusRequestTimeout, msg), msg, false
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
