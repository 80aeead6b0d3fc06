package dnstest

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"
)

func TestServerAnswersFromItsTable(t *testing.T) {
	s, err := Start(map[string][]netip.Addr{
		"Both.Test":  {netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("fd00::5")},
		"four.test.": {netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")},
		"six.test":   {netip.MustParseAddr("2001:db8::1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := s.Resolver()

	cases := []struct {
		name    string
		host    string
		network string
		want    []string
	}{
		{"A and AAAA", "both.test.", "ip", []string{"10.0.0.5", "fd00::5"}},
		{"case-insensitive", "BOTH.test.", "ip4", []string{"10.0.0.5"}},
		{"two A records", "four.test.", "ip4", []string{"192.0.2.1", "192.0.2.2"}},
		{"AAAA only", "six.test.", "ip", []string{"2001:db8::1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			addrs, err := r.LookupNetIP(ctx, c.network, c.host)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range addrs {
				got = append(got, a.String())
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("%s %s = %v, want %v", c.network, c.host, got, c.want)
			}
		})
	}
}

func TestServerSaysNXDOMAINAndCountsQueries(t *testing.T) {
	s, err := Start(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	_, err = s.Resolver().LookupNetIP(ctx, "ip", "nowhere.test.")
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Fatalf("lookup of an unknown name: %v, want a not-found DNSError", err)
	}
	if n := s.Queries("nowhere.test"); n < 1 {
		t.Errorf("Queries(nowhere.test) = %d, want at least 1", n)
	}
	if s.Queries("other.test") != 0 {
		t.Errorf("a name never asked for has queries")
	}

	s.Set("later.test", netip.MustParseAddr("192.0.2.9"))
	addrs, err := s.Resolver().LookupNetIP(ctx, "ip4", "later.test.")
	if err != nil || len(addrs) != 1 || addrs[0] != netip.MustParseAddr("192.0.2.9") {
		t.Fatalf("after Set: %v, %v", addrs, err)
	}
	if s.Total() < 2 {
		t.Errorf("Total = %d, want at least 2", s.Total())
	}
}
