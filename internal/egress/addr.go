package egress

import (
	"encoding/binary"
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

// The tables below are switches over the address's bits rather than
// package-level maps or slices: the package keeps no state, and a switch
// costs a few comparisons on the dial path, with no parsing and no
// allocation.

// isMetadata4 reports whether the IPv4 address v is a cloud provider's
// instance metadata or host-agent service. Those hand out credentials to
// whoever asks from inside the machine, so they are refused even with
// Options.AllowPrivate and even when a pattern names them.
func isMetadata4(v uint32) bool {
	switch v {
	case 169<<24 | 254<<16 | 169<<8 | 254, // AWS, GCP, Azure, OpenStack and others
		169<<24 | 254<<16 | 170<<8 | 2,   // AWS ECS task metadata
		169<<24 | 254<<16 | 170<<8 | 23,  // AWS EKS Pod Identity
		169<<24 | 254<<16 | 0<<8 | 23,    // Tencent Cloud
		100<<24 | 100<<16 | 100<<8 | 200, // Alibaba Cloud
		168<<24 | 63<<16 | 129<<8 | 16,   // Azure WireServer
		192<<24 | 0<<16 | 0<<8 | 192:     // Oracle Cloud
		return true
	}
	return false
}

// isMetadata6 is isMetadata4 for the IPv6 address whose halves are hi and
// lo: AWS's metadata service (fd00:ec2::254) and EKS Pod Identity
// (fd00:ec2::23).
func isMetadata6(hi, lo uint64) bool {
	return hi == 0xfd00_0ec2_0000_0000 && (lo == 0x254 || lo == 0x23)
}

// in4 reports whether the IPv4 address v lies in a.b.c.d/bits.
func in4(v uint32, a, b, c, d byte, bits int) bool {
	p := uint32(a)<<24 | uint32(b)<<16 | uint32(c)<<8 | uint32(d)
	return v>>(32-bits) == p>>(32-bits)
}

// in6 reports whether the IPv6 address whose halves are hi and lo lies in
// the prefix whose halves are phi and plo, bits long.
func in6(hi, lo, phi, plo uint64, bits int) bool {
	if bits <= 64 {
		return hi>>(64-bits) == phi>>(64-bits)
	}
	return hi == phi && lo>>(128-bits) == plo>>(128-bits)
}

// classify4 judges an IPv4 address (as bits), the more specific ranges
// first.
func classify4(v uint32) verdict {
	if isMetadata4(v) {
		return verdict{"a cloud metadata address", true}
	}
	switch {
	case v == 0:
		return verdict{"the unspecified address", true}
	case in4(v, 0, 0, 0, 0, 8):
		return verdict{"a \"this network\" address (0.0.0.0/8)", true}
	case in4(v, 127, 0, 0, 0, 8):
		return verdict{"a loopback address", false}
	case in4(v, 10, 0, 0, 0, 8), in4(v, 172, 16, 0, 0, 12), in4(v, 192, 168, 0, 0, 16):
		return verdict{"a private address", false}
	case in4(v, 100, 64, 0, 0, 10):
		return verdict{"a carrier-grade NAT address (100.64.0.0/10)", false}
	case in4(v, 169, 254, 0, 0, 16):
		return verdict{"a link-local address", false}
	case in4(v, 192, 0, 0, 0, 24):
		return verdict{"a reserved address (IETF protocol assignments)", false}
	case in4(v, 192, 0, 2, 0, 24), in4(v, 198, 51, 100, 0, 24), in4(v, 203, 0, 113, 0, 24):
		return verdict{"a reserved address (documentation)", false}
	case in4(v, 198, 18, 0, 0, 15):
		return verdict{"a reserved address (benchmarking)", false}
	case in4(v, 192, 88, 99, 0, 24):
		return verdict{"a reserved address (6to4 relay)", false}
	case in4(v, 224, 0, 0, 0, 4):
		return verdict{"a multicast address", true}
	case v == 0xffff_ffff:
		return verdict{"the broadcast address", true}
	case in4(v, 240, 0, 0, 0, 4):
		return verdict{"a reserved address (240.0.0.0/4)", false}
	}
	return verdict{}
}

// classify6 judges the IPv6 ranges that do not embed an IPv4 address; the
// unspecified and loopback addresses and the embedding forms are handled
// by classify first.
func classify6(hi, lo uint64) verdict {
	switch {
	case in6(hi, lo, 0x0064_ff9b_0001_0000, 0, 48):
		return verdict{"a local-use NAT64 address (64:ff9b:1::/48)", false}
	case in6(hi, lo, 0x0100_0000_0000_0000, 0, 64):
		return verdict{"a reserved address (discard-only)", false}
	case in6(hi, lo, 0x2001_0002_0000_0000, 0, 48):
		return verdict{"a reserved address (benchmarking)", false}
	case in6(hi, lo, 0x2001_0010_0000_0000, 0, 28):
		return verdict{"a reserved address (ORCHID)", false}
	case in6(hi, lo, 0x2001_0020_0000_0000, 0, 28):
		return verdict{"a reserved address (ORCHIDv2)", false}
	case in6(hi, lo, 0x2001_0db8_0000_0000, 0, 32), in6(hi, lo, 0x3fff_0000_0000_0000, 0, 20):
		return verdict{"a reserved address (documentation)", false}
	case in6(hi, lo, 0xfc00_0000_0000_0000, 0, 7):
		return verdict{"a unique-local address (fc00::/7)", false}
	case in6(hi, lo, 0xfe80_0000_0000_0000, 0, 10):
		return verdict{"a link-local address", false}
	case in6(hi, lo, 0xfec0_0000_0000_0000, 0, 10):
		return verdict{"a site-local address (fec0::/10)", false}
	case in6(hi, lo, 0xff00_0000_0000_0000, 0, 8):
		return verdict{"a multicast address", true}
	}
	return verdict{}
}

// embedding is an IPv4 address found inside an IPv6 one.
type embedding struct {
	form string // "an IPv4-mapped form"
	ip   netip.Addr
}

// embeddedIPv4 returns the IPv4 addresses the IPv6 address a carries, in
// the standard forms that reach them: IPv4-mapped (::ffff:a.b.c.d),
// IPv4-translated (::ffff:0:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64
// (64:ff9b::a.b.c.d), 6to4 (2002:aabb:ccdd::), Teredo (server and
// obfuscated client) and ISATAP interface identifiers. It returns them in
// a fixed array, n of them used, so the dial path does not allocate.
func embeddedIPv4(a netip.Addr) (emb [2]embedding, n int) {
	b := a.As16()
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	low := netip.AddrFrom4([4]byte(b[12:16]))
	switch {
	case in6(hi, lo, 0, 0x0000_ffff_0000_0000, 96): // ::ffff:0:0/96
		return [2]embedding{{"an IPv4-mapped form", low}}, 1
	case in6(hi, lo, 0, 0xffff_0000_0000_0000, 96): // ::ffff:0:0:0/96
		return [2]embedding{{"an IPv4-translated form", low}}, 1
	case in6(hi, lo, 0, 0, 96): // ::/96
		return [2]embedding{{"an IPv4-compatible form", low}}, 1
	case in6(hi, lo, 0x0064_ff9b_0000_0000, 0, 96): // 64:ff9b::/96
		return [2]embedding{{"a NAT64 form", low}}, 1
	case in6(hi, lo, 0x2002_0000_0000_0000, 0, 16): // 2002::/16
		return [2]embedding{{"a 6to4 form", netip.AddrFrom4([4]byte(b[2:6]))}}, 1
	case in6(hi, lo, 0x2001_0000_0000_0000, 0, 32): // 2001::/32
		client := [4]byte{^b[12], ^b[13], ^b[14], ^b[15]}
		return [2]embedding{
			{"a Teredo form (server)", netip.AddrFrom4([4]byte(b[4:8]))},
			{"a Teredo form (client)", netip.AddrFrom4(client)},
		}, 2
	case (b[8]|0x02) == 0x02 && b[9] == 0 && b[10] == 0x5e && b[11] == 0xfe:
		return [2]embedding{{"an ISATAP form", low}}, 1
	}
	return emb, 0
}

// classify says whether a may be dialled by a request that neither names
// it exactly nor runs on a node that allows private egress, and if not,
// why.
func classify(a netip.Addr) verdict {
	a = a.WithZone("")
	if a.Is4() {
		b := a.As4()
		return classify4(binary.BigEndian.Uint32(b[:]))
	}
	b := a.As16()
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	if isMetadata6(hi, lo) {
		return verdict{"a cloud metadata address", true}
	}
	// The exact special addresses first: :: and ::1 also lie in ::/96.
	switch {
	case hi == 0 && lo == 0:
		return verdict{"the unspecified address", true}
	case hi == 0 && lo == 1:
		return verdict{"a loopback address", false}
	}
	if emb, n := embeddedIPv4(a); n > 0 {
		for _, e := range emb[:n] {
			if v := classify(e.ip); v.reason != "" {
				return verdict{fmt.Sprintf("%s of %s, %s", e.form, e.ip, v.reason), v.never}
			}
		}
		if in6(hi, lo, 0, 0, 96) {
			return verdict{"an IPv4-compatible address (deprecated, never routed)", false}
		}
	}
	return classify6(hi, lo)
}
