package wasi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync"
	"time"

	"github.com/wisphq/wisp/internal/component/canon"
	"github.com/wisphq/wisp/internal/services"
)

// addOutgoing adds outgoing-request, request-options,
// future-incoming-response and incoming-response to wasi:http/types, and
// wasi:http/outgoing-handler.
func addOutgoing(m map[string]Interface, h *httpTypes, unit, optStr, optScheme, optDuration *canon.Type) {
	types := m["wasi:http/types"]
	br := canon.Borrow(OutgoingRequest)
	ro := canon.Borrow(RequestOptions)
	setter := func(f func(r *outgoingRequest, v any) bool) call {
		return with(OutgoingRequest, func(_ *State, r *outgoingRequest, args []any) ([]any, error) {
			if !f(r, args[1]) {
				return one(errValue(nil))
			}
			return one(ok(nil))
		})
	}
	optString := func(p *string) canon.VariantValue {
		if p == nil {
			return none()
		}
		return some(*p)
	}
	stringOf := func(v any) *string {
		o, _ := v.(canon.VariantValue)
		if o.Case == 0 {
			return nil
		}
		s, _ := o.Value.(string)
		return &s
	}
	timeout := func(get func(o *requestOptions) **uint64) (Func, Func) {
		g := fn(ps(ro), optDuration, with(RequestOptions, func(_ *State, o *requestOptions, _ []any) ([]any, error) {
			if p := *get(o); p != nil {
				return one(some(*p))
			}
			return one(none())
		}))
		s := fn(ps(ro, optDuration), unit, with(RequestOptions, func(_ *State, o *requestOptions, args []any) ([]any, error) {
			if v, _ := args[1].(canon.VariantValue); v.Case == 1 {
				d, _ := v.Value.(uint64)
				*get(o) = &d
			} else {
				*get(o) = nil
			}
			return one(ok(nil))
		}))
		return g, s
	}
	for name, f := range map[string]Func{
		"[constructor]outgoing-request": fn(ps(canon.Own(Fields)), canon.Own(OutgoingRequest), func(_ context.Context, s *State, args []any) ([]any, error) {
			f, err := take[*fields](s, Fields, args[0])
			if err != nil {
				return nil, err
			}
			return newRep(s, &outgoingRequest{method: methodValue("GET"), headers: f.list, body: &outgoingBody{}})
		}),
		"[method]outgoing-request.body": fn(ps(br), canon.Result(canon.Own(OutgoingBody), nil), with(OutgoingRequest, func(s *State, r *outgoingRequest, _ []any) ([]any, error) {
			if r.bodyUsed {
				return one(errValue(nil))
			}
			r.bodyUsed = true
			return wrapOK(s, r.body)
		})),
		"[method]outgoing-request.method": fn(ps(br), h.method, with(OutgoingRequest, func(_ *State, r *outgoingRequest, _ []any) ([]any, error) {
			return one(r.method)
		})),
		"[method]outgoing-request.set-method": fn(ps(br, h.method), unit, setter(func(r *outgoingRequest, v any) bool {
			mv, _ := v.(canon.VariantValue)
			if methodString(mv) == "" {
				return false
			}
			r.method = mv
			return true
		})),
		"[method]outgoing-request.path-with-query": fn(ps(br), optStr, with(OutgoingRequest, func(_ *State, r *outgoingRequest, _ []any) ([]any, error) {
			return one(optString(r.path))
		})),
		"[method]outgoing-request.set-path-with-query": fn(ps(br, optStr), unit, setter(func(r *outgoingRequest, v any) bool {
			r.path = stringOf(v)
			return true
		})),
		"[method]outgoing-request.scheme": fn(ps(br), optScheme, with(OutgoingRequest, func(_ *State, r *outgoingRequest, _ []any) ([]any, error) {
			if r.scheme == nil {
				return one(none())
			}
			return one(some(*r.scheme))
		})),
		"[method]outgoing-request.set-scheme": fn(ps(br, optScheme), unit, setter(func(r *outgoingRequest, v any) bool {
			o, _ := v.(canon.VariantValue)
			r.scheme = nil
			if o.Case == 1 {
				sc, _ := o.Value.(canon.VariantValue)
				r.scheme = &sc
			}
			return true
		})),
		"[method]outgoing-request.authority": fn(ps(br), optStr, with(OutgoingRequest, func(_ *State, r *outgoingRequest, _ []any) ([]any, error) {
			return one(optString(r.authority))
		})),
		"[method]outgoing-request.set-authority": fn(ps(br, optStr), unit, setter(func(r *outgoingRequest, v any) bool {
			r.authority = stringOf(v)
			return true
		})),
		"[method]outgoing-request.headers": fn(ps(br), canon.Own(Fields), with(OutgoingRequest, func(s *State, r *outgoingRequest, _ []any) ([]any, error) {
			return newRep(s, &fields{list: r.headers})
		})),
		"[resource-drop]outgoing-request": dropFunc(OutgoingRequest),

		"[constructor]request-options": fn(nil, canon.Own(RequestOptions), func(_ context.Context, s *State, _ []any) ([]any, error) {
			return newRep(s, &requestOptions{})
		}),
		"[resource-drop]request-options": dropFunc(RequestOptions),

		"[method]future-incoming-response.subscribe": fn(ps(canon.Borrow(FutureIncomingResponse)), canon.Own(Pollable), with(FutureIncomingResponse, func(s *State, _ *futureIncomingResponse, _ []any) ([]any, error) {
			return newRep(s, &pollable{})
		})),
		"[method]future-incoming-response.get": fn(ps(canon.Borrow(FutureIncomingResponse)),
			canon.Option(canon.Result(canon.Result(canon.Own(IncomingResponse), h.errorCode), nil)), futureGet),
		"[resource-drop]future-incoming-response": dropFunc(FutureIncomingResponse),

		"[method]incoming-response.status": fn(ps(canon.Borrow(IncomingResponse)), canon.U16(), with(IncomingResponse, func(_ *State, r *incomingResponse, _ []any) ([]any, error) {
			return one(uint16(r.resp.StatusCode))
		})),
		"[method]incoming-response.headers": fn(ps(canon.Borrow(IncomingResponse)), canon.Own(Fields), with(IncomingResponse, func(s *State, r *incomingResponse, _ []any) ([]any, error) {
			return newRep(s, &fields{list: headerListOf(r.resp.Header), immutable: true})
		})),
		"[method]incoming-response.consume": fn(ps(canon.Borrow(IncomingResponse)), canon.Result(canon.Own(IncomingBody), nil), with(IncomingResponse, func(s *State, r *incomingResponse, _ []any) ([]any, error) {
			if r.consumed {
				return one(errValue(nil))
			}
			r.consumed = true
			return wrapOK(s, &incomingBody{r: r.resp.Body, trailer: func() http.Header { return r.resp.Trailer }})
		})),
		"[resource-drop]incoming-response": dropFunc(IncomingResponse),
	} {
		types[name] = f
	}
	for _, o := range []struct {
		name string
		get  func(o *requestOptions) **uint64
	}{
		{"connect-timeout", func(o *requestOptions) **uint64 { return &o.connect }},
		{"first-byte-timeout", func(o *requestOptions) **uint64 { return &o.firstByte }},
		{"between-bytes-timeout", func(o *requestOptions) **uint64 { return &o.betweenBytes }},
	} {
		g, set := timeout(o.get)
		types["[method]request-options."+o.name] = g
		types["[method]request-options.set-"+o.name] = set
	}
	m["wasi:http/outgoing-handler"] = Interface{
		"handle": fn(ps(canon.Own(OutgoingRequest), canon.Option(canon.Own(RequestOptions))),
			canon.Result(canon.Own(FutureIncomingResponse), h.errorCode), outgoingHandle),
	}
}

