package wasi

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/wisphq/wisp/internal/component/canon"
)

// witFuncs parses the subset of WIT in testdata/wasi-0.2.12.wit into
// function types by interface ("wasi:io/streams") and import name
// ("[method]output-stream.write"), adding a "[resource-drop]R" of type
// func(own<R>) for every resource. Resource names resolve through
// resources; named types are global (the file's names do not clash).
type witParser struct {
	toks      []string
	pos       int
	named     map[string]*canon.Type
	resources map[string]*canon.ResourceType
	funcs     map[string]map[string]canon.FuncType
}

func tokenize(src string) []string {
	var toks []string
	for i := 0; i < len(src); {
		c := rune(src[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case strings.HasPrefix(src[i:], "->"):
			toks = append(toks, "->")
			i += 2
		case strings.ContainsRune("{}()<>,:;=./", c):
			toks = append(toks, string(c))
			i++
		default:
			j := i
			for j < len(src) && (src[j] == '-' && !strings.HasPrefix(src[j:], "->") || src[j] == '%' || src[j] == '_' || src[j] == '@' ||
				unicode.IsLetter(rune(src[j])) || unicode.IsDigit(rune(src[j]))) {
				j++
			}
			if j == i {
				panic(fmt.Sprintf("unexpected %q", src[i:min(len(src), i+20)]))
			}
			toks = append(toks, strings.TrimPrefix(src[i:j], "%"))
			i = j
		}
	}
	return toks
}

func (p *witParser) next() string { t := p.toks[p.pos]; p.pos++; return t }
func (p *witParser) peek() string { return p.toks[p.pos] }
func (p *witParser) expect(s string) {
	if t := p.next(); t != s {
		panic(fmt.Sprintf("token %d: want %q, got %q", p.pos, s, t))
	}
}

func (p *witParser) file() {
	pkg := ""
	for p.pos < len(p.toks) {
		switch p.next() {
		case "package":
			pkg = ""
			for p.peek() != ";" {
				pkg += p.next()
			}
			p.next()
		case "interface":
			// "wasi:keyvalue@0.2.0-draft2" keys its interfaces as a
			// component imports them: "wasi:keyvalue/store@0.2.0-draft2".
			base, version, versioned := strings.Cut(pkg, "@")
			name := base + "/" + p.next()
			if versioned {
				name += "@" + version
			}
			p.expect("{")
			p.funcs[name] = map[string]canon.FuncType{}
			for p.peek() != "}" {
				p.item(p.funcs[name])
			}
			p.next()
		default:
			panic(fmt.Sprintf("token %d: unexpected %q", p.pos, p.toks[p.pos-1]))
		}
	}
}

// list parses "{ a, b, ... }" calling f for each element.
func (p *witParser) list(open, close string, f func()) {
	p.expect(open)
	for p.peek() != close {
		f()
		if p.peek() == "," {
			p.next()
		}
	}
	p.next()
}

func (p *witParser) item(funcs map[string]canon.FuncType) {
	kw := p.next()
	switch kw {
	case "use":
		for p.next() != ";" {
		}
	case "type":
		name := p.next()
		p.expect("=")
		p.named[name] = p.typ()
		p.expect(";")
	case "enum", "flags":
		name := p.next()
		var labels []string
		p.list("{", "}", func() { labels = append(labels, p.next()) })
		if kw == "enum" {
			p.named[name] = canon.Enum(labels...)
		} else {
			p.named[name] = canon.Flags(labels...)
		}
	case "record":
		name := p.next()
		var fields []canon.Field
		p.list("{", "}", func() {
			n := p.next()
			p.expect(":")
			fields = append(fields, canon.Field{Name: n, Type: p.typ()})
		})
		p.named[name] = canon.Record(fields...)
	case "variant":
		name := p.next()
		var cases []canon.Case
		p.list("{", "}", func() {
			c := canon.Case{Name: p.next()}
			if p.peek() == "(" {
				p.next()
				c.Type = p.typ()
				p.expect(")")
			}
			cases = append(cases, c)
		})
		p.named[name] = canon.Variant(cases...)
	case "resource":
		name := p.next()
		rt := p.resources[name]
		if rt == nil {
			panic("unknown resource " + name)
		}
		funcs["[resource-drop]"+name] = canon.FuncType{Params: []*canon.Type{canon.Own(rt)}}
		if p.peek() == ";" {
			p.next()
			return
		}
		p.expect("{")
		for p.peek() != "}" {
			m := p.next()
			if m == "constructor" {
				ft := p.params(canon.FuncType{})
				p.expect(";")
				ft.Results = []*canon.Type{canon.Own(rt)}
				funcs["[constructor]"+name] = ft
				continue
			}
			p.expect(":")
			if p.peek() == "static" {
				p.next()
				funcs["[static]"+name+"."+m] = p.fn(nil)
				continue
			}
			ft := p.fn(canon.Borrow(rt))
			funcs["[method]"+name+"."+m] = ft
		}
		p.next()
	default:
		p.expect(":")
		funcs[kw] = p.fn(nil)
	}
}

// fn parses "func(params) [-> result];", self first if not nil.
func (p *witParser) fn(self *canon.Type) canon.FuncType {
	p.expect("func")
	var ft canon.FuncType
	if self != nil {
		ft.Params = append(ft.Params, self)
	}
	ft = p.params(ft)
	if p.peek() == "->" {
		p.next()
		ft.Results = []*canon.Type{p.typ()}
	}
	p.expect(";")
	return ft
}

// params parses "(name: type, ...)" appending to ft's parameters.
func (p *witParser) params(ft canon.FuncType) canon.FuncType {
	p.list("(", ")", func() {
		p.next()
		p.expect(":")
		ft.Params = append(ft.Params, p.typ())
	})
	return ft
}

func (p *witParser) typ() *canon.Type {
	name := p.next()
	prims := map[string]func() *canon.Type{
		"bool": canon.Bool, "u8": canon.U8, "u16": canon.U16, "u32": canon.U32, "u64": canon.U64,
		"s8": canon.S8, "s16": canon.S16, "s32": canon.S32, "s64": canon.S64, "string": canon.String,
	}
	if f, found := prims[name]; found {
		return f()
	}
	var args []*canon.Type
	if p.peek() == "<" {
		p.list("<", ">", func() {
			if p.peek() == "_" {
				p.next()
				args = append(args, nil)
				return
			}
			args = append(args, p.typ())
		})
	}
	switch name {
	case "list":
		return canon.List(args[0])
	case "option":
		return canon.Option(args[0])
	case "tuple":
		return canon.Tuple(args...)
	case "result":
		args = append(args, nil, nil)
		return canon.Result(args[0], args[1])
	case "borrow", "own":
		t := args[0]
		if name == "borrow" {
			return canon.Borrow(t.Resource())
		}
		return t
	}
	if rt := p.resources[name]; rt != nil {
		return canon.Own(rt) // a resource name alone is an owned handle
	}
	if t := p.named[name]; t != nil {
		return t
	}
	panic("unknown type " + name)
}

// sameType reports whether a and b are structurally equal, resources by
// identity; it returns where they differ.
func sameType(a, b *canon.Type) error {
	if a == nil || b == nil {
		if a != b {
			return fmt.Errorf("%v vs %v", a, b)
		}
		return nil
	}
	if a.Kind() != b.Kind() || a.Resource() != b.Resource() ||
		strings.Join(a.Labels(), ",") != strings.Join(b.Labels(), ",") || len(a.Types()) != len(b.Types()) {
		return fmt.Errorf("%v vs %v", a, b)
	}
	if a.Kind() == canon.KindList {
		return sameType(a.Elem(), b.Elem())
	}
	for i := range a.Types() {
		if err := sameType(a.Types()[i], b.Types()[i]); err != nil {
			return err
		}
	}
	return nil
}

func sameFunc(a, b canon.FuncType) error {
	if len(a.Params) != len(b.Params) || len(a.Results) != len(b.Results) {
		return fmt.Errorf("%d params %d results vs %d params %d results", len(a.Params), len(a.Results), len(b.Params), len(b.Results))
	}
	for i := range a.Params {
		if err := sameType(a.Params[i], b.Params[i]); err != nil {
			return fmt.Errorf("param %d: %w", i, err)
		}
	}
	for i := range a.Results {
		if err := sameType(a.Results[i], b.Results[i]); err != nil {
			return fmt.Errorf("result: %w", err)
		}
	}
	return nil
}

func parseWIT(t *testing.T) map[string]map[string]canon.FuncType {
	t.Helper()
	src, err := os.ReadFile("testdata/wasi-0.2.12.wit")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(src), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "//") {
			lines = append(lines, l)
		}
	}
	p := &witParser{
		toks:  tokenize(strings.Join(lines, "\n")),
		named: map[string]*canon.Type{},
		resources: map[string]*canon.ResourceType{
			"error": Error, "pollable": Pollable, "input-stream": InputStream, "output-stream": OutputStream,
			"terminal-input": TerminalInput, "terminal-output": TerminalOutput,
			"descriptor": Descriptor, "directory-entry-stream": DirectoryEntryStream,
			"io-error": Error, "fields": Fields, "incoming-request": IncomingRequest,
			"outgoing-request": OutgoingRequest, "request-options": RequestOptions,
			"response-outparam": ResponseOutparam, "incoming-response": IncomingResponse,
			"incoming-body": IncomingBody, "future-trailers": FutureTrailers,
			"outgoing-response": OutgoingResponse, "outgoing-body": OutgoingBody,
			"future-incoming-response": FutureIncomingResponse,
			"network":                  Network, "resolve-address-stream": ResolveAddressStream,
			"tcp-socket": TCPSocket, "udp-socket": UDPSocket,
			"incoming-datagram-stream": IncomingDatagramStream, "outgoing-datagram-stream": OutgoingDatagramStream,
		},
		funcs: map[string]map[string]canon.FuncType{},
	}
	p.file()
	return p.funcs
}

