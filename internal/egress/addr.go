package egress

import (
	"fmt"
	"net/netip"
)

// verdict is what the address checks make of one IP address.
type verdict struct {
	// reason says why the address is refused ("a private address"); empty
	// for a public address.
	reason string
	// never marks addresses no app may reach, whatever its patterns name
	// and whatever the operator allows: cloud metadata services, the
	// unspecified address, multicast and broadcast.
	never bool
}

// metadataAddrs are the cloud providers' instance metadata and host-agent
// services, which hand out credentials to whoever asks from inside the
// machine. They are refused even with Options.AllowPrivate and even when a
// pattern names them.
var metadataAddrs = map[netip.Addr]string{
	netip.MustParseAddr("169.254.169.254"): "AWS, GCP, Azure, OpenStack and others",
	netip.MustParseAddr("169.254.170.2"):   "AWS ECS task metadata",
	netip.MustParseAddr("169.254.170.23"):  "AWS EKS Pod Identity",
	netip.MustParseAddr("169.254.0.23"):    "Tencent Cloud",
	netip.MustParseAddr("100.100.100.200"): "Alibaba Cloud",
	netip.MustParseAddr("168.63.129.16"):   "Azure WireServer",
	netip.MustParseAddr("192.0.0.192"):     "Oracle Cloud",
	netip.MustParseAddr("fd00:ec2::254"):   "AWS IPv6",
	netip.MustParseAddr("fd00:ec2::23"):    "AWS EKS Pod Identity IPv6",
}

// span is a range of addresses refused for one reason.
type span struct {
	prefix netip.Prefix
	reason string
	never  bool
}

func spanOf(prefix, reason string, never bool) span {
	return span{netip.MustParsePrefix(prefix), reason, never}
}

// spans4 and spans6 list the non-public ranges, more specific ones first.
// The IPv6 forms that embed an IPv4 address are handled by embeddedIPv4.
var spans4 = []span{
	spanOf("0.0.0.0/32", "the unspecified address", true),
	spanOf("0.0.0.0/8", "a \"this network\" address (0.0.0.0/8)", true),
	spanOf("127.0.0.0/8", "a loopback address", false),
	spanOf("10.0.0.0/8", "a private address", false),
	spanOf("172.16.0.0/12", "a private address", false),
	spanOf("192.168.0.0/16", "a private address", false),
	spanOf("100.64.0.0/10", "a carrier-grade NAT address (100.64.0.0/10)", false),
	spanOf("169.254.0.0/16", "a link-local address", false),
	spanOf("192.0.0.0/24", "a reserved address (IETF protocol assignments)", false),
	spanOf("192.0.2.0/24", "a reserved address (documentation)", false),
	spanOf("198.51.100.0/24", "a reserved address (documentation)", false),
	spanOf("203.0.113.0/24", "a reserved address (documentation)", false),
	spanOf("198.18.0.0/15", "a reserved address (benchmarking)", false),
	spanOf("192.88.99.0/24", "a reserved address (6to4 relay)", false),
	spanOf("224.0.0.0/4", "a multicast address", true),
	spanOf("255.255.255.255/32", "the broadcast address", true),
	spanOf("240.0.0.0/4", "a reserved address (240.0.0.0/4)", false),
}

var spans6 = []span{
	spanOf("::/128", "the unspecified address", true),
	spanOf("::1/128", "a loopback address", false),
	spanOf("64:ff9b:1::/48", "a local-use NAT64 address (64:ff9b:1::/48)", false),
	spanOf("100::/64", "a reserved address (discard-only)", false),
	spanOf("2001:2::/48", "a reserved address (benchmarking)", false),
	spanOf("2001:10::/28", "a reserved address (ORCHID)", false),
	spanOf("2001:20::/28", "a reserved address (ORCHIDv2)", false),
	spanOf("2001:db8::/32", "a reserved address (documentation)", false),
	spanOf("3fff::/20", "a reserved address (documentation)", false),
	spanOf("fc00::/7", "a unique-local address (fc00::/7)", false),
	spanOf("fe80::/10", "a link-local address", false),
	spanOf("fec0::/10", "a site-local address (fec0::/10)", false),
	spanOf("ff00::/8", "a multicast address", true),
}

