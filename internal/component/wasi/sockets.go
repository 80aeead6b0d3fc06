package wasi

import (
	"context"
	"fmt"

	"github.com/wisphq/wisp/internal/component/canon"
)

// Resource types of wasi:sockets. Only a network is ever handed out
// (instance-network): every call that would make a socket or a name
// lookup is refused, so no other resource of these types exists.
var (
	// Network is wasi:sockets/network's network.
	Network = &canon.ResourceType{Name: "network"}
	// ResolveAddressStream is wasi:sockets/ip-name-lookup's resolve-address-stream.
	ResolveAddressStream = &canon.ResourceType{Name: "resolve-address-stream"}
	// TCPSocket is wasi:sockets/tcp's tcp-socket.
	TCPSocket = &canon.ResourceType{Name: "tcp-socket"}
	// UDPSocket is wasi:sockets/udp's udp-socket.
	UDPSocket = &canon.ResourceType{Name: "udp-socket"}
	// IncomingDatagramStream is wasi:sockets/udp's incoming-datagram-stream.
	IncomingDatagramStream = &canon.ResourceType{Name: "incoming-datagram-stream"}
	// OutgoingDatagramStream is wasi:sockets/udp's outgoing-datagram-stream.
	OutgoingDatagramStream = &canon.ResourceType{Name: "outgoing-datagram-stream"}
)

// socketAccessDenied is wasi:sockets/network's error-code.access-denied:
// what create-tcp-socket, create-udp-socket and resolve-addresses answer.
const socketAccessDenied = 1

// network is the object behind a network handle.
type network struct{}

func (*network) resourceType() *canon.ResourceType { return Network }

