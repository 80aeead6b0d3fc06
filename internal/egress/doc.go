// Package egress sends apps' outbound HTTP requests, deny by default.
//
// An app declares the URLs it may call in allowed_outbound_hosts, patterns
// like Spin's ("https://api.example.com", "http://127.0.0.1:8080",
// "https://*.example.com:*"); [Parse] turns them into a [Policy] once per
// deployed version. A node holds one [Client]; each invocation gets a
// [Budget] of requests and bytes, and its context carries the app's
// deadline. [Client.Do] checks every request, and every redirect it
// follows, in this order:
//
//  1. the URL's form: http or https, no user info, a host that is a DNS
//     name or an IP address in standard form (never "127.1", "0x7f.1",
//     "2130706433", "[::ffff:127.0.0.1]", a trailing dot, a zone, percent
//     signs or non-ASCII text), a port from 1 to 65535 (ErrInvalid);
//  2. the policy's patterns: scheme, host and port (ErrDenied);
//  3. the budget: one more request, and the request body's bytes
//     (ErrLimit);
//  4. the addresses: an IP host as is, a name through the resolver; every
//     address must be public, unless it is non-public but not forbidden
//     and either the URL names it and a pattern names exactly that address
//     ("http://127.0.0.1:8080"; a range like "10.0.0.0/8" covers only
//     public addresses) or Options.AllowPrivate is set. Cloud metadata,
//     unspecified, multicast and broadcast addresses are forbidden
//     whatever the policy or options say, and so are the addresses and
//     ports in Options.Refuse (the node's own listeners). IPv6 forms
//     embedding an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo,
//     ISATAP) are judged by that address (ErrDenied);
//  5. the connection: to exactly the addresses checked, never a proxy,
//     never a second lookup; the dialler refuses anything else.
//
// The Host sent is always the URL's: a guest's Host header naming another
// host is refused (Spin's CVE-2024-32980). Response bodies count against
// the budget as they are read. docs/outbound.md is the user's guide.
//
// Every error wraps one of ErrDenied, ErrInvalid, ErrLimit, ErrTimeout and
// ErrUnavailable, which map to the guest ABI's status codes, and its
// message starts with that word and says what to change. A URL in a
// message never shows its query, fragment or password, and at most
// MaxShownURL bytes of it ([ShowURL]).
package egress
