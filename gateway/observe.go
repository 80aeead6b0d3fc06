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
	body countingBody
	resp countingWriter
}

// observe begins observing r: the request that goes on carries the
// request's trace in its context and counts its body's bytes, the writer
// counts the response's.
func (g *Gateway) observe(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request, *observed) {
	o := &observed{node: g.node}
	ctx, mark := g.node.BeginRequest(r.Context(), r)
	o.mark = mark
	// A copy of r, always: net/http looks at the Body of the request it
	// handed the handler to decide what to do with an unread body after
	// the answer (read and drop it, or close the connection), so that
	// request's Body must stay its own.
	r = r.WithContext(ctx)
	o.body.rc = r.Body
	r.Body = &o.body
	o.resp.ResponseWriter = w
	return &o.resp, r, o
}

// done ends the observation of a request that t served (nil: none) with
// status.
func (o *observed) done(t *wisp.Target, status int, start time.Time) {
	if o == nil {
		return
	}
	o.node.ObserveRequest(o.mark, t, status, o.body.n, o.resp.n, time.Since(start))
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
