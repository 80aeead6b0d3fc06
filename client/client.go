// Package client is the Go client of a Wisp node's admin API (see
// docs/admin-api.md): deploy apps, upload modules and file bundles, roll
// back, remove apps and read or follow their logs.
//
// The wire types are the root package's (wisp.AppSpec, wisp.App,
// wisp.DeployResult, ...). Errors the node answers with become *APIError,
// which matches the wisp sentinels with errors.Is:
//
//	c := client.New("http://127.0.0.1:8081", token)
//	app, err := c.App(ctx, "hello")
//	if errors.Is(err, wisp.ErrNotFound) {
//		// no app called hello
//	}
//
// A Client is safe for concurrent use by multiple goroutines.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Default timeouts of a Client made by New.
const (
	// DefaultRequestTimeout bounds each quick call (everything but
	// PutBlob, Deploy and FollowLogs), from dialing to reading the answer.
	DefaultRequestTimeout = 30 * time.Second
	// DefaultDeployTimeout bounds Deploy, which returns only once the node
	// has compiled the module: large modules take a while.
	DefaultDeployTimeout = 5 * time.Minute
	// DefaultDialTimeout bounds connecting to the node, for every call.
	DefaultDialTimeout = 10 * time.Second
)

// DefaultUserAgent is the User-Agent header a Client sends unless
// WithUserAgent says otherwise.
const DefaultUserAgent = "wisp-go-client"

// maxAnswerSize caps a JSON answer the client reads into memory (an app
// with every version it ever had, a page of logs).
const maxAnswerSize = 64 << 20

// Client talks to one node's admin API. Make one with New.
type Client struct {
	base           string // scheme://host[:port][/prefix], without trailing slash
	token          string
	http           *http.Client
	userAgent      string
	requestTimeout time.Duration
	deployTimeout  time.Duration
}

// Option configures a Client made by New.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests with hc (for custom
// TLS, proxies or tests). The per-call timeouts still apply through the
// request context; hc.Timeout, if set, applies on top of them, so leave it
// zero if you use FollowLogs or upload large blobs.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.http = hc }
}

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// WithRequestTimeout sets the timeout of each quick call (default
// DefaultRequestTimeout). Zero or less means none: only the caller's
// context bounds the call.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *Client) { c.requestTimeout = d }
}

// WithDeployTimeout sets the timeout of Deploy (default
// DefaultDeployTimeout). Zero or less means none.
func WithDeployTimeout(d time.Duration) Option {
	return func(c *Client) { c.deployTimeout = d }
}

// New returns a Client of the admin API at baseURL, such as
// "http://127.0.0.1:8081" ("http://" is assumed when no scheme is given; a
// path, as behind a reverse proxy, is kept). token is sent as a bearer
// token on every /v1/ call; an empty token sends none.
//
// Uploads (PutBlob) and log following (FollowLogs) have no overall
// timeout: they last as long as the data does, bounded only by the
// caller's context. Connecting is always bounded by DefaultDialTimeout
// unless WithHTTPClient supplies another transport.
func New(baseURL, token string, opts ...Option) *Client {
	base := strings.TrimSpace(baseURL)
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	c := &Client{
		base:           strings.TrimRight(base, "/"),
		token:          token,
		userAgent:      DefaultUserAgent,
		requestTimeout: DefaultRequestTimeout,
		deployTimeout:  DefaultDeployTimeout,
	}
	for _, opt := range opts {
		opt(c)
	}
	if c.http == nil {
		c.http = &http.Client{Transport: newTransport()}
	}
	return c
}

// BaseURL returns the admin API address the Client talks to, normalized
// as described on New.
func (c *Client) BaseURL() string { return c.base }

// newTransport is http.DefaultTransport's configuration with bounded
// connection set-up but no bound on how long an answer may stream.
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: DefaultDialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   DefaultDialTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          10,
		ForceAttemptHTTP2:     true,
	}
}

