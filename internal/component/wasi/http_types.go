package wasi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/wisphq/wisp/internal/component/canon"
)

// httpTypes holds wasi:http/types's named types.
type httpTypes struct {
	method, scheme, errorCode, headerError, fieldEntries *canon.Type
}

func newHTTPTypes(t *types) *httpTypes {
	h := &httpTypes{}
	h.method = canon.Variant(
		canon.Case{Name: "get"}, canon.Case{Name: "head"}, canon.Case{Name: "post"}, canon.Case{Name: "put"},
		canon.Case{Name: "delete"}, canon.Case{Name: "connect"}, canon.Case{Name: "options"},
		canon.Case{Name: "trace"}, canon.Case{Name: "patch"}, canon.Case{Name: "other", Type: canon.String()},
	)
	h.scheme = canon.Variant(canon.Case{Name: "HTTP"}, canon.Case{Name: "HTTPS"}, canon.Case{Name: "other", Type: canon.String()})
	optString, optU32, optU64 := canon.Option(canon.String()), canon.Option(canon.U32()), canon.Option(canon.U64())
	fieldSize := canon.Record(canon.Field{Name: "field-name", Type: optString}, canon.Field{Name: "field-size", Type: optU32})
	h.errorCode = canon.Variant(
		canon.Case{Name: "DNS-timeout"},
		canon.Case{Name: "DNS-error", Type: canon.Record(
			canon.Field{Name: "rcode", Type: optString}, canon.Field{Name: "info-code", Type: canon.Option(canon.U16())})},
		canon.Case{Name: "destination-not-found"},
		canon.Case{Name: "destination-unavailable"},
		canon.Case{Name: "destination-IP-prohibited"},
		canon.Case{Name: "destination-IP-unroutable"},
		canon.Case{Name: "connection-refused"},
		canon.Case{Name: "connection-terminated"},
		canon.Case{Name: "connection-timeout"},
		canon.Case{Name: "connection-read-timeout"},
		canon.Case{Name: "connection-write-timeout"},
		canon.Case{Name: "connection-limit-reached"},
		canon.Case{Name: "TLS-protocol-error"},
		canon.Case{Name: "TLS-certificate-error"},
		canon.Case{Name: "TLS-alert-received", Type: canon.Record(
			canon.Field{Name: "alert-id", Type: canon.Option(canon.U8())}, canon.Field{Name: "alert-message", Type: optString})},
		canon.Case{Name: "HTTP-request-denied"},
		canon.Case{Name: "HTTP-request-length-required"},
		canon.Case{Name: "HTTP-request-body-size", Type: optU64},
		canon.Case{Name: "HTTP-request-method-invalid"},
		canon.Case{Name: "HTTP-request-URI-invalid"},
		canon.Case{Name: "HTTP-request-URI-too-long"},
		canon.Case{Name: "HTTP-request-header-section-size", Type: optU32},
		canon.Case{Name: "HTTP-request-header-size", Type: canon.Option(fieldSize)},
		canon.Case{Name: "HTTP-request-trailer-section-size", Type: optU32},
		canon.Case{Name: "HTTP-request-trailer-size", Type: fieldSize},
		canon.Case{Name: "HTTP-response-incomplete"},
		canon.Case{Name: "HTTP-response-header-section-size", Type: optU32},
		canon.Case{Name: "HTTP-response-header-size", Type: fieldSize},
		canon.Case{Name: "HTTP-response-body-size", Type: optU64},
		canon.Case{Name: "HTTP-response-trailer-section-size", Type: optU32},
		canon.Case{Name: "HTTP-response-trailer-size", Type: fieldSize},
		canon.Case{Name: "HTTP-response-transfer-coding", Type: optString},
		canon.Case{Name: "HTTP-response-content-coding", Type: optString},
		canon.Case{Name: "HTTP-response-timeout"},
		canon.Case{Name: "HTTP-upgrade-failed"},
		canon.Case{Name: "HTTP-protocol-error"},
		canon.Case{Name: "loop-detected"},
		canon.Case{Name: "configuration-error"},
		canon.Case{Name: "internal-error", Type: optString},
	)
	h.headerError = canon.Variant(canon.Case{Name: "invalid-syntax"}, canon.Case{Name: "forbidden"}, canon.Case{Name: "immutable"})
	h.fieldEntries = canon.List(canon.Tuple(canon.String(), t.bytes))
	return h
}

