package wisp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/wisphq/wisp/internal/component/plan"
	"github.com/wisphq/wisp/internal/component/wasi"
	"github.com/wisphq/wisp/internal/engine"
	"github.com/wisphq/wisp/internal/hostabi"
)

// errNoResponse is a handler that returned without answering.
var errNoResponse = errors.New("wasi:http/incoming-handler.handle returned without setting its response-outparam: call ResponseOutparam.set (in JavaScript, respond to the fetch event with event.respondWith) before the handler returns")

// Handle runs the HTTP component's wasi:http/incoming-handler.handle once
// in a fresh graph, for req (its method, URL, Host and headers; its body
// is read from call.Stdin, not req.Body). The response goes to call.Stdout
// as a CGI response, a header block ("Status: 201", then the guest's
// headers but framing and hop-by-hop ones) and then the body as the guest
// writes it, so the gateway's response stream, its window, max_response
// and the cut after a commit apply as to a module's stdout. The guest's
// stdout and stderr both go to call.Stderr (the app's log). outbound sends
// the guest's wasi:http/outgoing-handler requests; nil refuses them. The
// environment is the app's and call.EnvFunc's (call.Env without it), made
// at the guest's first get-environment, as for a command.
//
// It returns nil when the guest set a response and returned, an error when
// it set an error-code or no response at all (nothing usable was written
// to call.Stdout then, or only a "Status: 500" block), an error matching
// ctx's when ctx ended first (the guest is killed), an
// *engine.CPULimitError past call.CPU (its usage in call.Usage), or
// another error (a trap).
func (cc *commandComponent) Handle(ctx context.Context, req *http.Request, call engine.Call, svc hostabi.Services) (err error) {
	ctx, meter := engine.StartMeter(ctx, call.CPU, call.Usage) // one account for the graph's instances
	defer func() { err = meter.Finish(err) }()
	r2 := *req
	r2.Body = http.NoBody
	if call.Stdin != nil {
		r2.Body = io.NopCloser(call.Stdin)
	}
	w := &cgiResponse{out: call.Stdout, h: http.Header{}}
	s, r := cc.newRun(wasi.State{EnvFunc: cc.environment(call), Stdout: call.Stderr, Stderr: call.Stderr}, svc)
	ctx = plan.WithRun(context.WithValue(ctx, componentState{}, s), r)
	g, err := cc.c.Instantiate(ctx)
	if err != nil {
		return err
	}
	defer g.Close(ctx)
	if call.Hooks != nil {
		defer func() { call.Hooks.Ended(g.MemorySize()) }() // before Close frees the memory
		call.Hooks.Instantiated()
	}
	r.Graph = componentGraph{g}
	reqRep, err := s.NewIncomingRequest(&r2, func() http.Header { return req.Trailer })
	if err != nil {
		return err
	}
	outRep, err := s.NewResponseOutparam(w)
	if err != nil {
		return err
	}
	_, err = r.CallExport(ctx, cc.run, []any{reqRep, outRep})
	if err == nil {
		err = w.err
	}
	switch {
	case err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()):
		// A host call that failed because the run was killed.
		return fmt.Errorf("%w: %v", ctx.Err(), err)
	case err != nil:
		return err
	case s.ResponseError != "":
		return errors.New(s.ResponseError)
	case !w.wroteHeader:
		return errNoResponse
	}
	return nil
}

// cgiResponse is the http.ResponseWriter behind the guest's
// response-outparam: it writes the status and headers as a CGI header
// block to out, then the body.
type cgiResponse struct {
	out         io.Writer
	h           http.Header
	wroteHeader bool
	err         error // the first write error
}

// Header implements http.ResponseWriter.
func (c *cgiResponse) Header() http.Header { return c.h }

// cgiDropped are the guest headers the block leaves out: the gateway frames
// the response and owns the connection, and Status is the block's own.
var cgiDropped = []string{"Status", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade", "Proxy-Connection", "Te", "Trailer"}

// WriteHeader implements http.ResponseWriter: it writes the header block.
func (c *cgiResponse) WriteHeader(status int) {
	if c.wroteHeader {
		return
	}
	c.wroteHeader = true
	if status < 200 || status > 999 {
		// wasi:http lets a guest pick any u16; a CGI response (and
		// net/http) takes a final status only.
		c.err = fmt.Errorf("the component answered with status %d: give a final status from 200 to 999", status)
		status = http.StatusInternalServerError
	}
	bw := bufio.NewWriter(c.out)
	bw.WriteString("Status: " + strconv.Itoa(status) + "\n")
	for _, name := range slices.Sorted(maps.Keys(c.h)) {
		if slices.Contains(cgiDropped, name) {
			continue
		}
		for _, v := range c.h[name] {
			bw.WriteString(name + ": " + v + "\n")
		}
	}
	bw.WriteString("\n")
	if err := bw.Flush(); err != nil && c.err == nil {
		c.err = err
	}
}

// Write implements http.ResponseWriter.
func (c *cgiResponse) Write(p []byte) (int, error) {
	if !c.wroteHeader {
		c.WriteHeader(http.StatusOK)
	}
	n, err := c.out.Write(p)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}
