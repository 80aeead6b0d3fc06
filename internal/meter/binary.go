package meter

import (
	"errors"
	"fmt"
)

var errTruncated = errors.New("unexpected end of module")

// reader reads WebAssembly's binary encoding from b.
type reader struct {
	b   []byte
	pos int
}

func (r *reader) done() bool { return r.pos >= len(r.b) }

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
	var v uint64
	for shift := uint(0); shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7F) << shift
		if c&0x80 == 0 {
			if v > 1<<32-1 {
				return 0, errors.New("integer too large")
			}
			return uint32(v), nil
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

func appendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7F)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func appendVec(b, s []byte) []byte {
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
	if len(wasm) < len(magic) || string(wasm[:len(magic)]) != string(magic) {
		return nil, errors.New("not a WebAssembly 1.0 module")
	}
	r := &reader{b: wasm, pos: len(magic)}
	var secs []section
	for !r.done() {
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

// constExpr copies a constant expression from r to out, renumbering the
// functions ref.func names, up to and including its end. globals is the
// number of globals it may read: a global.get past them is an error.
func (m *module) constExpr(r *reader, out []byte, globals uint32) ([]byte, error) {
	for {
		start := r.pos
		op, err := r.byte()
		if err != nil {
			return nil, err
		}
		switch op {
		case 0x0B: // end
			return append(out, op), nil
		case 0x41: // i32.const
			err = r.signed(32)
		case 0x42: // i64.const
			err = r.signed(64)
		case 0x43: // f32.const
			err = r.skip(4)
		case 0x44: // f64.const
			err = r.skip(8)
		case 0x23: // global.get
			var g uint32
			if g, err = r.u32(); err == nil {
				err = checkGlobal(g, globals)
			}
		case 0xD0: // ref.null
			_, err = r.byte()
		case 0xD2: // ref.func
			var f uint32
			if f, err = r.u32(); err == nil {
				if f, err = m.fn(f); err == nil {
					out = appendU32(append(out, op), f)
					continue
				}
			}
		case 0xFD: // v128.const
			var sub uint32
			if sub, err = r.u32(); err == nil && sub != 12 {
				err = fmt.Errorf("unsupported instruction 0xFD %d in a constant expression", sub)
			} else if err == nil {
				err = r.skip(16)
			}
		case 0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E: // extended constant arithmetic
		default:
			err = fmt.Errorf("unsupported instruction 0x%02x in a constant expression", op)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r.b[start:r.pos]...)
	}
}