// call is the shape of every Func's Call.
type call = func(context.Context, *State, []any) ([]any, error)

// with runs f on the object of type T behind args[0] (of type rt).
func with[T any](rt *canon.ResourceType, f func(s *State, obj T, args []any) ([]any, error)) call {
	return func(_ context.Context, s *State, args []any) ([]any, error) {
		obj, err := get[T](s, rt, args[0])
		if err != nil {
			return nil, err
		}
		return f(s, obj, args)
	}
}

// addHTTP adds wasi:http/types and wasi:http/outgoing-handler.
func addHTTP(m map[string]Interface, t *types) {
	h := newHTTPTypes(t)
	unit := canon.Result(nil, nil)
	hdrResult := canon.Result(nil, h.headerError)
	optStr := canon.Option(canon.String())
	optScheme := canon.Option(h.scheme)
	optDuration := canon.Option(canon.U64())
	bf := canon.Borrow(Fields)
	m["wasi:http/types"] = Interface{
		"http-error-code": fn(ps(canon.Borrow(Error)), canon.Option(h.errorCode), func(_ context.Context, s *State, args []any) ([]any, error) {
			e, err := get[*ioError](s, Error, args[0])
			if err != nil {
				return nil, err
			}
			if e.httpCode != nil {
				return one(some(*e.httpCode))
			}
			return one(none())
		}),

		"[constructor]fields": fn(nil, canon.Own(Fields), func(_ context.Context, s *State, _ []any) ([]any, error) {
			return newRep(s, &fields{list: &headerList{}})
		}),
		"[static]fields.from-list": fn(ps(h.fieldEntries), canon.Result(canon.Own(Fields), h.headerError), fieldsFromList),
		"[method]fields.get":       fn(ps(bf, canon.String()), canon.List(t.bytes), with(Fields, fieldsGet)),
		"[method]fields.has": fn(ps(bf, canon.String()), canon.Bool(), with(Fields, func(_ *State, f *fields, args []any) ([]any, error) {
			vs, _ := fieldsGet(nil, f, args)
			return one(len(vs[0].([]any)) > 0)
		})),
		"[method]fields.set":     fn(ps(bf, canon.String(), canon.List(t.bytes)), hdrResult, with(Fields, fieldsSet)),
		"[method]fields.delete":  fn(ps(bf, canon.String()), hdrResult, with(Fields, fieldsDelete)),
		"[method]fields.append":  fn(ps(bf, canon.String(), t.bytes), hdrResult, with(Fields, fieldsAppend)),
		"[method]fields.entries": fn(ps(bf), h.fieldEntries, with(Fields, fieldsEntries)),
		"[method]fields.clone": fn(ps(bf), canon.Own(Fields), with(Fields, func(s *State, f *fields, _ []any) ([]any, error) {
			return newRep(s, &fields{list: &headerList{entries: append([]header(nil), f.list.entries...)}})
		})),
		"[resource-drop]fields": dropFunc(Fields),

		"[method]incoming-request.method": fn(ps(canon.Borrow(IncomingRequest)), h.method, with(IncomingRequest, func(_ *State, r *incomingRequest, _ []any) ([]any, error) {
			return one(methodValue(r.req.Method))
		})),
		"[method]incoming-request.path-with-query": fn(ps(canon.Borrow(IncomingRequest)), optStr, with(IncomingRequest, func(_ *State, r *incomingRequest, _ []any) ([]any, error) {
			if r.req.URL == nil {
				return one(none())
			}
			return one(some(r.req.URL.RequestURI()))
		})),
		"[method]incoming-request.scheme": fn(ps(canon.Borrow(IncomingRequest)), optScheme, with(IncomingRequest, func(_ *State, r *incomingRequest, _ []any) ([]any, error) {
			sc := "http"
			if r.req.TLS != nil {
				sc = "https"
			}
			if r.req.URL != nil && r.req.URL.Scheme != "" {
				sc = r.req.URL.Scheme
			}
			return one(some(schemeValue(sc)))
		})),
		"[method]incoming-request.authority": fn(ps(canon.Borrow(IncomingRequest)), optStr, with(IncomingRequest, func(_ *State, r *incomingRequest, _ []any) ([]any, error) {
			if r.req.Host != "" {
				return one(some(r.req.Host))
			}
			if r.req.URL != nil && r.req.URL.Host != "" {
				return one(some(r.req.URL.Host))
			}
			return one(none())
		})),
		"[method]incoming-request.headers": fn(ps(canon.Borrow(IncomingRequest)), canon.Own(Fields), with(IncomingRequest, func(s *State, r *incomingRequest, _ []any) ([]any, error) {
			return newRep(s, &fields{list: headerListOf(r.req.Header), immutable: true})
		})),
		"[method]incoming-request.consume": fn(ps(canon.Borrow(IncomingRequest)), canon.Result(canon.Own(IncomingBody), nil), with(IncomingRequest, func(s *State, r *incomingRequest, _ []any) ([]any, error) {
			if r.consumed {
				return one(errValue(nil))
			}
			r.consumed = true
			return wrapOK(s, &incomingBody{r: r.req.Body, trailer: r.trailer})
		})),
		"[resource-drop]incoming-request": dropFunc(IncomingRequest),

		"[method]incoming-body.stream": fn(ps(canon.Borrow(IncomingBody)), canon.Result(canon.Own(InputStream), nil), with(IncomingBody, func(s *State, b *incomingBody, _ []any) ([]any, error) {
			if b.streamed {
				return one(errValue(nil))
			}
			b.streamed = true
			return wrapOK(s, &inputStream{r: b.r})
		})),
		"[static]incoming-body.finish": fn(ps(canon.Own(IncomingBody)), canon.Own(FutureTrailers), func(_ context.Context, s *State, args []any) ([]any, error) {
			b, err := take[*incomingBody](s, IncomingBody, args[0])
			if err != nil {
				return nil, err
			}
			return newRep(s, &futureTrailers{body: b})
		}),
		"[resource-drop]incoming-body": dropFunc(IncomingBody),

		"[method]future-trailers.subscribe": fn(ps(canon.Borrow(FutureTrailers)), canon.Own(Pollable), with(FutureTrailers, func(s *State, _ *futureTrailers, _ []any) ([]any, error) {
			return newRep(s, &pollable{})
		})),
		"[method]future-trailers.get": fn(ps(canon.Borrow(FutureTrailers)),
			canon.Option(canon.Result(canon.Result(canon.Option(canon.Own(Fields)), h.errorCode), nil)),
			with(FutureTrailers, futureTrailersGet)),
		"[resource-drop]future-trailers": dropFunc(FutureTrailers),

		"[constructor]outgoing-response": fn(ps(canon.Own(Fields)), canon.Own(OutgoingResponse), func(_ context.Context, s *State, args []any) ([]any, error) {
			f, err := take[*fields](s, Fields, args[0])
			if err != nil {
				return nil, err
			}
			return newRep(s, &outgoingResponse{status: 200, headers: f.list, body: &outgoingBody{response: true}})
		}),
		"[method]outgoing-response.status-code": fn(ps(canon.Borrow(OutgoingResponse)), canon.U16(), with(OutgoingResponse, func(_ *State, r *outgoingResponse, _ []any) ([]any, error) {
			return one(r.status)
		})),
		"[method]outgoing-response.set-status-code": fn(ps(canon.Borrow(OutgoingResponse), canon.U16()), unit, with(OutgoingResponse, func(_ *State, r *outgoingResponse, args []any) ([]any, error) {
			c := args[1].(uint16)
			if c < 100 || c > 999 {
				return one(errValue(nil))
			}
			r.status = c
			return one(ok(nil))
		})),
		"[method]outgoing-response.headers": fn(ps(canon.Borrow(OutgoingResponse)), canon.Own(Fields), with(OutgoingResponse, func(s *State, r *outgoingResponse, _ []any) ([]any, error) {
			return newRep(s, &fields{list: r.headers})
		})),
		"[method]outgoing-response.body": fn(ps(canon.Borrow(OutgoingResponse)), canon.Result(canon.Own(OutgoingBody), nil), with(OutgoingResponse, func(s *State, r *outgoingResponse, _ []any) ([]any, error) {
			if r.bodyUsed {
				return one(errValue(nil))
			}
			r.bodyUsed = true
			return wrapOK(s, r.body)
		})),
		"[resource-drop]outgoing-response": dropFunc(OutgoingResponse),

		"[method]outgoing-body.write": fn(ps(canon.Borrow(OutgoingBody)), canon.Result(canon.Own(OutputStream), nil), with(OutgoingBody, func(s *State, b *outgoingBody, _ []any) ([]any, error) {
			if b.streamed {
				return one(errValue(nil))
			}
			b.streamed = true
			return wrapOK(s, &outputStream{w: b})
		})),
		"[static]outgoing-body.finish": fn(ps(canon.Own(OutgoingBody), canon.Option(canon.Own(Fields))), canon.Result(nil, h.errorCode), outgoingBodyFinish),
		"[resource-drop]outgoing-body": dropFunc(OutgoingBody),

		"[static]response-outparam.set":    fn(ps(canon.Own(ResponseOutparam), canon.Result(canon.Own(OutgoingResponse), h.errorCode)), nil, responseOutparamSet),
		"[resource-drop]response-outparam": dropFunc(ResponseOutparam),
	}
	addOutgoing(m, h, unit, optStr, optScheme, optDuration)
}

