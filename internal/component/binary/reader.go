package binary

import (
	"fmt"
	"unicode/utf8"
)

// Error is what Decode returns for malformed, unsupported or over-large
// input: where in the binary the problem is and what it is.
type Error struct {
	// Section names the section being read ("type section", "preamble"),
	// prefixed with the path of nested components ("component 1: import
	// section") when the problem is inside one.
	Section string
	// Offset is the byte offset in the whole input where the offending
	// item starts.
	Offset int
	// Msg says what was wrong.
	Msg string
}

// Error formats the error with its section and offset first.
func (e *Error) Error() string {
	return fmt.Sprintf("component binary: %s at byte %d (0x%x): %s", e.Section, e.Offset, e.Offset, e.Msg)
}

// budget is shared by every reader of one Decode: the items left.
type budget struct {
	items int
}

// reader reads one region [pos, end) of the input.
type reader struct {
	buf     []byte // the whole input; offsets are into it
	pos     int
	end     int
	section string // for errors
	b       *budget
}

// errf returns an *Error at offset at.
func (r *reader) errf(at int, format string, args ...any) error {
	return &Error{Section: r.section, Offset: at, Msg: fmt.Sprintf(format, args...)}
}

func (r *reader) eof() bool { return r.pos >= r.end }

func (r *reader) truncated(what string) error {
	return r.errf(r.pos, "unexpected end of %s reading %s (the binary is truncated or a length is wrong)", r.section, what)
}

func (r *reader) byte(what string) (byte, error) {
	if r.pos >= r.end {
		return 0, r.truncated(what)
	}
	c := r.buf[r.pos]
	r.pos++
	return c, nil
}

func (r *reader) peek(what string) (byte, error) {
	if r.pos >= r.end {
		return 0, r.truncated(what)
	}
	return r.buf[r.pos], nil
}

// bytes returns the next n bytes as a sub-slice of the input.
func (r *reader) bytes(n int, what string) ([]byte, error) {
	if n < 0 || n > r.end-r.pos {
		return nil, r.errf(r.pos, "%s claims %d bytes but only %d remain", what, n, r.end-r.pos)
	}
	s := r.buf[r.pos : r.pos+n : r.pos+n]
	r.pos += n
	return s, nil
}

// u32 reads an unsigned LEB128 of at most 5 bytes that fits 32 bits.
func (r *reader) u32(what string) (uint32, error) {
	start := r.pos
	var v uint32
	for i := 0; ; i++ {
		c, err := r.byte(what)
		if err != nil {
			return 0, err
		}
		if i == 4 {
			if c&0x80 != 0 || c > 0x0f {
				return 0, r.errf(start, "%s is not a valid u32 LEB128 (too long or over 32 bits)", what)
			}
			return v | uint32(c)<<28, nil
		}
		v |= uint32(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, nil
		}
	}
}

// s33 reads a signed 33-bit LEB128 (at most 5 bytes), the encoding of a
// type index where a type opcode may stand instead.
func (r *reader) s33(what string) (int64, error) {
	start := r.pos
	var v int64
	var shift uint
	for i := 0; ; i++ {
		c, err := r.byte(what)
		if err != nil {
			return 0, err
		}
		if i == 4 && (c&0x80 != 0 || (c&0x70 != 0 && c&0x70 != 0x70)) {
			return 0, r.errf(start, "%s is not a valid s33 LEB128", what)
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, nil
		}
	}
}

// typeIndex reads a type index encoded as a non-negative s33.
func (r *reader) typeIndex(what string) (uint32, error) {
	start := r.pos
	v, err := r.s33(what)
	if err != nil {
		return 0, err
	}
	if v < 0 || v > 0xffffffff {
		return 0, r.errf(start, "%s: 0x%x is neither a value type opcode nor a type index", what, r.buf[start])
	}
	return uint32(v), nil
}

// count reads a vector length and checks it against limit, against the
// bytes left (each entry takes at least minSize bytes) and against the
// Decode's item budget, so no count is trusted before it is paid for.
func (r *reader) count(what string, limit, minSize int) (int, error) {
	start := r.pos
	n, err := r.u32(what + " count")
	if err != nil {
		return 0, err
	}
	if int64(n) > int64(limit) {
		return 0, r.errf(start, "%s count %d is over the limit of %d", what, n, limit)
	}
	if int64(n)*int64(minSize) > int64(r.end-r.pos) {
		return 0, r.errf(start, "%s count %d cannot fit in the %d bytes left (a count that lies)", what, n, r.end-r.pos)
	}
	if int(n) > r.b.items {
		return 0, r.errf(start, "%s count %d exceeds what is left of the decoder's budget of %d definitions", what, n, MaxItems)
	}
	r.b.items -= int(n)
	return int(n), nil
}

// name reads a length-prefixed UTF-8 string.
func (r *reader) name(what string) (string, error) {
	start := r.pos
	n, err := r.u32(what + " length")
	if err != nil {
		return "", err
	}
	if n > MaxNameLen {
		return "", r.errf(start, "%s is %d bytes long, over the limit of %d", what, n, MaxNameLen)
	}
	s, err := r.bytes(int(n), what)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(s) {
		return "", r.errf(start, "%s is not valid UTF-8", what)
	}
	return string(s), nil
}

// sub returns a reader for the next n bytes and advances past them.
func (r *reader) sub(n int, section, what string) (reader, error) {
	if n < 0 || n > r.end-r.pos {
		return reader{}, r.errf(r.pos, "%s claims %d bytes but only %d remain", what, n, r.end-r.pos)
	}
	s := reader{buf: r.buf, pos: r.pos, end: r.pos + n, section: section, b: r.b}
	r.pos += n
	return s, nil
}

// done fails unless the region has been read to its end.
func (r *reader) done() error {
	if r.pos != r.end {
		return r.errf(r.pos, "%d bytes left over at the end of the %s (a size that does not match its content)", r.end-r.pos, r.section)
	}
	return nil
}

// u64 reads an unsigned LEB128 of at most 10 bytes that fits 64 bits.
func (r *reader) u64(what string) (uint64, error) {
	start := r.pos
	var v uint64
	for i := 0; ; i++ {
		c, err := r.byte(what)
		if err != nil {
			return 0, err
		}
		if i == 9 {
			if c > 0x01 {
				return 0, r.errf(start, "%s is not a valid u64 LEB128 (too long or over 64 bits)", what)
			}
			return v | uint64(c)<<63, nil
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, nil
		}
	}
}
