package wasi

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/wisphq/wisp/internal/component/canon"
)

// Resource types of wasi:http/types, one per WIT resource (see the note on
// the wasi:io ones above: compare by pointer, Dtor nil, dropped through
// "[resource-drop]<name>").
var (
	// Fields is wasi:http/types's fields (also headers and trailers).
	Fields = &canon.ResourceType{Name: "fields"}
	// IncomingRequest is wasi:http/types's incoming-request.
	IncomingRequest = &canon.ResourceType{Name: "incoming-request"}
	// OutgoingRequest is wasi:http/types's outgoing-request.
	OutgoingRequest = &canon.ResourceType{Name: "outgoing-request"}
	// RequestOptions is wasi:http/types's request-options.
	RequestOptions = &canon.ResourceType{Name: "request-options"}
	// ResponseOutparam is wasi:http/types's response-outparam.
	ResponseOutparam = &canon.ResourceType{Name: "response-outparam"}
	// IncomingResponse is wasi:http/types's incoming-response.
	IncomingResponse = &canon.ResourceType{Name: "incoming-response"}
	// IncomingBody is wasi:http/types's incoming-body.
	IncomingBody = &canon.ResourceType{Name: "incoming-body"}
	// FutureTrailers is wasi:http/types's future-trailers.
	FutureTrailers = &canon.ResourceType{Name: "future-trailers"}
	// OutgoingResponse is wasi:http/types's outgoing-response.
	OutgoingResponse = &canon.ResourceType{Name: "outgoing-response"}
	// OutgoingBody is wasi:http/types's outgoing-body.
	OutgoingBody = &canon.ResourceType{Name: "outgoing-body"}
	// FutureIncomingResponse is wasi:http/types's future-incoming-response.
	FutureIncomingResponse = &canon.ResourceType{Name: "future-incoming-response"}
)

// MaxOutgoingBody is the most bytes of an outgoing body the host buffers
// (a response body written before response-outparam.set, or an outbound
// request's body); writing more fails the stream.
const MaxOutgoingBody = 16 << 20

// httpResource is implemented by the Go objects behind wasi:http handles.
type httpResource interface{ resourceType() *canon.ResourceType }

// header is one field: a lower-case name and a value.
type header struct {
	name  string
	value []byte
}

// headerList is the entries of a fields resource, shared by a request or
// response and the fields handles it hands out.
type headerList struct{ entries []header }

// fields is the object behind a fields handle.
type fields struct {
	list      *headerList
	immutable bool
}

type incomingRequest struct {
	req      *http.Request
	trailer  func() http.Header // the trailers once the body is read to its end
	consumed bool
}

type incomingBody struct {
	r        io.Reader
	trailer  func() http.Header // nil: none
	streamed bool
}

// futureTrailers is the object behind a future-trailers: the body whose
// trailers it resolves to, read to its end first.
type futureTrailers struct {
	body  *incomingBody
	taken bool
}

type outgoingResponse struct {
	status   uint16
	headers  *headerList
	body     *outgoingBody
	bodyUsed bool
}

// outgoingBody buffers what the guest writes until it has somewhere to go
// (sink), then passes writes through.
type outgoingBody struct {
	buf      bytes.Buffer
	sink     io.Writer
	streamed bool
	finished bool
	// trailers are the fields outgoing-body.finish gave (nil: none).
	trailers *headerList
	// response: the body of an outgoing-response, whose trailers Wisp
	// cannot send (the gateway frames responses as CGI does).
	response bool
}

type responseOutparam struct {
	w   http.ResponseWriter
	set bool
}

type outgoingRequest struct {
	method    canon.VariantValue
	path      *string
	scheme    *canon.VariantValue
	authority *string
	headers   *headerList
	body      *outgoingBody
	bodyUsed  bool
}

type requestOptions struct{ connect, firstByte, betweenBytes *uint64 }

type futureIncomingResponse struct {
	req   *outgoingRequest
	opts  requestOptions
	done  bool
	taken bool
	resp  *http.Response
	err   error
}

type incomingResponse struct {
	resp     *http.Response
	consumed bool
}

func (*fields) resourceType() *canon.ResourceType                 { return Fields }
func (*incomingRequest) resourceType() *canon.ResourceType        { return IncomingRequest }
func (*incomingBody) resourceType() *canon.ResourceType           { return IncomingBody }
func (*futureTrailers) resourceType() *canon.ResourceType         { return FutureTrailers }
func (*outgoingResponse) resourceType() *canon.ResourceType       { return OutgoingResponse }
func (*outgoingBody) resourceType() *canon.ResourceType           { return OutgoingBody }
func (*responseOutparam) resourceType() *canon.ResourceType       { return ResponseOutparam }
func (*outgoingRequest) resourceType() *canon.ResourceType        { return OutgoingRequest }
func (*requestOptions) resourceType() *canon.ResourceType         { return RequestOptions }
func (*futureIncomingResponse) resourceType() *canon.ResourceType { return FutureIncomingResponse }
func (*incomingResponse) resourceType() *canon.ResourceType       { return IncomingResponse }