// wrapOK stores obj and returns ok(own) of it.
func wrapOK(s *State, obj any) ([]any, error) {
	r, err := s.add(obj)
	if err != nil {
		return nil, err
	}
	return one(ok(r))
}

func fieldsFromList(_ context.Context, s *State, args []any) ([]any, error) {
	l := &headerList{}
	entries, _ := args[0].([]any)
	for _, e := range entries {
		kv, _ := e.([]any)
		name, _ := kv[0].(string)
		value, _ := kv[1].([]byte)
		if !validFieldName(name) {
			return one(errValue(canon.VariantValue{Case: 0}))
		}
		l.entries = append(l.entries, header{strings.ToLower(name), value})
	}
	return wrapOK(s, &fields{list: l})
}

func validFieldName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

func fieldsGet(_ *State, f *fields, args []any) ([]any, error) {
	name := strings.ToLower(args[1].(string))
	vs := []any{}
	for _, e := range f.list.entries {
		if e.name == name {
			vs = append(vs, e.value)
		}
	}
	return one(vs)
}

// headerErr returns the header-error of changing f under name, or nil.
func headerErr(f *fields, name string) []any {
	if f.immutable {
		return []any{errValue(canon.VariantValue{Case: 2})}
	}
	if !validFieldName(name) {
		return []any{errValue(canon.VariantValue{Case: 0})}
	}
	return nil
}

