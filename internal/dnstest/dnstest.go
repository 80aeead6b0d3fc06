// Package dnstest is a tiny DNS server on loopback for tests: it answers A
// and AAAA queries over UDP from a table of names, NXDOMAIN for names not in
// it, and counts the queries it gets, so a test can show that a name was,
// or was never, looked up. It speaks just enough DNS for Go's resolver.
//
// A Server is safe for concurrent use.
package dnstest

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
)

// Server answers DNS queries on a UDP socket on 127.0.0.1.
type Server struct {
	conn *net.UDPConn
	done chan struct{}

	mu      sync.Mutex
	records map[string][]netip.Addr // lower-case names without the final dot
	queries map[string]int
	total   int
}

// Start starts a server answering from records: each name (case-insensitive,
// with or without the final dot) maps to its IPv4 (A) and IPv6 (AAAA)
// addresses. A name with no address of the type asked gets an empty answer;
// a name not in records gets NXDOMAIN. Close it when done.
func Start(records map[string][]netip.Addr) (*Server, error) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	s := &Server{conn: conn, done: make(chan struct{}), records: map[string][]netip.Addr{}, queries: map[string]int{}}
	for name, addrs := range records {
		s.records[canonical(name)] = addrs
	}
	go s.serve()
	return s, nil
}

// Addr returns the server's address, "127.0.0.1:port".
func (s *Server) Addr() string { return s.conn.LocalAddr().String() }

// Resolver returns a resolver that sends every query to this server (Go's
// own resolver, so no C library reads the names).
func (s *Server) Resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", s.Addr())
		},
	}
}

// Set replaces a name's addresses (none: the name answers NXDOMAIN).
func (s *Server) Set(name string, addrs ...netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(addrs) == 0 {
		delete(s.records, canonical(name))
		return
	}
	s.records[canonical(name)] = addrs
}

// Queries returns how many queries (of any type) asked for name.
func (s *Server) Queries(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[canonical(name)]
}

// Total returns how many queries the server got.
func (s *Server) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Close stops the server.
func (s *Server) Close() error {
	err := s.conn.Close()
	<-s.done
	return err
}

func canonical(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }

func (s *Server) serve() {
	defer close(s.done)
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if reply := s.answer(buf[:n]); reply != nil {
			s.conn.WriteToUDPAddrPort(reply, from)
		}
	}
}

// DNS constants used here (RFC 1035, RFC 3596).
const (
	typeA     = 1
	typeAAAA  = 28
	classIN   = 1
	rcodeOK   = 0
	rcodeFail = 2 // SERVFAIL: a query this server cannot read
	rcodeNX   = 3 // NXDOMAIN
)

// answer builds the reply to one query message, or nil to drop it.
func (s *Server) answer(msg []byte) []byte {
	if len(msg) < 12 || msg[2]&0x80 != 0 { // too short, or a response
		return nil
	}
	id, flags := msg[0:2], binary.BigEndian.Uint16(msg[2:4])
	qdcount := binary.BigEndian.Uint16(msg[4:6])
	name, end, ok := readName(msg, 12)
	if !ok || qdcount != 1 || end+4 > len(msg) {
		return header(id, flags, rcodeFail, 0, 0)
	}
	qtype := binary.BigEndian.Uint16(msg[end : end+2])
	question := msg[12 : end+4]

	s.mu.Lock()
	s.total++
	s.queries[canonical(name)]++
	addrs, found := s.records[canonical(name)]
	s.mu.Unlock()

	if !found {
		return append(header(id, flags, rcodeNX, 1, 0), question...)
	}
	var answers [][]byte
	for _, a := range addrs {
		switch {
		case qtype == typeA && a.Is4():
			b := a.As4()
			answers = append(answers, b[:])
		case qtype == typeAAAA && a.Is6():
			b := a.As16()
			answers = append(answers, b[:])
		}
	}
	out := append(header(id, flags, rcodeOK, 1, len(answers)), question...)
	for _, rdata := range answers {
		out = append(out, 0xc0, 12) // the name: a pointer to the question's
		out = binary.BigEndian.AppendUint16(out, qtype)
		out = binary.BigEndian.AppendUint16(out, classIN)
		out = binary.BigEndian.AppendUint32(out, 60) // TTL
		out = binary.BigEndian.AppendUint16(out, uint16(len(rdata)))
		out = append(out, rdata...)
	}
	return out
}

// header builds a response header: the query's ID, opcode and RD bit, QR,
// AA and RA set, the given rcode and counts.
func header(id []byte, qflags uint16, rcode, qd, an int) []byte {
	flags := 0x8000 | qflags&0x7900 | 0x0400 | 0x0080 | uint16(rcode)
	out := append([]byte{}, id...)
	out = binary.BigEndian.AppendUint16(out, flags)
	out = binary.BigEndian.AppendUint16(out, uint16(qd))
	out = binary.BigEndian.AppendUint16(out, uint16(an))
	out = binary.BigEndian.AppendUint16(out, 0) // NSCOUNT
	out = binary.BigEndian.AppendUint16(out, 0) // ARCOUNT
	return out
}

// readName reads an uncompressed name (queries never compress) starting at
// off and returns it with the offset after it.
func readName(msg []byte, off int) (string, int, bool) {
	var labels []string
	for off < len(msg) {
		n := int(msg[off])
		off++
		switch {
		case n == 0:
			return strings.Join(labels, "."), off, true
		case n > 63 || off+n > len(msg):
			return "", 0, false
		}
		labels = append(labels, string(msg[off:off+n]))
		off += n
	}
	return "", 0, false
}
