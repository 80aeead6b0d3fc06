// Package wasmbin reads and writes the parts of WebAssembly's binary
// encoding that Wisp's module rewriters share (internal/preinit,
// internal/meter, and internal/engine's rewrite of component steps for a
// snapshot): LEB128 integers, length-prefixed vectors, the section list
// and constant expressions. It checks only what it reads (lengths within the input,
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

func skipMemarg(r *Reader) error {
	if _, err := r.U32(); err != nil { // alignment
		return err
	}
	_, err := r.U32() // offset
	return err
}

// skipU32s skips n unsigned integers.
func skipU32s(r *Reader, n int) error {
	for ; n > 0; n-- {
		if _, err := r.U32(); err != nil {
			return err
		}
	}
	return nil
}

// SkipImmediates skips the immediates of an instruction of the core
// instruction set (WebAssembly 2.0) other than the 0xFC-prefixed ones and
// those a rewriter reads itself: block, loop and if (a block type), end,
// call and ref.func are errors here. Its callers are internal/meter and
// internal/preinit's Reserve.
func SkipImmediates(r *Reader, op byte) error {
	switch {
	case op == 0x00 || op == 0x01 || op == 0x05 || op == 0x0F || op == 0x1A || op == 0x1B || op == 0xD1:
		return nil // unreachable, nop, else, return, drop, select, ref.is_null
	case op == 0x0C || op == 0x0D: // br, br_if
		return skipU32s(r, 1)
	case op == 0x0E: // br_table
		n, err := r.U32()
		if err != nil {
			return err
		}
		return skipU32s(r, int(n)+1)
	case op == 0x11: // call_indirect
		return skipU32s(r, 2)
	case op == 0x1C: // select with types
		_, err := r.Vec()
		return err
	case op >= 0x20 && op <= 0x26: // locals, globals, table.get/set
		return skipU32s(r, 1)
	case op >= 0x28 && op <= 0x3E: // loads and stores
		return skipMemarg(r)
	case op == 0x3F || op == 0x40: // memory.size, memory.grow
		return skipU32s(r, 1)
	case op == 0x41:
		return r.Signed(32)
	case op == 0x42:
		return r.Signed(64)
	case op == 0x43:
		return r.Skip(4)
	case op == 0x44:
		return r.Skip(8)
	case op >= 0x45 && op <= 0xC4: // numeric, sign extension
		return nil
	case op == 0xD0: // ref.null
		_, err := r.Byte()
		return err
	case op == 0xFD:
		return skipPrefixedFD(r)
	}
	return fmt.Errorf("unsupported opcode 0x%02x", op)
}

// SkipPrefixedFC skips the immediates of a 0xFC-prefixed instruction.
func SkipPrefixedFC(r *Reader, sub uint32) error {
	switch {
	case sub <= 7: // saturating truncation
		return nil
	case sub == 8 || sub == 10 || sub == 12 || sub == 14: // *.init, *.copy
		return skipU32s(r, 2)
	case sub <= 17: // data.drop, memory.fill, elem.drop, table.grow/size/fill
		return skipU32s(r, 1)
	}
	return fmt.Errorf("unsupported instruction 0xFC %d", sub)
}

// skipPrefixedFD skips a SIMD instruction's opcode and immediates.
func skipPrefixedFD(r *Reader) error {
	sub, err := r.U32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 11 || sub == 92 || sub == 93: // loads, store
		return skipMemarg(r)
	case sub == 12 || sub == 13: // v128.const, i8x16.shuffle
		return r.Skip(16)
	case sub >= 21 && sub <= 34: // extract and replace lane
		return r.Skip(1)
	case sub >= 84 && sub <= 91: // load and store lane
		if err := skipMemarg(r); err != nil {
			return err
		}
		return r.Skip(1)
	case sub <= 255:
		return nil
	}
	return fmt.Errorf("unsupported instruction 0xFD %d", sub)
}

// opEnd ends a constant expression (and a block, and a function).
const opEnd = 0x0B