func (l *headerList) remove(name string) {
	kept := l.entries[:0]
	for _, e := range l.entries {
		if e.name != name {
			kept = append(kept, e)
		}
	}
	l.entries = kept
}

func fieldsSet(_ *State, f *fields, args []any) ([]any, error) {
	name := args[1].(string)
	if r := headerErr(f, name); r != nil {
		return r, nil
	}
	name = strings.ToLower(name)
	f.list.remove(name)
	vs, _ := args[2].([]any)
	for _, v := range vs {
		b, _ := v.([]byte)
		f.list.entries = append(f.list.entries, header{name, b})
	}
	return one(ok(nil))
}

func fieldsDelete(_ *State, f *fields, args []any) ([]any, error) {
	name := args[1].(string)
	if r := headerErr(f, name); r != nil {
		return r, nil
	}
	f.list.remove(strings.ToLower(name))
	return one(ok(nil))
}

func fieldsAppend(_ *State, f *fields, args []any) ([]any, error) {
	name := args[1].(string)
	if r := headerErr(f, name); r != nil {
		return r, nil
	}
	b, _ := args[2].([]byte)
	f.list.entries = append(f.list.entries, header{strings.ToLower(name), b})
	return one(ok(nil))
}

func fieldsEntries(_ *State, f *fields, _ []any) ([]any, error) {
	out := make([]any, len(f.list.entries))
	for i, e := range f.list.entries {
		out[i] = []any{e.name, e.value}
	}
	return one(out)
}

