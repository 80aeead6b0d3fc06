package preinit

import (
	"bytes"
	"errors"
	"fmt"
)

var errTruncated = errors.New("unexpected end of module")

// reader reads WebAssembly's binary encoding from b.
type reader struct {
	b   []byte
	pos int
}

func (r *reader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, errTruncated
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

// u32 reads an unsigned LEB128 of at most 32 bits.
func (r *reader) u32() (uint32, error) {
	var v uint32
	for shift := uint(0); shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint32(c&0x7F) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errors.New("integer too long")
}

// signed skips a signed LEB128 of at most bits bits.
func (r *reader) signed(bits uint) error {
	for n := uint(0); n < (bits+6)/7; n++ {
		c, err := r.byte()
		if err != nil {
			return err
		}
		if c&0x80 == 0 {
			return nil
		}
	}
	return errors.New("integer too long")
}

func (r *reader) skip(n int) error {
	if n < 0 || len(r.b)-r.pos < n {
		return errTruncated
	}
	r.pos += n
	return nil
}

// vec reads a length-prefixed byte vector.
func (r *reader) vec() ([]byte, error) {
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	start := r.pos
	if err := r.skip(int(n)); err != nil {
		return nil, err
	}
	return r.b[start:r.pos], nil
}

// constExpr reads a constant expression (one instruction and end) and
// returns its bytes, end included.
func (r *reader) constExpr() ([]byte, error) {
	start := r.pos
	op, err := r.byte()
	if err != nil {
		return nil, err
	}
	switch op {
	case 0x41: // i32.const
		err = r.signed(32)
	case 0x42: // i64.const
		err = r.signed(64)
	case 0x43: // f32.const
		err = r.skip(4)
	case 0x44: // f64.const
		err = r.skip(8)
	case 0x23, 0xD2: // global.get, ref.func
		_, err = r.u32()
	case 0xD0: // ref.null
		_, err = r.byte()
	case 0xFD: // v128.const
		var sub uint32
		if sub, err = r.u32(); err == nil && sub != 12 {
			err = fmt.Errorf("unsupported instruction 0xFD %d in a constant expression", sub)
		} else if err == nil {
			err = r.skip(16)
		}
	default:
		err = fmt.Errorf("unsupported instruction 0x%02x in a constant expression", op)
	}
	if err != nil {
		return nil, err
	}
	if end, err := r.byte(); err != nil || end != 0x0B {
		return nil, errors.New("constant expression of more than one instruction")
	}
	return r.b[start:r.pos], nil
}

func appendBytes(b, s []byte) []byte {
	b = appendU32(b, uint32(len(s)))
	return append(b, s...)
}

// section is one section of a module: its id and where its body is.
type section struct {
	id         byte
	start, end int // of the whole section, id included
	body       []byte
}

var magic = []byte{0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00}

func sections(wasm []byte) ([]section, error) {
	if !bytes.HasPrefix(wasm, magic) {
		return nil, errors.New("not a WebAssembly 1.0 module")
	}
	r := &reader{b: wasm, pos: len(magic)}
	var secs []section
	for r.pos < len(wasm) {
		start := r.pos
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		body, err := r.vec()
		if err != nil {
			return nil, fmt.Errorf("section %d at offset %d: %w", id, start, err)
		}
		secs = append(secs, section{id: id, start: start, end: r.pos, body: body})
	}
	return secs, nil
}

func find(secs []section, id byte) *section {
	for i := range secs {
		if secs[i].id == id {
			return &secs[i]
		}
	}
	return nil
}

// assemble writes wasm's sections in order, each replaced by the body in
// replace when its id is a key there (a nil body drops the section).
// Replacements for sections the module lacks are ignored.
func assemble(wasm []byte, secs []section, replace map[byte]*[]byte) []byte {
	out := make([]byte, 0, len(wasm)+64)
	out = append(out, magic...)
	for _, s := range secs {
		body, ok := replace[s.id]
		if !ok || s.id == 0 { // custom sections are kept as they are
			out = append(out, wasm[s.start:s.end]...)
			continue
		}
		if body == nil {
			continue
		}
		out = append(out, s.id)
		out = appendBytes(out, *body)
	}
	return out
}

// globalDef is a global the module defines.
type globalDef struct {
	typ     byte
	mutable bool
	init    []byte // constant expression, end included
}

func parseGlobals(body []byte) ([]globalDef, error) {
	r := &reader{b: body}
	n, err := r.u32()
	if err != nil {
		return nil, fmt.Errorf("global section: %w", err)
	}
	defs := make([]globalDef, 0, min(n, 1<<16))
	for i := uint32(0); i < n; i++ {
		typ, err := r.byte()
		if err != nil {
			return nil, fmt.Errorf("global %d: %w", i, err)
		}
		mut, err := r.byte()
		if err != nil {
			return nil, fmt.Errorf("global %d: %w", i, err)
		}
		init, err := r.constExpr()
		if err != nil {
			return nil, fmt.Errorf("global %d: %w", i, err)
		}
		defs = append(defs, globalDef{typ: typ, mutable: mut == 1, init: init})
	}
	return defs, nil
}

// importedGlobals counts the globals a module imports: they come first in
// the global index space.
func importedGlobals(secs []section) (uint32, error) {
	s := find(secs, secImport)
	if s == nil {
		return 0, nil
	}
	r := &reader{b: s.body}
	n, err := r.u32()
	if err != nil {
		return 0, fmt.Errorf("import section: %w", err)
	}
	var globals uint32
	for i := uint32(0); i < n; i++ {
		if _, err := r.vec(); err != nil { // module
			return 0, fmt.Errorf("import %d: %w", i, err)
		}
		if _, err := r.vec(); err != nil { // name
			return 0, fmt.Errorf("import %d: %w", i, err)
		}
		kind, err := r.byte()
		if err != nil {
			return 0, fmt.Errorf("import %d: %w", i, err)
		}
		switch kind {
		case 0x00: // function: type index
			_, err = r.u32()
		case 0x01: // table: reference type, limits
			if _, err = r.byte(); err == nil {
				err = r.limits()
			}
		case 0x02: // memory: limits
			err = r.limits()
		case 0x03: // global: value type, mutability
			globals++
			err = r.skip(2)
		default:
			err = fmt.Errorf("unknown import kind %d", kind)
		}
		if err != nil {
			return 0, fmt.Errorf("import %d: %w", i, err)
		}
	}
	return globals, nil
}

func (r *reader) limits() error {
	flags, err := r.byte()
	if err != nil {
		return err
	}
	if _, err := r.u32(); err != nil {
		return err
	}
	if flags&1 != 0 {
		_, err = r.u32()
	}
	return err
}
