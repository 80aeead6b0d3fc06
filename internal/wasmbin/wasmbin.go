// Package wasmbin reads and writes the parts of WebAssembly's binary
// encoding that Wisp's module rewriters share (internal/preinit,
// internal/meter): LEB128 integers, length-prefixed vectors and the
// section list. It checks only what it reads (lengths within the input,
// integers within their size); validating a module is wazero's job, and
// the pre-scan's (internal/wasmscan) for what wazero trusts.
package wasmbin

import (
	"errors"
	"fmt"
	"strings"
)

// ErrTruncated is matched by errors for input that ends in the middle of
// what is being read.
var ErrTruncated = errors.New("unexpected end of module")

// Magic is the preamble of a WebAssembly 1.0 module: its magic number and
// version.
const Magic = "\x00asm\x01\x00\x00\x00"

// Reader reads WebAssembly's binary encoding from B, starting at Pos.
type Reader struct {
	B   []byte
	Pos int
}

// Done reports whether everything has been read.
func (r *Reader) Done() bool { return r.Pos >= len(r.B) }

// Byte reads one byte.
func (r *Reader) Byte() (byte, error) {
	if r.Pos >= len(r.B) {
		return 0, ErrTruncated
	}
	c := r.B[r.Pos]
	r.Pos++
	return c, nil
}

// U32 reads an unsigned LEB128 of at most 32 bits.
func (r *Reader) U32() (uint32, error) {
	var v uint64
	for shift := uint(0); shift < 35; shift += 7 {
		c, err := r.Byte()
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

// Signed skips a signed LEB128 of at most bits bits.
func (r *Reader) Signed(bits uint) error {
	for n := uint(0); n < (bits+6)/7; n++ {
		c, err := r.Byte()
		if err != nil {
			return err
		}
		if c&0x80 == 0 {
			return nil
		}
	}
	return errors.New("integer too long")
}

// Skip skips n bytes.
func (r *Reader) Skip(n int) error {
	if n < 0 || len(r.B)-r.Pos < n {
		return ErrTruncated
	}
	r.Pos += n
	return nil
}

// Vec reads a length-prefixed byte vector; the result aliases B.
func (r *Reader) Vec() ([]byte, error) {
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	start := r.Pos
	if err := r.Skip(int(n)); err != nil {
		return nil, err
	}
	return r.B[start:r.Pos], nil
}

// AppendU32 appends v as an unsigned LEB128.
func AppendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// AppendS64 appends v as a signed LEB128.
func AppendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7F)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// AppendVec appends s as a length-prefixed vector.
func AppendVec(b, s []byte) []byte {
	b = AppendU32(b, uint32(len(s)))
	return append(b, s...)
}

// Section is one section of a module: its id and where it is.
type Section struct {
	ID         byte
	Start, End int    // of the whole section in the module, id included
	Body       []byte // the section's contents, aliasing the module
}

// Sections lists wasm's sections in order. It checks the preamble and that
// every section's length stays within wasm, nothing else.
func Sections(wasm []byte) ([]Section, error) {
	if !strings.HasPrefix(string(wasm), Magic) {
		return nil, errors.New("not a WebAssembly 1.0 module")
	}
	r := &Reader{B: wasm, Pos: len(Magic)}
	var secs []Section
	for !r.Done() {
		start := r.Pos
		id, err := r.Byte()
		if err != nil {
			return nil, err
		}
		body, err := r.Vec()
		if err != nil {
			return nil, fmt.Errorf("section %d at offset %d: %w", id, start, err)
		}
		secs = append(secs, Section{ID: id, Start: start, End: r.Pos, Body: body})
	}
	return secs, nil
}
