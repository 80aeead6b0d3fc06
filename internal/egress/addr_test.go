package egress

import (
	"net/netip"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		name   string
		addr   string
		reason string // substring; "" for public
		never  bool
	}{
		{"public IPv4", "93.184.216.34", "", false},
		{"public IPv6", "2606:2800:220:1:248:1893:25c8:1946", "", false},
		{"loopback", "127.0.0.1", "loopback", false},
		{"loopback elsewhere in 127/8", "127.255.0.9", "loopback", false},
		{"IPv6 loopback", "::1", "loopback", false},
		{"RFC 1918 10/8", "10.0.0.5", "a private address", false},
		{"RFC 1918 172.16/12", "172.31.255.255", "a private address", false},
		{"just outside 172.16/12", "172.32.0.1", "", false},
		{"RFC 1918 192.168/16", "192.168.1.1", "a private address", false},
		{"CGNAT", "100.64.0.1", "carrier-grade NAT", false},
		{"link-local", "169.254.1.1", "link-local", false},
		{"IPv6 link-local", "fe80::1", "link-local", false},
		{"unique-local", "fd12:3456::1", "unique-local", false},
		{"site-local", "fec0::1", "site-local", false},
		{"documentation", "192.0.2.7", "documentation", false},
		{"IPv6 documentation", "2001:db8::1", "documentation", false},
		{"benchmarking", "198.18.0.1", "benchmarking", false},
		{"reserved 240/4", "240.0.0.1", "reserved", false},
		{"unspecified", "0.0.0.0", "the unspecified address", true},
		{"this network", "0.1.2.3", "this network", true},
		{"IPv6 unspecified", "::", "the unspecified address", true},
		{"multicast", "224.0.0.1", "multicast", true},
		{"IPv6 multicast", "ff02::1", "multicast", true},
		{"broadcast", "255.255.255.255", "broadcast", true},
		{"AWS/GCP/Azure metadata", "169.254.169.254", "cloud metadata", true},
		{"ECS metadata", "169.254.170.2", "cloud metadata", true},
		{"Alibaba metadata", "100.100.100.200", "cloud metadata", true},
		{"Azure WireServer", "168.63.129.16", "cloud metadata", true},
		{"Oracle metadata", "192.0.0.192", "cloud metadata", true},
		{"AWS IPv6 metadata", "fd00:ec2::254", "cloud metadata", true},
		{"mapped loopback", "::ffff:127.0.0.1", "an IPv4-mapped form of 127.0.0.1, a loopback address", false},
		{"mapped private", "::ffff:10.0.0.5", "IPv4-mapped form of 10.0.0.5, a private", false},
		{"mapped metadata", "::ffff:169.254.169.254", "IPv4-mapped form of 169.254.169.254, a cloud metadata address", true},
		{"mapped public", "::ffff:93.184.216.34", "", false},
		{"translated loopback", "::ffff:0:127.0.0.1", "IPv4-translated form of 127.0.0.1", false},
		{"compatible loopback", "::127.0.0.1", "IPv4-compatible form of 127.0.0.1", false},
		{"compatible public", "::93.184.216.34", "IPv4-compatible address", false},
		{"NAT64 private", "64:ff9b::10.0.0.5", "NAT64 form of 10.0.0.5", false},
		{"NAT64 metadata", "64:ff9b::169.254.169.254", "cloud metadata", true},
		{"NAT64 public", "64:ff9b::93.184.216.34", "", false},
		{"local-use NAT64", "64:ff9b:1::a00:5", "local-use NAT64", false},
		{"6to4 loopback", "2002:7f00:1::1", "6to4 form of 127.0.0.1", false},
		{"6to4 metadata", "2002:a9fe:a9fe::1", "6to4 form of 169.254.169.254, a cloud metadata", true},
		{"6to4 public", "2002:5db8:d822::1", "", false},
		{"Teredo client loopback", "2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo form (client) of 127.0.0.1", false},
		{"Teredo server private", "2001:0:a00:5::1", "Teredo form (server) of 10.0.0.5", false},
		{"ISATAP private", "2606:2800::5efe:10.0.0.5", "ISATAP form of 10.0.0.5", false},
		{"ISATAP on link-local prefix", "fe80::5efe:93.184.216.34", "link-local", false},
		{"zone ignored", "fe80::1%eth0", "link-local", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := classify(netip.MustParseAddr(c.addr))
			if c.reason == "" && v.reason != "" || c.reason != "" && !strings.Contains(v.reason, c.reason) {
				t.Errorf("classify(%s) reason %q, want %q", c.addr, v.reason, c.reason)
			}
			if v.never != c.never {
				t.Errorf("classify(%s) never = %v, want %v", c.addr, v.never, c.never)
			}
		})
	}
}

