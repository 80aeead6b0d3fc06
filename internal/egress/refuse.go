package egress

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"slices"
)

// refusal is one of Options.Refuse's addresses.
type refusal struct {
	// ap is the address, unmapped and without a zone; an unspecified
	// address (a listener on every address) stands for every local address
	// on its port.
	ap   netip.AddrPort
	what string // "the node's own admin listener"
}

// newRefusals copies Options.Refuse into a slice in a fixed order (so
// messages do not vary), leaving out entries without a port, which no
// request can reach.
func newRefusals(m map[netip.AddrPort]string) []refusal {
	out := make([]refusal, 0, len(m))
	for ap, what := range m {
		if !ap.IsValid() || ap.Port() == 0 {
			continue
		}
		if what == "" {
			what = "refused by the node"
		}
		out = append(out, refusal{netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port()), what})
	}
	slices.SortFunc(out, func(a, b refusal) int {
		return cmp.Or(a.ap.Compare(b.ap), cmp.Compare(a.what, b.what))
	})
	return out
}

// refused returns what ap is if the client must never connect to it, or
// "": one of Options.Refuse's addresses, or for one on an unspecified
// address (0.0.0.0:8080, [::]:8080), any loopback or unspecified address or
// any of the host's own addresses on its port. The host's addresses are
// listed only for a request to such a port, so they are current and
// other requests pay nothing; if they cannot be listed, the address is
// refused (the check fails closed).
func (c *Client) refused(ap netip.AddrPort) string {
	a := ap.Addr().Unmap().WithZone("")
	for _, r := range c.refuse {
		if r.ap.Port() != ap.Port() {
			continue
		}
		if !r.ap.Addr().IsUnspecified() {
			if r.ap.Addr() == a {
				return r.what
			}
			continue
		}
		if a.IsLoopback() || a.IsUnspecified() {
			return r.what
		}
		local, err := c.localAddrs()
		if err != nil {
			return fmt.Sprintf("perhaps %s (listening on every address; listing the host's addresses failed: %v)", r.what, err)
		}
		if slices.Contains(local, a) {
			return r.what + " (listening on every address of this host)"
		}
	}
	return ""
}

// interfaceAddrs lists the host's own addresses, unmapped and without
// zones.
func interfaceAddrs() ([]netip.Addr, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		var ip net.IP
		switch a := a.(type) {
		case *net.IPNet:
			ip = a.IP
		case *net.IPAddr:
			ip = a.IP
		}
		if na, ok := netip.AddrFromSlice(ip); ok {
			out = append(out, na.Unmap().WithZone(""))
		}
	}
	return out, nil
}
