package egress

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// Options configures a Client.
type Options struct {
	// AllowPrivate lets requests reach loopback, private, link-local,
	// unique-local and other non-public addresses through host names and
	// address ranges their policy allows (`wisp serve
	// --allow-private-egress`), not only addresses their policy names
	// exactly. Cloud metadata addresses, the unspecified address,
	// multicast, broadcast and Refuse's addresses stay refused. Default
	// false.
	AllowPrivate bool
	// Resolver looks host names up. Nil: net.DefaultResolver. Tests point
	// it at a server on loopback (internal/dnstest).
	Resolver *net.Resolver
	// TLS is the base TLS configuration for https (root CAs, minimum
	// version). Its ServerName is ignored: the name sent and verified is
	// always the URL's host, so one fixed name cannot vouch for every
	// host. Nil: the system's roots, TLS 1.2 or later.
	TLS *tls.Config
	// Refuse lists addresses no request may connect to, whatever the
	// policy and AllowPrivate say, each with what it is ("the node's own
	// admin listener"), which the refusal names. `wisp serve` lists its
	// gateway and admin API, so an app allowed "http://127.0.0.1:*"
	// cannot call the admin API or loop through the gateway. An
	// unspecified address (0.0.0.0:8080 or [::]:8080, a listener on every
	// address) stands for its port on every loopback address and every
	// address of the host's interfaces. Entries without a port are
	// ignored. New copies the map. Nil: none.
	Refuse map[netip.AddrPort]string
	// MaxRedirects is how many redirects one request follows. Zero: 10.
	MaxRedirects int
	// MaxResponseHeaderBytes caps a response's status line and headers.
	// Zero: 64 KiB.
	MaxResponseHeaderBytes int64
}

// Defaults of Options.
const (
	DefaultMaxRedirects           = 10
	DefaultMaxResponseHeaderBytes = 64 << 10
)

// Client sends apps' outbound HTTP requests. One Client serves a whole
// node: it holds the connection pool and the node-wide options, while each
// call brings the app's Policy and the invocation's Budget. A Client is
// safe for concurrent use.
//
// Every request goes through the same checks, in this order, on the first
// URL and on every redirect: the URL's form (checkURL), the policy's
// patterns, the budget, the host's addresses after resolution (the address
// rules and Options.Refuse), and only then a connection to exactly the addresses checked. Nothing else in the
// Client dials: its transport has no proxy and its dialler refuses any
// address the checks did not pass for that request.
type Client struct {
	opts      Options
	resolver  *net.Resolver
	transport *http.Transport
	refuse    []refusal // Options.Refuse
	// beforeDial, if set, is called with every address about to be
	// dialled; an error refuses it. Tests use it to count and to keep
	// every connection on loopback.
	beforeDial func(netip.AddrPort) error
	// localAddrs lists the host's own addresses, for a refusal on an
	// unspecified address: interfaceAddrs, or a test's.
	localAddrs func() ([]netip.Addr, error)
}