// ConstInstr reads one instruction of a constant expression and returns
// its opcode and, for global.get and ref.func, the index it names (0
// otherwise). It takes what WebAssembly 2.0 allows there (i32, i64, f32,
// f64 and v128 constants, global.get, ref.null, ref.func), the
// extended-constant proposal's i32 and i64 add, sub and mul, and end
// (0x0B); any other instruction is an error.
func ConstInstr(r *Reader) (op byte, index uint32, err error) {
	if op, err = r.Byte(); err != nil {
		return 0, 0, err
	}
	switch op {
	case opEnd, 0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E: // end; i32 and i64 add, sub, mul
	case 0x41: // i32.const
		err = r.Signed(32)
	case 0x42: // i64.const
		err = r.Signed(64)
	case 0x43: // f32.const
		err = r.Skip(4)
	case 0x44: // f64.const
		err = r.Skip(8)
	case 0x23, 0xD2: // global.get, ref.func
		index, err = r.U32()
	case 0xD0: // ref.null: a reference type
		_, err = r.Byte()
	case 0xFD: // v128.const
		var sub uint32
		if sub, err = r.U32(); err == nil && sub != 12 {
			err = fmt.Errorf("unsupported instruction 0xFD %d in a constant expression", sub)
		} else if err == nil {
			err = r.Skip(16)
		}
	default:
		err = fmt.Errorf("unsupported instruction 0x%02x in a constant expression", op)
	}
	return op, index, err
}

// SingleConstExpr reads a constant expression of one instruction that
// gives a value, and its end, and returns its bytes, end included: the
// form toolchains emit for globals and segment offsets, and the form the
// rewriters write. Anything longer is an error.
func SingleConstExpr(r *Reader) ([]byte, error) {
	start := r.Pos
	op, _, err := ConstInstr(r)
	if err != nil {
		return nil, err
	}
	switch op {
	case opEnd, 0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E:
		return nil, fmt.Errorf("constant expression starting with 0x%02x, which gives no value", op)
	}
	end, err := r.Byte()
	if err != nil {
		return nil, err
	}
	if end != opEnd {
		return nil, errors.New("constant expression of more than one instruction")
	}
	return r.B[start:r.Pos], nil
}

// SkipLimits skips a table's or memory's limits: a flags byte (bit 0: a
// maximum follows; bit 1: shared), the minimum and the maximum, 32-bit.
// Other flags (memory64's) are an error.
func SkipLimits(r *Reader) error {
	flags, err := r.Byte()
	if err != nil {
		return err
	}
	if flags > 3 {
		return fmt.Errorf("unsupported limits flags 0x%02x", flags)
	}
	if _, err := r.U32(); err != nil {
		return err
	}
	if flags&1 != 0 {
		_, err = r.U32()
	}
	return err
}

// ImportedGlobals counts the globals a module imports (secs, from
// Sections): they come first in the global index space.
func ImportedGlobals(secs []Section) (uint32, error) {
	for _, s := range secs {
		if s.ID != 2 {
			continue
		}
		r := &Reader{B: s.Body}
		n, err := r.U32()
		if err != nil {
			return 0, fmt.Errorf("import section: %w", err)
		}
		var globals uint32
		for i := uint32(0); i < n; i++ {
			if _, err := r.Vec(); err != nil { // module
				return 0, fmt.Errorf("import %d: %w", i, err)
			}
			if _, err := r.Vec(); err != nil { // name
				return 0, fmt.Errorf("import %d: %w", i, err)
			}
			kind, err := r.Byte()
			if err != nil {
				return 0, fmt.Errorf("import %d: %w", i, err)
			}
			switch kind {
			case 0x00: // function: type index
				_, err = r.U32()
			case 0x01: // table: reference type, limits
				if _, err = r.Byte(); err == nil {
					err = SkipLimits(r)
				}
			case 0x02: // memory: limits
				err = SkipLimits(r)
			case 0x03: // global: value type, mutability
				globals++
				err = r.Skip(2)
			default:
				err = fmt.Errorf("unknown import kind %d", kind)
			}
			if err != nil {
				return 0, fmt.Errorf("import %d: %w", i, err)
			}
		}
		return globals, nil
	}
	return 0, nil
}