// outgoingBodyFinish ends a body. Its trailers go with an outgoing
// request (sent as HTTP trailers); a response's are dropped with a line
// in the app's log, since the gateway's CGI framing sends none.
func outgoingBodyFinish(_ context.Context, s *State, args []any) ([]any, error) {
	b, err := take[*outgoingBody](s, OutgoingBody, args[0])
	if err != nil {
		return nil, err
	}
	if opt, _ := args[1].(canon.VariantValue); opt.Case == 1 {
		f, err := take[*fields](s, Fields, opt.Value)
		if err != nil {
			return nil, err
		}
		if b.response && len(f.list.entries) > 0 {
			if s.Stderr != nil {
				fmt.Fprintf(s.Stderr, "wasi:http: the response's %d trailer fields were dropped: Wisp does not send response trailers\n", len(f.list.entries))
			}
		} else {
			b.trailers = f.list
		}
	}
	b.finished = true
	return one(ok(nil))
}

// futureTrailersGet reads the body to its end (what the guest left of
// it) and answers its trailers: none when it had none.
func futureTrailersGet(s *State, f *futureTrailers, _ []any) ([]any, error) {
	if f.taken {
		return one(some(errValue(nil)))
	}
	f.taken = true
	b := f.body
	if b.r != nil {
		if _, err := io.Copy(io.Discard, b.r); err != nil {
			return one(some(ok(errValue(internalError("reading the body to its trailers: " + err.Error())))))
		}
	}
	var h http.Header
	if b.trailer != nil {
		h = b.trailer()
	}
	if len(h) == 0 {
		return one(some(ok(ok(none()))))
	}
	r, err := s.add(&fields{list: headerListOf(h), immutable: true})
	if err != nil {
		return nil, err
	}
	return one(some(ok(ok(some(r)))))
}

func responseOutparamSet(_ context.Context, s *State, args []any) ([]any, error) {
	p, err := take[*responseOutparam](s, ResponseOutparam, args[0])
	if err != nil {
		return nil, err
	}
	res, _ := args[1].(canon.VariantValue)
	if p.set {
		return nil, &canon.Trap{Msg: "response-outparam.set was called twice"}
	}
	p.set = true
	if res.Case != 0 {
		s.ResponseError = fmt.Sprintf("the component answered with error-code %v", res.Value)
		p.w.WriteHeader(http.StatusInternalServerError)
		return nil, nil
	}
	r, err := take[*outgoingResponse](s, OutgoingResponse, res.Value)
	if err != nil {
		return nil, err
	}
	r.headers.copyTo(p.w.Header())
	p.w.WriteHeader(int(r.status))
	if err := r.body.attach(p.w); err != nil {
		return nil, fmt.Errorf("wasi:http: writing the response body: %w", err)
	}
	return nil, nil
}