// addSockets adds the stable interfaces of wasi:sockets. A component
// gets a network (instance-network) and can do nothing with it: creating
// a TCP or UDP socket and resolving a name fail with
// error-code.access-denied, so toolchains whose standard library links
// networking (wasi-libc, Rust std) deploy and run, and a program that
// tries to connect gets the error it would get on a host that forbids
// it. The socket methods exist with the WIT's types so such components
// link, but no handle they take can exist: calling one traps.
func addSockets(m map[string]Interface) {
	ip4 := canon.Tuple(canon.U8(), canon.U8(), canon.U8(), canon.U8())
	ip6 := canon.Tuple(canon.U16(), canon.U16(), canon.U16(), canon.U16(), canon.U16(), canon.U16(), canon.U16(), canon.U16())
	errorCode := canon.Enum("unknown", "access-denied", "not-supported", "invalid-argument", "out-of-memory", "timeout",
		"concurrency-conflict", "not-in-progress", "would-block", "invalid-state", "new-socket-limit",
		"address-not-bindable", "address-in-use", "remote-unreachable", "connection-refused", "connection-reset",
		"connection-aborted", "datagram-too-large", "name-unresolvable", "temporary-resolver-failure",
		"permanent-resolver-failure")
	family := canon.Enum("ipv4", "ipv6")
	ipAddress := canon.Variant(canon.Case{Name: "ipv4", Type: ip4}, canon.Case{Name: "ipv6", Type: ip6})
	sockAddr := canon.Variant(
		canon.Case{Name: "ipv4", Type: canon.Record(canon.Field{Name: "port", Type: canon.U16()}, canon.Field{Name: "address", Type: ip4})},
		canon.Case{Name: "ipv6", Type: canon.Record(canon.Field{Name: "port", Type: canon.U16()}, canon.Field{Name: "flow-info", Type: canon.U32()},
			canon.Field{Name: "address", Type: ip6}, canon.Field{Name: "scope-id", Type: canon.U32()})},
	)
	res := func(ok *canon.Type) *canon.Type { return canon.Result(ok, errorCode) }
	unit := res(nil)
	bnet := canon.Borrow(Network)
	denied := func(_ context.Context, s *State, args []any) ([]any, error) {
		return one(errValue(uint32(socketAccessDenied)))
	}

	m["wasi:sockets/network"] = Interface{"[resource-drop]network": dropFunc(Network)}
	m["wasi:sockets/instance-network"] = Interface{
		"instance-network": fn(nil, canon.Own(Network), func(_ context.Context, s *State, _ []any) ([]any, error) {
			return newRep(s, &network{})
		}),
	}
	m["wasi:sockets/ip-name-lookup"] = methods(ResolveAddressStream, Interface{
		"resolve-addresses": fn(ps(bnet, canon.String()), res(canon.Own(ResolveAddressStream)), checked(Network, denied)),
	}, map[string]sig{
		"resolve-next-address": {nil, res(canon.Option(ipAddress))},
		"subscribe":            {nil, canon.Own(Pollable)},
	})
	m["wasi:sockets/tcp-create-socket"] = Interface{
		"create-tcp-socket": fn(ps(family), res(canon.Own(TCPSocket)), denied),
	}
	m["wasi:sockets/udp-create-socket"] = Interface{
		"create-udp-socket": fn(ps(family), res(canon.Own(UDPSocket)), denied),
	}
	u8, u32, u64 := canon.U8(), canon.U32(), canon.U64()
	m["wasi:sockets/tcp"] = methods(TCPSocket, Interface{}, map[string]sig{
		"start-bind":               {ps(bnet, sockAddr), unit},
		"finish-bind":              {nil, unit},
		"start-connect":            {ps(bnet, sockAddr), unit},
		"finish-connect":           {nil, res(canon.Tuple(canon.Own(InputStream), canon.Own(OutputStream)))},
		"start-listen":             {nil, unit},
		"finish-listen":            {nil, unit},
		"accept":                   {nil, res(canon.Tuple(canon.Own(TCPSocket), canon.Own(InputStream), canon.Own(OutputStream)))},
		"local-address":            {nil, res(sockAddr)},
		"remote-address":           {nil, res(sockAddr)},
		"is-listening":             {nil, canon.Bool()},
		"address-family":           {nil, family},
		"set-listen-backlog-size":  {ps(u64), unit},
		"keep-alive-enabled":       {nil, res(canon.Bool())},
		"set-keep-alive-enabled":   {ps(canon.Bool()), unit},
		"keep-alive-idle-time":     {nil, res(u64)},
		"set-keep-alive-idle-time": {ps(u64), unit},
		"keep-alive-interval":      {nil, res(u64)},
		"set-keep-alive-interval":  {ps(u64), unit},
		"keep-alive-count":         {nil, res(u32)},
		"set-keep-alive-count":     {ps(u32), unit},
		"hop-limit":                {nil, res(u8)},
		"set-hop-limit":            {ps(u8), unit},
		"receive-buffer-size":      {nil, res(u64)},
		"set-receive-buffer-size":  {ps(u64), unit},
		"send-buffer-size":         {nil, res(u64)},
		"set-send-buffer-size":     {ps(u64), unit},
		"subscribe":                {nil, canon.Own(Pollable)},
		"shutdown":                 {ps(canon.Enum("receive", "send", "both")), unit},
	})
	incoming := canon.Record(canon.Field{Name: "data", Type: canon.List(u8)}, canon.Field{Name: "remote-address", Type: sockAddr})
	outgoing := canon.Record(canon.Field{Name: "data", Type: canon.List(u8)}, canon.Field{Name: "remote-address", Type: canon.Option(sockAddr)})
	udp := methods(UDPSocket, Interface{}, map[string]sig{
		"start-bind":              {ps(bnet, sockAddr), unit},
		"finish-bind":             {nil, unit},
		"stream":                  {ps(canon.Option(sockAddr)), res(canon.Tuple(canon.Own(IncomingDatagramStream), canon.Own(OutgoingDatagramStream)))},
		"local-address":           {nil, res(sockAddr)},
		"remote-address":          {nil, res(sockAddr)},
		"address-family":          {nil, family},
		"unicast-hop-limit":       {nil, res(u8)},
		"set-unicast-hop-limit":   {ps(u8), unit},
		"receive-buffer-size":     {nil, res(u64)},
		"set-receive-buffer-size": {ps(u64), unit},
		"send-buffer-size":        {nil, res(u64)},
		"set-send-buffer-size":    {ps(u64), unit},
		"subscribe":               {nil, canon.Own(Pollable)},
	})
	udp = methods(IncomingDatagramStream, udp, map[string]sig{
		"receive":   {ps(u64), res(canon.List(incoming))},
		"subscribe": {nil, canon.Own(Pollable)},
	})
	m["wasi:sockets/udp"] = methods(OutgoingDatagramStream, udp, map[string]sig{
		"check-send": {nil, res(u64)},
		"send":       {ps(canon.List(outgoing)), res(u64)},
		"subscribe":  {nil, canon.Own(Pollable)},
	})
}

// sig is a method's parameters (after self) and result.
type sig struct {
	params []*canon.Type
	result *canon.Type
}

// methods adds to iface the "[resource-drop]" of rt and a method per sig
// that no guest can reach: its self handle would have to be a live rt,
// and none is ever made, so the call traps (lifting the handle traps
// first in a real component).
func methods(rt *canon.ResourceType, iface Interface, sigs map[string]sig) Interface {
	iface["[resource-drop]"+rt.Name] = dropFunc(rt)
	for name, sg := range sigs {
		full := "[method]" + rt.Name + "." + name
		iface[full] = fn(append([]*canon.Type{canon.Borrow(rt)}, sg.params...), sg.result, func(_ context.Context, s *State, args []any) ([]any, error) {
			if _, err := s.lookup(rt, args[0]); err != nil {
				return nil, err
			}
			return nil, &canon.Trap{Msg: fmt.Sprintf("wasi:sockets %s was called on a %s, which Wisp never makes", full, rt.Name)}
		})
	}
	return iface
}
