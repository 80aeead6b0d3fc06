package wasmscan

import (
	"bytes"
	"encoding/binary"
)

// builder assembles WebAssembly binary modules for tests, as bytes. Each
// field holds the already encoded entries of one section; wasm writes the
// sections that have entries, in order. It checks nothing: tests use it to
// build invalid modules too.
type builder struct {
	types, imports, funcs, tables, memories, globals, exports, elems, codes, datas [][]byte
	start                                                                          []byte // start function index, if any
	dataCount                                                                      []byte // data count section content, if any
	customs                                                                        [][]byte
	customsLast                                                                    [][]byte // after the data section
}

// Value types.
const (
	i32     = 0x7f
	i64     = 0x7e
	f32     = 0x7d
	f64     = 0x7c
	v128    = 0x7b
	funcref = 0x70
)

// uleb encodes v as unsigned LEB128.
func uleb(v uint64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			c |= 0x80
		}
		b = append(b, c)
		if v == 0 {
			return b
		}
	}
}

// sleb encodes v as signed LEB128.
func sleb(v int64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// cat concatenates byte slices and single bytes.
func cat(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch p := p.(type) {
		case byte:
			b = append(b, p)
		case int:
			b = append(b, byte(p))
		case []byte:
			b = append(b, p...)
		case string:
			b = append(b, p...)
		default:
			panic("cat: unsupported part")
		}
	}
	return b
}

// vec encodes a vector of already encoded entries.
func vec(entries [][]byte) []byte {
	b := uleb(uint64(len(entries)))
	for _, e := range entries {
		b = append(b, e...)
	}
	return b
}

// name encodes a length-prefixed string.
func name(s string) []byte { return cat(uleb(uint64(len(s))), s) }

// funcType encodes a function type.
func funcType(params, results []byte) []byte {
	return cat(0x60, uleb(uint64(len(params))), params, uleb(uint64(len(results))), results)
}

// local is a run of locals of one type in a function body.
type local struct {
	n   uint64
	typ byte
}

// body encodes a code section entry: local declarations, then code, which
// must include the function's final end.
func body(locals []local, code []byte) []byte {
	var b []byte
	b = append(b, uleb(uint64(len(locals)))...)
	for _, l := range locals {
		b = append(b, uleb(l.n)...)
		b = append(b, l.typ)
	}
	b = append(b, code...)
	return cat(uleb(uint64(len(b))), b)
}

// addType appends a function type and returns its index.
func (m *builder) addType(params, results []byte) uint32 {
	m.types = append(m.types, funcType(params, results))
	return uint32(len(m.types) - 1)
}

// addFunc defines a function of type typ and returns its index among the
// defined functions.
func (m *builder) addFunc(typ uint32, locals []local, code []byte) int {
	m.funcs = append(m.funcs, uleb(uint64(typ)))
	m.codes = append(m.codes, body(locals, code))
	return len(m.funcs) - 1
}

// withMemory gives the module one memory of min pages.
func (m *builder) withMemory(min uint32) *builder {
	m.memories = [][]byte{cat(0x00, uleb(uint64(min)))}
	return m
}

// exportFunc exports function idx (in the function index space) as n.
func (m *builder) exportFunc(n string, idx uint32) {
	m.exports = append(m.exports, cat(name(n), 0x00, uleb(uint64(idx))))
}

// wasm encodes the module.
func (m *builder) wasm() []byte {
	var out bytes.Buffer
	out.WriteString("\x00asm")
	_ = binary.Write(&out, binary.LittleEndian, uint32(1))
	section := func(id byte, content []byte) {
		out.WriteByte(id)
		out.Write(uleb(uint64(len(content))))
		out.Write(content)
	}
	vecSection := func(id byte, entries [][]byte) {
		if len(entries) > 0 {
			section(id, vec(entries))
		}
	}
	for _, c := range m.customs {
		section(0, c)
	}
	vecSection(1, m.types)
	vecSection(2, m.imports)
	vecSection(3, m.funcs)
	vecSection(4, m.tables)
	vecSection(5, m.memories)
	vecSection(6, m.globals)
	vecSection(7, m.exports)
	if m.start != nil {
		section(8, m.start)
	}
	vecSection(9, m.elems)
	if m.dataCount != nil {
		section(12, m.dataCount)
	}
	vecSection(10, m.codes)
	vecSection(11, m.datas)
	for _, c := range m.customsLast {
		section(0, c)
	}
	return out.Bytes()
}

// customSection encodes a custom section's content.
func customSection(n string, content []byte) []byte { return cat(name(n), content) }

// Instruction encodings used by the generated bodies.
var (
	opEnd  = []byte{0x0b}
	opDrop = []byte{0x1a}
)

// block, loop and if with an empty block type.
func opBlock() []byte { return []byte{0x02, 0x40} }
func opLoop() []byte  { return []byte{0x03, 0x40} }

func opLocalGet(i uint32) []byte { return cat(0x20, uleb(uint64(i))) }
func opLocalSet(i uint32) []byte { return cat(0x21, uleb(uint64(i))) }
func opI32Const(v int32) []byte  { return cat(0x41, sleb(int64(v))) }
func opBr(l uint32) []byte       { return cat(0x0c, uleb(uint64(l))) }
func opBrIf(l uint32) []byte     { return cat(0x0d, uleb(uint64(l))) }

// repeat returns n copies of b.
func repeat(b []byte, n int) []byte { return bytes.Repeat(b, n) }