// IPv6 forms that carry an IPv4 address inside them.
var (
	mappedPrefix     = netip.MustParsePrefix("::ffff:0:0/96")
	translatedPrefix = netip.MustParsePrefix("::ffff:0:0:0/96")
	compatPrefix     = netip.MustParsePrefix("::/96")
	nat64Prefix      = netip.MustParsePrefix("64:ff9b::/96")
	sixToFourPrefix  = netip.MustParsePrefix("2002::/16")
	teredoPrefix     = netip.MustParsePrefix("2001::/32")
)

// embedding is an IPv4 address found inside an IPv6 one.
type embedding struct {
	form string // "an IPv4-mapped form"
	ip   netip.Addr
}

// embeddedIPv4 returns the IPv4 addresses an IPv6 address carries, in the
// standard forms that reach them: IPv4-mapped (::ffff:a.b.c.d),
// IPv4-translated (::ffff:0:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64
// (64:ff9b::a.b.c.d), 6to4 (2002:aabb:ccdd::), Teredo (server and
// obfuscated client) and ISATAP interface identifiers.
func embeddedIPv4(a netip.Addr) []embedding {
	b := a.As16()
	low := netip.AddrFrom4([4]byte(b[12:16]))
	switch {
	case mappedPrefix.Contains(a):
		return []embedding{{"an IPv4-mapped form", low}}
	case translatedPrefix.Contains(a):
		return []embedding{{"an IPv4-translated form", low}}
	case compatPrefix.Contains(a):
		return []embedding{{"an IPv4-compatible form", low}}
	case nat64Prefix.Contains(a):
		return []embedding{{"a NAT64 form", low}}
	case sixToFourPrefix.Contains(a):
		return []embedding{{"a 6to4 form", netip.AddrFrom4([4]byte(b[2:6]))}}
	case teredoPrefix.Contains(a):
		client := [4]byte{^b[12], ^b[13], ^b[14], ^b[15]}
		return []embedding{
			{"a Teredo form (server)", netip.AddrFrom4([4]byte(b[4:8]))},
			{"a Teredo form (client)", netip.AddrFrom4(client)},
		}
	case (b[8]|0x02) == 0x02 && b[9] == 0 && b[10] == 0x5e && b[11] == 0xfe:
		return []embedding{{"an ISATAP form", low}}
	}
	return nil
}

// classify says whether a may be dialled by a request that neither names
// it literally nor runs on a node that allows private egress, and if not,
// why.
func classify(a netip.Addr) verdict {
	a = a.WithZone("")
	if _, ok := metadataAddrs[a]; ok {
		return verdict{"a cloud metadata address", true}
	}
	if a.Is4() {
		for _, s := range spans4 {
			if s.prefix.Contains(a) {
				return verdict{s.reason, s.never}
			}
		}
		return verdict{}
	}
	// The exact special addresses first: :: and ::1 also lie in ::/96.
	for _, s := range spans6[:2] {
		if s.prefix.Contains(a) {
			return verdict{s.reason, s.never}
		}
	}
	if emb := embeddedIPv4(a); emb != nil {
		for _, e := range emb {
			if v := classify(e.ip); v.reason != "" {
				return verdict{fmt.Sprintf("%s of %s, %s", e.form, e.ip, v.reason), v.never}
			}
		}
		if compatPrefix.Contains(a) {
			return verdict{"an IPv4-compatible address (deprecated, never routed)", false}
		}
	}
	for _, s := range spans6[2:] {
		if s.prefix.Contains(a) {
			return verdict{s.reason, s.never}
		}
	}
	return verdict{}
}