// New returns a Client. Close it to release idle connections.
func New(opts Options) *Client {
	if opts.MaxRedirects <= 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	if opts.MaxResponseHeaderBytes <= 0 {
		opts.MaxResponseHeaderBytes = DefaultMaxResponseHeaderBytes
	}
	c := &Client{opts: opts, resolver: opts.Resolver, refuse: newRefusals(opts.Refuse), localAddrs: interfaceAddrs}
	c.opts.Refuse = nil // c.refuse is the copy used
	if c.resolver == nil {
		c.resolver = net.DefaultResolver
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if opts.TLS != nil {
		tlsConf = opts.TLS.Clone()
		// The transport sets the server name to each URL's host only when
		// this is empty; a fixed one would verify every host's
		// certificate against one name.
		tlsConf.ServerName = ""
	}
	c.transport = &http.Transport{
		Proxy:                  nil, // never a proxy from the environment
		DialContext:            c.dial,
		TLSClientConfig:        tlsConf,
		ForceAttemptHTTP2:      true,
		DisableCompression:     true, // the guest gets the bytes the server sent
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    16,
		IdleConnTimeout:        60 * time.Second,
		MaxResponseHeaderBytes: opts.MaxResponseHeaderBytes,
	}
	return c
}

// Close closes the Client's idle connections. Requests in flight finish.
func (c *Client) Close() { c.transport.CloseIdleConnections() }

// dialKey is the context key of a request's checked addresses.
type dialKey struct{}

// dialTarget is what the checks allowed one request to dial.
type dialTarget struct {
	addrs []netip.Addr
	port  uint16
}

// dial connects to the addresses the checks passed for this request, in
// order, and to nothing else. The transport's "host:port" is only used to
// make sure it is the request it thinks it is.
func (c *Client) dial(ctx context.Context, network, address string) (net.Conn, error) {
	dt, ok := ctx.Value(dialKey{}).(dialTarget)
	_, port, err := net.SplitHostPort(address)
	if !ok || err != nil || port != strconv.Itoa(int(dt.port)) {
		return nil, fail(ErrDenied, "connection to %s was not checked: refused", address)
	}
	d := net.Dialer{ControlContext: c.control}
	var errs []error
	for _, a := range dt.addrs {
		ap := netip.AddrPortFrom(a, dt.port)
		if c.beforeDial != nil {
			if err := c.beforeDial(ap); err != nil {
				return nil, err
			}
		}
		conn, err := d.DialContext(ctx, "tcp", ap.String())
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// control runs just before the socket connects and refuses any address the
// request's checks did not pass (a second lock on the same door).
func (c *Client) control(ctx context.Context, network, address string, _ syscall.RawConn) error {
	dt, _ := ctx.Value(dialKey{}).(dialTarget)
	ap, err := netip.ParseAddrPort(address)
	if err != nil || ap.Port() != dt.port || !slices.Contains(dt.addrs, ap.Addr().Unmap()) {
		return fail(ErrDenied, "connection to %s was not checked: refused", address)
	}
	return nil
}

// admit checks t against the policy, the budget, the address rules and
// Options.Refuse (on the address and port to dial) and returns the
// addresses to dial. A request refused by the patterns, or to
// an address refused, costs nothing; one to a name counts against the
// budget before the name is looked up (a lookup is traffic too), so it
// counts even if the addresses are then refused.
func (c *Client) admit(ctx context.Context, p *Policy, b *Budget, t target, what string, body int64) ([]netip.Addr, error) {
	m := p.allows(t)
	if !m.ok {
		return nil, fail(ErrDenied, "%s is not allowed by allowed_outbound_hosts (%s): add %q to it", what, describe(p), t.origin())
	}
	if t.ip.IsValid() {
		v := classify(t.ip)
		switch {
		case v.reason == "":
		case v.never:
			return nil, fail(ErrDenied, "%s: %s is %s, which apps may never reach", what, t.ip, v.reason)
		case !m.exact && !c.opts.AllowPrivate && m.rng != "":
			return nil, fail(ErrDenied, "%s: %s is %s; name the address in allowed_outbound_hosts (%q) to allow it: a range like %q reaches only public addresses, unless the operator allows private egress (wisp serve --allow-private-egress)", what, t.ip, v.reason, t.origin(), m.rng)
		case !m.exact && !c.opts.AllowPrivate:
			return nil, fail(ErrDenied, "%s: %s is %s; name the address in allowed_outbound_hosts (%q) to allow it", what, t.ip, v.reason, t.origin())
		}
		ap := netip.AddrPortFrom(t.ip.Unmap(), t.port)
		if r := c.refused(ap); r != "" {
			return nil, fail(ErrDenied, "%s: %s is %s, which apps may never reach", what, ap, r)
		}
		if err := b.takeRequest(what, body); err != nil {
			return nil, err
		}
		return []netip.Addr{ap.Addr()}, nil
	}
	if err := b.takeRequest(what, body); err != nil {
		return nil, err
	}
	// The trailing dot makes the name absolute: the resolver's search
	// domains never turn it into another name than the one checked.
	addrs, err := c.resolver.LookupNetIP(ctx, "ip", t.host+".")
	if err != nil {
		return nil, lookupFailure(ctx, what, t.host, err)
	}
	if len(addrs) == 0 {
		return nil, fail(ErrUnavailable, "%s: %s has no addresses", what, t.host)
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		a = a.WithZone("")
		v := classify(a)
		switch {
		case v.reason == "":
		case v.never:
			return nil, fail(ErrDenied, "%s: %s resolves to %s, %s, which apps may never reach", what, t.host, a, v.reason)
		case !c.opts.AllowPrivate:
			return nil, fail(ErrDenied, "%s: %s resolves to %s, %s; a host name never reaches such addresses: call the address itself and name it in allowed_outbound_hosts (%q), or have the operator allow private egress (wisp serve --allow-private-egress)",
				what, t.host, a, v.reason, literalOrigin(t, a))
		}
		ap := netip.AddrPortFrom(a.Unmap(), t.port)
		if r := c.refused(ap); r != "" {
			return nil, fail(ErrDenied, "%s: %s resolves to %s, and %s is %s, which apps may never reach", what, t.host, a, ap, r)
		}
		out = append(out, ap.Addr())
	}
	return out, nil
}

// literalOrigin is the pattern naming address a on t's scheme and port.
func literalOrigin(t target, a netip.Addr) string {
	u := target{scheme: t.scheme, host: a.Unmap().String(), ip: a.Unmap(), port: t.port}
	return u.origin()
}

// describe shows a policy in an error message.
func describe(p *Policy) string {
	if s := p.String(); s != "" {
		return s
	}
	return "empty"
}

// lookupFailure maps a failed lookup to an error of the right kind.
func lookupFailure(ctx context.Context, what, host string, err error) error {
	var dnsErr *net.DNSError
	switch {
	case ctx.Err() != nil:
		return netFailure(ctx, what, err)
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return &kindError{kind: ErrUnavailable, msg: fmt.Sprintf("unavailable: %s: no such host %s", what, host), cause: err}
	default:
		return fail(ErrUnavailable, "%s: looking up %s: %w", what, host, err)
	}
}

// netFailure maps a network failure to ErrTimeout (the context's deadline
// passed or the network timed out) or ErrUnavailable.
func netFailure(ctx context.Context, what string, err error) error {
	var ke *kindError
	if errors.As(err, &ke) {
		return ke
	}
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fail(ErrTimeout, "%s: no answer within the invocation's time (limits.timeout): %w", what, err)
	case ctx.Err() != nil:
		return fail(ErrUnavailable, "%s: the invocation ended first: %w", what, err)
	}
	return fail(ErrUnavailable, "%s: %w", what, err)
}

// fmtWhat names a request in messages: "GET http://x/" or, for a redirect,
// "redirect 2 to http://y/".
func fmtWhat(method, url string, hop int) string {
	if hop == 0 {
		return method + " " + url
	}
	return fmt.Sprintf("redirect %d to %s", hop, url)
}
