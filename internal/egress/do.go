package egress

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// NewRequest builds a request for Client.Do from a method, a URL and a
// body (nil for none). A malformed method or URL fails with ErrInvalid.
func NewRequest(method, rawURL string, body []byte) (*http.Request, error) {
	if method == "" {
		method = http.MethodGet
	}
	if !validToken(method) {
		return nil, fail(ErrInvalid, "method %q is not a valid HTTP method: use a word like GET or POST", method)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fail(ErrInvalid, "URL %q: %v", ShowURL(rawURL), unwrapURLError(err))
	}
	req := &http.Request{Method: method, URL: u, Header: http.Header{}, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	if body != nil {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
	}
	return req, nil
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// Do sends req under policy p and budget b and returns the response, after
// following up to Options.MaxRedirects redirects itself: 301, 302 and 303
// turn the request into a GET without a body (HEAD stays HEAD), 307 and 308
// keep the method and body; each hop's URL goes through every check again,
// counts as a request, and loses Authorization and Cookie headers when it
// leaves the first URL's scheme, host and port.
//
// The request's body is read whole first (it counts against the budget on
// every hop that sends it). Its Host is always the URL's: a Host header
// (or req.Host) naming another host is refused with ErrDenied, one naming
// the URL's host is dropped. The response's body counts against the
// budget as it is read: a read past it fails with ErrLimit. Time is
// bounded by ctx. Errors wrap ErrDenied, ErrInvalid, ErrLimit, ErrTimeout
// or ErrUnavailable and say what to change. The caller closes the body.
func (c *Client) Do(ctx context.Context, p *Policy, b *Budget, req *http.Request) (*http.Response, error) {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if req.URL == nil {
		return nil, fail(ErrInvalid, "the request has no URL")
	}
	first, err := checkURL(req.URL)
	what := fmtWhat(method, showURL(req.URL), 0)
	if err != nil {
		return nil, err
	}
	if !validToken(method) {
		return nil, fail(ErrInvalid, "method %q is not a valid HTTP method: use a word like GET or POST", method)
	}
	header, err := outgoingHeader(req, first, what)
	if err != nil {
		return nil, err
	}
	body, err := readBody(req, b, what)
	if err != nil {
		return nil, err
	}

	t := first
	for hop := 0; ; hop++ {
		addrs, err := c.admit(ctx, p, b, t, what, int64(len(body)))
		if err != nil {
			return nil, err
		}
		resp, err := c.send(ctx, method, t, header, body, addrs)
		if err != nil {
			return nil, netFailure(ctx, what, err)
		}
		loc := resp.Header.Get("Location")
		if !isRedirect(resp.StatusCode) || loc == "" {
			resp.Body = &budgetBody{rc: resp.Body, budget: b, ctx: ctx, what: method + " " + showURL(t.url)}
			return resp, nil
		}
		resp.Body.Close()
		if hop == c.opts.MaxRedirects {
			return nil, fail(ErrLimit, "%s: stopped after %d redirects (the last to %s)", fmtWhat(method, showURL(req.URL), 0), hop, showURL(t.url))
		}
		next, err := t.url.Parse(loc)
		if err != nil {
			return nil, fail(ErrInvalid, "%s answered %d with Location %q, which is not a URL: %v", what, resp.StatusCode, ShowURL(loc), unwrapURLError(err))
		}
		what = fmtWhat(method, showURL(next), hop+1)
		nt, err := checkURL(next)
		if err != nil {
			return nil, within(fmt.Sprintf("redirect %d from %s", hop+1, showURL(t.url)), err)
		}
		if resp.StatusCode != http.StatusTemporaryRedirect && resp.StatusCode != http.StatusPermanentRedirect {
			if method != http.MethodHead {
				method = http.MethodGet
			}
			body = nil
			header.Del("Content-Type")
			header.Del("Content-Length")
		}
		if nt.scheme != first.scheme || nt.host != first.host || nt.port != first.port {
			for _, h := range []string{"Authorization", "Cookie", "Cookie2", "Proxy-Authorization", "Www-Authenticate"} {
				header.Del(h)
			}
		}
		t = nt
	}
}

// send makes one round trip to t, dialling only addrs.
func (c *Client) send(ctx context.Context, method string, t target, header http.Header, body []byte, addrs []netip.Addr) (*http.Response, error) {
	ctx = context.WithValue(ctx, dialKey{}, dialTarget{addrs: addrs, port: t.port})
	out := (&http.Request{
		Method: method, URL: t.url, Host: t.url.Host, Header: header.Clone(),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}).WithContext(ctx)
	if body != nil {
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		out.ContentLength = int64(len(body))
		if len(body) == 0 {
			out.Body = http.NoBody
		}
	}
	return c.transport.RoundTrip(out)
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// outgoingHeader checks and copies the request's header. A Host header or
// req.Host naming another host than the URL's is refused; one naming the
// URL's host is dropped (the URL's is sent either way).
func outgoingHeader(req *http.Request, t target, what string) (http.Header, error) {
	out := make(http.Header, len(req.Header))
	for name, values := range req.Header {
		if !validToken(name) {
			return nil, fail(ErrInvalid, "%s: header name %q is not valid: use letters, digits and '-'", what, name)
		}
		for _, v := range values {
			if !validHeaderValue(v) {
				return nil, fail(ErrInvalid, "%s: header %s has a control character (a line break?) in its value: remove it", what, name)
			}
		}
		if http.CanonicalHeaderKey(name) == "Host" {
			for _, v := range values {
				if err := checkHostHeader(v, t, what); err != nil {
					return nil, err
				}
			}
			continue
		}
		out[http.CanonicalHeaderKey(name)] = append(out[http.CanonicalHeaderKey(name)], values...)
	}
	if req.Host != "" {
		if err := checkHostHeader(req.Host, t, what); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkHostHeader accepts a Host value only if it names t's host and port.
func checkHostHeader(v string, t target, what string) error {
	name, port, err := splitAuthority(v)
	if err == nil {
		var h target
		h.scheme, h.port = t.scheme, defaultPort(t.scheme)
		if port != "" {
			h.port, err = parsePort(port)
		}
		if err == nil {
			h.host, h.ip, err = checkHost(name)
		}
		if err == nil && h.host == t.host && h.port == t.port {
			return nil
		}
	}
	return fail(ErrDenied, "%s: the Host header %q differs from the URL's host %q: the request goes where its URL says, so put the host in the URL and drop the header", what, cutText(v, MaxShownURL), t.authority())
}

// readBody reads the request's body whole, refusing one larger than the
// bytes left in the budget before anything is sent.
func readBody(req *http.Request, b *Budget, what string) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	limit := b.left()
	r := io.Reader(req.Body)
	if limit >= 0 {
		r = io.LimitReader(req.Body, limit+1)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, fail(ErrInvalid, "%s: reading the request body: %w", what, err)
	}
	if limit >= 0 && int64(len(body)) > limit {
		return nil, fail(ErrLimit, "%s: the request body is more than the %d bytes left of limits.outbound_bytes (%d bytes of bodies sent and received per invocation): send less or raise the limit", what, limit, b.maxBytes)
	}
	return body, nil
}

// validToken reports whether s is an HTTP token (a method or header name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v has no control character but tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
