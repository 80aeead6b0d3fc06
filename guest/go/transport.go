package wisp

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"sort"
	"strconv"
	"strings"
)

// Transport is an http.RoundTripper that sends requests through the
// node's outbound HTTP service (wisp:http/outgoing-handler@1), so an
// http.Client works in a module:
//
//	client := &http.Client{Transport: wisp.Transport{}}
//	resp, err := client.Get("https://api.example.com/v1/items")
//
// or, for code that uses http.Get and http.DefaultClient, once in main:
//
//	http.DefaultTransport = wisp.Transport{}
//
// Serve does not do that for you: a module that uses Transport imports
// the outbound service, and a node deploys such a module only if its
// wisp.toml lists allowed_outbound_hosts, so an app that never calls out
// should not carry it.
//
// The node allows only URLs that match the app's allowed_outbound_hosts,
// checks the address it dials (private and metadata addresses are refused
// unless listed literally), follows redirects itself under the same
// checks, and bounds requests per invocation (node default 32), bytes
// sent and received (16 MiB) and time (the app's timeout). A refusal or
// failure is an error wrapping an *Error whose Message is the node's
// explanation, matching ErrDenied, ErrLimit, ErrTimeout, ErrUnavailable
// or ErrInvalid; http.Client wraps it further in a *url.Error.
//
// The request body is read whole before the request is sent; the
// response body streams. The request's context is checked before
// sending, but a request in flight runs until the node's own limits end
// it. The Host header cannot be changed: a req.Host other than the URL's
// host is refused by the node. Responses are not decompressed. A zero
// Transport is ready to use and safe for concurrent use.
type Transport struct {
	h host // nil: defaultHost()
}

// RoundTrip sends req and returns the response, whose Body must be
// closed (the node also closes every response when the request ends).
func (t Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	h := t.h
	if h == nil {
		h = defaultHost()
	}
	if req.Body != nil {
		defer req.Body.Close()
	}
	if req.URL == nil {
		return nil, &Error{Op: "outbound request", Code: CodeInvalid, Message: "the request has no URL"}
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	url := req.URL.String()
	op := "outbound " + method + " " + url
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, fmt.Errorf("wisp: %s: reading the request body: %w", op, err)
		}
	}
	handle, code := h.httpSend(method, url, requestHeaders(req), body)
	if code != CodeOK {
		return nil, fail(h, op, code)
	}
	resp, err := outboundResponse(h, handle, req)
	if err != nil {
		h.httpClose(handle)
		return nil, err
	}
	return resp, nil
}

// requestHeaders writes req's headers as the ABI's "Name: value" lines,
// with a Host line only when req.Host differs from the URL's host.
func requestHeaders(req *http.Request) []byte {
	var b bytes.Buffer
	names := make([]string, 0, len(req.Header))
	for name := range req.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range req.Header[name] {
			b.WriteString(name + ": " + cleanHeaderValue(v) + "\n")
		}
	}
	if req.Host != "" && req.Host != req.URL.Host {
		b.WriteString("Host: " + req.Host + "\n")
	}
	return b.Bytes()
}

// outboundResponse builds the *http.Response of an outbound response handle.
func outboundResponse(h host, handle uint32, req *http.Request) (*http.Response, error) {
	op := "outbound " + req.Method + " " + req.URL.String()
	status, code := h.httpStatus(handle)
	if code != CodeOK {
		return nil, fail(h, op+": status", code)
	}
	text, code := fetchString(func(buf []byte) (int, Code) { return h.httpHeaders(handle, buf) })
	if code != CodeOK {
		return nil, fail(h, op+": headers", code)
	}
	header := http.Header{}
	for line := range strings.SplitSeq(text, "\n") {
		name, value, ok := strings.Cut(strings.TrimSuffix(line, "\r"), ":")
		if ok && name != "" {
			header.Add(textproto.CanonicalMIMEHeaderKey(name), strings.TrimSpace(value))
		}
	}
	length := int64(-1)
	if cl := header.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			length = n
		}
	}
	return &http.Response{
		Status:        strconv.Itoa(int(status)) + " " + http.StatusText(int(status)),
		StatusCode:    int(status),
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Body:          &responseBody{h: h, handle: handle, op: op},
		ContentLength: length,
		Request:       req,
	}, nil
}

// responseBody reads an outbound response's body from the node.
type responseBody struct {
	h      host
	handle uint32
	op     string
	closed bool
	eof    bool
}

// Read reads up to len(p) bytes; io.EOF at the end.
func (b *responseBody) Read(p []byte) (int, error) {
	switch {
	case b.closed:
		return 0, fmt.Errorf("wisp: %s: read after the body was closed", b.op)
	case b.eof:
		return 0, io.EOF
	case len(p) == 0:
		return 0, nil
	}
	n, code := b.h.httpRead(b.handle, p)
	if code != CodeOK {
		return 0, fail(b.h, b.op+": reading the body", code)
	}
	if n > len(p) {
		return 0, &Error{Op: b.op + ": reading the body", Code: CodeFault, Message: "the node claims to have read past the buffer"}
	}
	if n == 0 {
		b.eof = true
		return 0, io.EOF
	}
	return n, nil
}

// Close releases the response on the node. Closing twice is harmless.
func (b *responseBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	if code := b.h.httpClose(b.handle); code != CodeOK {
		return fail(b.h, b.op+": close", code)
	}
	return nil
}
