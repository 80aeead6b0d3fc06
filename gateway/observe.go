package gateway

import (
	"io"
	"net/http"
	"time"

	"github.com/wisphq/wisp"
)

// observed is one request as the node's Observer sees it (wisp.Config.
// Observer): its mark, and the bytes of its body read and of its response
// body written. Nil when the node observes nothing; its methods then do
// nothing.
type observed struct {
	node *wisp.Node
	mark wisp.Mark
	// body counts the request body's bytes when the request is traced (a
	// copy of it carries the trace's context, and its body can be
	// wrapped); otherwise serveApp counts them where it limits them.
	body     countingBody
	counting bool
	resp     countingWriter
}

// observe begins observing r in o: the writer counts the response's
// bytes, and a traced request goes on as a copy that carries the trace in
// its context and counts its body's bytes. An untraced request goes on as
// it is: no copy, no wrapper (serveApp counts its body).
func (g *Gateway) observe(o *observed, w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
	o.node = g.node
	ctx, mark := g.node.BeginRequest(r.Context(), r)
	o.mark = mark
	o.resp.ResponseWriter = w
	if ctx != r.Context() {
		// A copy of r: net/http looks at the Body of the request it handed
		// the handler to decide what to do with an unread body after the
		// answer (read and drop it, or close the connection), so that
		// request's Body must stay its own.
		r = r.WithContext(ctx)
		o.body.rc = r.Body
		r.Body = &o.body
		o.counting = true
	}
	return &o.resp, r
}

// done ends the observation of a request that t served (nil: none) with
// status after d; body is the body's bytes as serveApp counted them.
func (o *observed) done(t *wisp.Target, status int, d time.Duration, body int64) {
	if o == nil {
		return
	}
	if o.counting {
		body = o.body.n
	}
	o.node.ObserveRequest(o.mark, t, status, body, o.resp.n, d)
}

// countingBody counts the bytes read from a request body.
type countingBody struct {
	rc io.ReadCloser
	n  int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingBody) Close() error { return c.rc.Close() }

// countingWriter counts the bytes of a response body written. Unwrap lets
// http.ResponseController reach the connection's deadlines and flushing.
type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n += int64(n)
	return n, err
}

func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