// Every function of the WIT is implemented with exactly the WIT's type,
// and nothing else is.
func TestTypesMatchWIT(t *testing.T) {
	want := parseWIT(t)
	got := Interfaces()
	n := 0
	for iface, funcs := range want {
		for name, ft := range funcs {
			n++
			f, found := got[iface][name]
			if !found {
				t.Errorf("%s %s: not implemented", iface, name)
				continue
			}
			if err := f.Type.Err(); err != nil {
				t.Errorf("%s %s: invalid type: %v", iface, name, err)
			}
			if err := sameFunc(f.Type, ft); err != nil {
				t.Errorf("%s %s: type differs from the WIT: %v", iface, name, err)
			}
			if f.Call == nil {
				t.Errorf("%s %s: no Call", iface, name)
			}
		}
	}
	for iface, funcs := range got {
		for name := range funcs {
			if _, found := want[iface][name]; !found {
				t.Errorf("%s %s: implemented but not in the WIT", iface, name)
			}
		}
	}
	if n != 200 { // 142 of cli, io, clocks, random, filesystem and http, 58 of sockets
		t.Errorf("the WIT table has %d functions, not 200: the parser lost some", n)
	}
	t.Logf("%d interfaces, %d functions checked", len(want), n)
}

// The comparison sees the differences a wrong transcription would make.
func TestSameFuncDetects(t *testing.T) {
	base := canon.FuncType{Params: []*canon.Type{canon.Borrow(OutputStream), canon.List(canon.U8())},
		Results: []*canon.Type{canon.Result(nil, canon.Enum("a", "b"))}}
	for _, tc := range []struct {
		name string
		ft   canon.FuncType
	}{
		{"other resource", canon.FuncType{Params: []*canon.Type{canon.Borrow(InputStream), canon.List(canon.U8())}, Results: base.Results}},
		{"own for borrow", canon.FuncType{Params: []*canon.Type{canon.Own(OutputStream), canon.List(canon.U8())}, Results: base.Results}},
		{"list element", canon.FuncType{Params: []*canon.Type{canon.Borrow(OutputStream), canon.List(canon.U16())}, Results: base.Results}},
		{"enum label", canon.FuncType{Params: base.Params, Results: []*canon.Type{canon.Result(nil, canon.Enum("a", "c"))}}},
		{"ok payload", canon.FuncType{Params: base.Params, Results: []*canon.Type{canon.Result(canon.U8(), canon.Enum("a", "b"))}}},
		{"no result", canon.FuncType{Params: base.Params}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if sameFunc(base, tc.ft) == nil {
				t.Errorf("%v and %v compared equal", base, tc.ft)
			}
		})
	}
	if err := sameFunc(base, base); err != nil {
		t.Errorf("a type differs from itself: %v", err)
	}
}