func outgoingHandle(_ context.Context, s *State, args []any) ([]any, error) {
	r, err := take[*outgoingRequest](s, OutgoingRequest, args[0])
	if err != nil {
		return nil, err
	}
	var opts requestOptions
	if opt, _ := args[1].(canon.VariantValue); opt.Case == 1 {
		o, err := take[*requestOptions](s, RequestOptions, opt.Value)
		if err != nil {
			return nil, err
		}
		opts = *o
	}
	if s.Outbound == nil {
		return one(errValue(errCode(ecHTTPRequestDenied, nil)))
	}
	if r.authority == nil {
		return one(errValue(errCode(ecHTTPRequestURIInvalid, nil)))
	}
	return wrapOK(s, &futureIncomingResponse{req: r, opts: opts})
}

// futureGet sends the request on first use (its body is complete by then
// in the guests seen: they finish the body before waiting).
func futureGet(ctx context.Context, s *State, args []any) ([]any, error) {
	f, err := get[*futureIncomingResponse](s, FutureIncomingResponse, args[0])
	if err != nil {
		return nil, err
	}
	if f.taken {
		return one(some(errValue(nil)))
	}
	if !f.done {
		f.done = true
		f.resp, f.err = send(ctx, s, f.req, f.opts)
	}
	f.taken = true
	if f.err != nil {
		return one(some(ok(errValue(errorCodeOf(s, f.err)))))
	}
	r, err := s.add(&incomingResponse{resp: f.resp})
	if err != nil {
		return nil, err
	}
	return one(some(ok(ok(r))))
}

// The causes that end an outgoing request when one of its
// request-options timeouts passes, and the error-code each is (as
// wasmtime answers them).
var (
	errConnectTimeout      = errors.New("wasi:http: the connection was not made within the request's connect-timeout")
	errFirstByteTimeout    = errors.New("wasi:http: no response arrived within the request's first-byte-timeout")
	errBetweenBytesTimeout = errors.New("wasi:http: the response body stalled for longer than the request's between-bytes-timeout")
)