// Write buffers b until the body has a sink, then writes it through.
func (b *outgoingBody) Write(p []byte) (int, error) {
	if b.finished {
		return 0, fmt.Errorf("wasi:http: the body was already finished")
	}
	if b.sink != nil {
		return b.sink.Write(p)
	}
	if b.buf.Len()+len(p) > MaxOutgoingBody {
		return 0, fmt.Errorf("wasi:http: the body is larger than %d bytes before its response is set", MaxOutgoingBody)
	}
	return b.buf.Write(p)
}

// attach sends the buffered bytes to w and the rest of the body after them.
func (b *outgoingBody) attach(w io.Writer) error {
	b.sink = w
	if b.buf.Len() == 0 {
		return nil
	}
	_, err := w.Write(b.buf.Bytes())
	b.buf.Reset()
	return err
}

// NewIncomingRequest hands r to the guest as an incoming-request and
// returns its representation, the value of the own<incoming-request>
// argument of wasi:http/incoming-handler.handle. The guest reads r.Body
// (nil is empty) through incoming-request.consume, and its trailers
// through incoming-body.finish: trailer returns them once the body has
// been read to its end (nil: r.Trailer; the node passes the original
// request's, which net/http fills when the client's body ends).
func (s *State) NewIncomingRequest(r *http.Request, trailer func() http.Header) (uint32, error) {
	if trailer == nil {
		trailer = func() http.Header { return r.Trailer }
	}
	return s.add(&incomingRequest{req: r, trailer: trailer})
}

// NewResponseOutparam hands w to the guest as a response-outparam and
// returns its representation, the value of handle's
// own<response-outparam> argument. When the guest sets a response, its
// headers and status go to w and its body is written to w as the guest
// writes it; a guest setting an error answers 500 (ResponseError says
// why).
func (s *State) NewResponseOutparam(w http.ResponseWriter) (uint32, error) {
	return s.add(&responseOutparam{w: w})
}

// methodNames are the method variant's cases before other.
var methodNames = [...]string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}

func methodValue(m string) canon.VariantValue {
	if m == "" {
		m = "GET"
	}
	for i, n := range methodNames {
		if m == n {
			return canon.VariantValue{Case: uint32(i)}
		}
	}
	return canon.VariantValue{Case: uint32(len(methodNames)), Value: m}
}

func methodString(v canon.VariantValue) string {
	if int(v.Case) < len(methodNames) {
		return methodNames[v.Case]
	}
	s, _ := v.Value.(string)
	return s
}

func schemeValue(s string) canon.VariantValue {
	switch strings.ToLower(s) {
	case "http":
		return canon.VariantValue{Case: 0}
	case "https":
		return canon.VariantValue{Case: 1}
	}
	return canon.VariantValue{Case: 2, Value: s}
}

func schemeString(v *canon.VariantValue) string {
	if v == nil {
		return "https"
	}
	switch v.Case {
	case 0:
		return "http"
	case 1:
		return "https"
	}
	s, _ := v.Value.(string)
	return s
}

// headerListOf copies h, names lower-cased.
func headerListOf(h http.Header) *headerList {
	l := &headerList{}
	for name, vs := range h {
		for _, v := range vs {
			l.entries = append(l.entries, header{strings.ToLower(name), []byte(v)})
		}
	}
	return l
}

// copyTo adds the entries to h.
func (l *headerList) copyTo(h http.Header) {
	for _, e := range l.entries {
		h.Add(e.name, string(e.value))
	}
}

// take removes the object behind representation v of type rt from the
// State (the guest passed its own handle to the host) and returns it.
func take[T any](s *State, rt *canon.ResourceType, v any) (T, error) {
	obj, err := get[T](s, rt, v)
	if err != nil {
		return obj, err
	}
	return obj, s.drop(rt, v)
}

// errCode builds an error-code value: case c with payload v.
func errCode(c uint32, v any) canon.VariantValue { return canon.VariantValue{Case: c, Value: v} }

// error-code cases the host produces.
const (
	ecDestinationNotFound    = 2
	ecConnectionRefused      = 6
	ecConnectionTimeout      = 8
	ecConnectionReadTimeout  = 9
	ecConnectionLimitReached = 11
	ecHTTPRequestDenied      = 15
	ecHTTPRequestURIInvalid  = 19
	ecHTTPProtocolError      = 35
	ecInternalError          = 38
)

// internalError is error-code.internal-error(some(msg)).
func internalError(msg string) canon.VariantValue { return errCode(ecInternalError, some(msg)) }