// errCallTimeout is the cause of a call's context ending at the Client's
// own timeout, as opposed to the caller's context ending.
var errCallTimeout = errors.New("call timed out")

// timeoutError explains that req ended at the Client's timeout. It
// matches context.DeadlineExceeded.
func (c *Client) timeoutError(req request) error {
	return fmt.Errorf("%s %s: the Wisp admin API at %s did not answer within %s: %w", req.method, req.path, c.base, req.timeout, context.DeadlineExceeded)
}

// ErrUnreachable is matched (errors.Is) by the error of any call that could
// not connect to the node at all.
var ErrUnreachable = errors.New("cannot reach the Wisp admin API")

// request is one call to the admin API.
type request struct {
	method  string
	path    string // starts with "/"
	query   string // encoded, without "?"
	body    io.Reader
	size    int64 // body size; -1 unknown
	ctype   string
	header  http.Header
	timeout time.Duration // 0: none
}

// withTimeout returns ctx bounded by the request's timeout, if it has one.
func (r request) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if r.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, r.timeout, errCallTimeout)
}

// do sends req and returns the response if its status is 2xx or one of
// also; otherwise it returns the *APIError the answer carries. The caller
// closes the body.
func (c *Client) do(ctx context.Context, req request, also ...int) (*http.Response, error) {
	resp, err := c.send(ctx, req)
	if err != nil {
		return nil, err
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	for _, status := range also {
		ok = ok || resp.StatusCode == status
	}
	if !ok {
		defer resp.Body.Close()
		return nil, c.readAPIError(req, resp)
	}
	return resp, nil
}

// call sends req with its timeout and decodes the JSON answer into out
// (nil: the answer is discarded).
func (c *Client) call(ctx context.Context, req request, out any) error {
	ctx, cancel := req.withTimeout(ctx)
	defer cancel()
	resp, err := c.do(ctx, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody)) // lets the connection be reused
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswerSize)).Decode(out); err != nil {
		if context.Cause(ctx) == errCallTimeout {
			return c.timeoutError(req)
		}
		return fmt.Errorf("%s %s%s: read the answer: %w; is %s a Wisp admin API of a compatible version?", req.method, c.base, req.path, err, c.base)
	}
	return nil
}

func (c *Client) send(ctx context.Context, req request) (*http.Response, error) {
	target := c.base + req.path
	if req.query != "" {
		target += "?" + req.query
	}
	body := req.body
	if body != nil && req.size == 0 {
		body = http.NoBody
	} else if body != nil {
		// Keep the transport from closing the caller's reader (an
		// *os.File, say): the caller owns it.
		body = io.NopCloser(body)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("admin API address %q: %w; use an address like http://127.0.0.1:8081", c.base, err)
	}
	if req.body != nil && req.size > 0 {
		hreq.ContentLength = req.size
	}
	for k, vs := range req.header {
		hreq.Header[k] = vs
	}
	if req.ctype != "" {
		hreq.Header.Set("Content-Type", req.ctype)
	}
	hreq.Header.Set("User-Agent", c.userAgent)
	if c.token != "" && strings.HasPrefix(req.path, "/v1/") {
		hreq.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(hreq)
	if err != nil {
		return nil, c.transportError(ctx, req, err)
	}
	return resp, nil
}

// transportError explains an error of the HTTP round trip.
func (c *Client) transportError(ctx context.Context, req request, err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err // its message repeats the method and URL named below
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &dnsErr) || errors.As(err, &opErr) && opErr.Op == "dial":
		return fmt.Errorf("%w at %s: is `wisp serve` running? set --admin or WISP_ADMIN (%w)", ErrUnreachable, c.base, err)
	case context.Cause(ctx) == errCallTimeout:
		return c.timeoutError(req)
	}
	return fmt.Errorf("%s %s%s: %w", req.method, c.base, req.path, err)
}