// send builds the Go request and calls the State's Outbound, under the
// request-options timeouts: connect-timeout from the start until a
// connection is had (DNS, dial and TLS included), first-byte-timeout from
// then until the response's first byte, between-bytes-timeout for each
// read of the response body. A timeout that passes cancels the request
// with its cause.
func send(ctx context.Context, s *State, r *outgoingRequest, opts requestOptions) (*http.Response, error) {
	path := "/"
	if r.path != nil {
		path = *r.path
	}
	u, err := url.Parse(schemeString(r.scheme) + "://" + *r.authority + path)
	if err != nil {
		return nil, errURI
	}
	ctx, cancel := context.WithCancelCause(ctx)
	timer := func(d *uint64, cause error) *time.Timer {
		if d == nil {
			return nil
		}
		return time.AfterFunc(time.Duration(min(*d, math.MaxInt64)), func() { cancel(cause) })
	}
	stop := func(t *time.Timer) {
		if t != nil {
			t.Stop()
		}
	}
	// The trace's callbacks run on net/http's goroutines: mu guards the
	// timers.
	var mu sync.Mutex
	connect := timer(opts.connect, errConnectTimeout)
	var firstByte *time.Timer
	connected := false
	trace := &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) {
			mu.Lock()
			defer mu.Unlock()
			if !connected {
				connected = true
				stop(connect)
				firstByte = timer(opts.firstByte, errFirstByteTimeout)
			}
		},
		GotFirstResponseByte: func() {
			mu.Lock()
			defer mu.Unlock()
			stop(firstByte)
		},
	}
	ctx = httptrace.WithClientTrace(ctx, trace)
	req, err := http.NewRequestWithContext(ctx, methodString(r.method), u.String(), bytes.NewReader(r.body.buf.Bytes()))
	if err != nil {
		cancel(nil)
		return nil, errURI
	}
	r.headers.copyTo(req.Header)
	if r.body.trailers != nil && len(r.body.trailers.entries) > 0 {
		// Trailers go after a chunked body: no Content-Length.
		req.Trailer = http.Header{}
		r.body.trailers.copyTo(req.Trailer)
		req.ContentLength = -1
		req.Body = io.NopCloser(bytes.NewReader(r.body.buf.Bytes()))
		req.GetBody = nil
	}
	resp, err := s.Outbound(req)
	mu.Lock()
	stop(connect)
	stop(firstByte)
	mu.Unlock()
	if err != nil {
		cause := context.Cause(ctx)
		cancel(nil)
		if errors.Is(cause, errConnectTimeout) || errors.Is(cause, errFirstByteTimeout) {
			return nil, fmt.Errorf("%w (%v)", cause, err)
		}
		return nil, err
	}
	resp.Body = &stallGuard{body: resp.Body, ctx: ctx, cancel: cancel, d: opts.betweenBytes}
	return resp, nil
}

// stallGuard is an outgoing response's body under between-bytes-timeout:
// a read that waits longer than d cancels the request. It releases the
// request's context when closed or at the body's end.
type stallGuard struct {
	body   io.ReadCloser
	ctx    context.Context
	cancel context.CancelCauseFunc
	d      *uint64
}

func (g *stallGuard) Read(p []byte) (int, error) {
	var t *time.Timer
	if g.d != nil {
		t = time.AfterFunc(time.Duration(min(*g.d, math.MaxInt64)), func() { g.cancel(errBetweenBytesTimeout) })
	}
	n, err := g.body.Read(p)
	if t != nil {
		t.Stop()
	}
	if err != nil && err != io.EOF {
		if cause := context.Cause(g.ctx); errors.Is(cause, errBetweenBytesTimeout) {
			err = fmt.Errorf("%w (%v)", cause, err)
		}
	}
	return n, err
}

func (g *stallGuard) Close() error {
	err := g.body.Close()
	g.cancel(nil)
	return err
}

var errURI = errors.New("wasi:http: the outgoing request's URI is invalid")

// errorCodeOf maps a Go error of Outbound to an error-code. The node's
// errors are classified by its Services (the egress allowlist's refusal
// is HTTP-request-denied; its message is in the app's log, where the node
// notes every failed outbound call); the request-options timeouts are
// connection-timeout (connect) and connection-read-timeout (first byte),
// as wasmtime answers them.
func errorCodeOf(s *State, err error) canon.VariantValue {
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.Is(err, errURI):
		return errCode(ecHTTPRequestURIInvalid, nil)
	case errors.Is(err, errConnectTimeout):
		return errCode(ecConnectionTimeout, nil)
	case errors.Is(err, errFirstByteTimeout), errors.Is(err, errBetweenBytesTimeout):
		return errCode(ecConnectionReadTimeout, nil)
	}
	if s.Services != nil {
		switch s.Services.Classify(err) {
		case services.Denied:
			return errCode(ecHTTPRequestDenied, nil)
		case services.Invalid:
			return errCode(ecHTTPRequestURIInvalid, nil)
		case services.Limit:
			return errCode(ecConnectionLimitReached, nil)
		case services.Timeout:
			return errCode(ecConnectionTimeout, nil)
		}
	}
	switch {
	case errors.As(err, &dns):
		return errCode(ecDestinationNotFound, nil)
	case errors.As(err, &op):
		return errCode(ecConnectionRefused, nil)
	}
	return internalError(err.Error())
}