// documentedMetadataAddrs are the cloud metadata addresses docs/outbound.md
// lists, written here independently of the switch in addr.go.
func documentedMetadataAddrs() []netip.Addr {
	var out []netip.Addr
	for _, s := range []string{
		"169.254.169.254", "169.254.170.2", "169.254.170.23", "169.254.0.23", "100.100.100.200",
		"168.63.129.16", "192.0.0.192", "fd00:ec2::254", "fd00:ec2::23",
	} {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func TestEveryMetadataAddressIsNever(t *testing.T) {
	for _, a := range documentedMetadataAddrs() {
		if v := classify(a); !v.never || v.reason != "a cloud metadata address" {
			t.Errorf("metadata address %s is not refused for good as metadata: %+v", a, v)
		}
		if a.Is4() {
			mapped := netip.AddrFrom16(a.As16())
			if v := classify(mapped); !v.never {
				t.Errorf("IPv4-mapped %s is not refused for good: %+v", mapped, v)
			}
		}
		// Its neighbours are no metadata service: the switch matches the
		// exact address.
		for _, n := range []netip.Addr{a.Prev(), a.Next()} {
			if v := classify(n); v.reason == "a cloud metadata address" {
				t.Errorf("%s, next to %s, is refused as metadata too", n, a)
			}
		}
	}
}

// TestRangeEdges checks the first and last address of every range the
// switches in addr.go encode, and the addresses just outside, against the
// ranges written as text.
func TestRangeEdges(t *testing.T) {
	ranges := []struct {
		prefix string
		reason string // substring
	}{
		{"0.0.0.0/8", "this network"}, {"127.0.0.0/8", "loopback"}, {"10.0.0.0/8", "private"},
		{"172.16.0.0/12", "private"}, {"192.168.0.0/16", "private"}, {"100.64.0.0/10", "carrier-grade NAT"},
		{"169.254.0.0/16", "link-local"}, {"192.0.0.0/24", "IETF protocol assignments"},
		{"192.0.2.0/24", "documentation"}, {"198.51.100.0/24", "documentation"}, {"203.0.113.0/24", "documentation"},
		{"198.18.0.0/15", "benchmarking"}, {"192.88.99.0/24", "6to4 relay"}, {"224.0.0.0/4", "multicast"},
		{"240.0.0.0/4", "reserved"},
		{"64:ff9b:1::/48", "local-use NAT64"}, {"100::/64", "discard-only"}, {"2001:2::/48", "benchmarking"},
		{"2001:10::/28", "ORCHID"}, {"2001:20::/28", "ORCHIDv2"}, {"2001:db8::/32", "documentation"},
		{"3fff::/20", "documentation"}, {"fc00::/7", "unique-local"}, {"fe80::/10", "link-local"},
		{"fec0::/10", "site-local"}, {"ff00::/8", "multicast"},
	}
	for _, r := range ranges {
		t.Run(r.prefix, func(t *testing.T) {
			p := netip.MustParsePrefix(r.prefix)
			first := p.Addr()
			last := lastAddr(p)
			for _, a := range []netip.Addr{first, last} {
				if a == netip.IPv4Unspecified() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
					continue // single addresses with their own reason
				}
				if v := classify(a); !strings.Contains(v.reason, r.reason) {
					t.Errorf("classify(%s) = %q, want %q", a, v.reason, r.reason)
				}
			}
			for _, a := range []netip.Addr{first.Prev(), last.Next()} {
				if a.IsValid() && !a.IsUnspecified() && strings.Contains(classify(a).reason, r.reason) && !containedElsewhere(a, ranges) {
					t.Errorf("classify(%s), outside %s, = %q", a, r.prefix, classify(a).reason)
				}
			}
		})
	}
}

// lastAddr returns the last address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// containedElsewhere reports whether a lies in another of the ranges
// (adjacent ranges with the same reason, like 0.0.0.0/8 and 255.255.255.255).
func containedElsewhere(a netip.Addr, ranges []struct{ prefix, reason string }) bool {
	for _, r := range ranges {
		if netip.MustParsePrefix(r.prefix).Contains(a) {
			return true
		}
	}
	return false
}
