package wasmscan

// reader walks a byte slice. Every read checks bounds against end, not
// len(b), so a section or function body cannot be read past its declared
// size. A failed read returns ok == false; the caller turns that into a
// MalformedError with the position.
//
// LEB128 decoding is strict (as the core specification requires): at most
// ceil(N/7) bytes, and the unused bits of the last byte must be a sign or
// zero extension. wazero decodes the same encodings with the same lengths,
// so an instruction boundary found here is the one wazero finds.
type reader struct {
	b   []byte
	pos int
	end int
}

func (r *reader) remaining() int { return r.end - r.pos }

func (r *reader) byte() (byte, bool) {
	if r.pos >= r.end {
		return 0, false
	}
	c := r.b[r.pos]
	r.pos++
	return c, true
}

func (r *reader) skip(n int) bool {
	if n < 0 || n > r.end-r.pos {
		return false
	}
	r.pos += n
	return true
}

// u32 decodes an unsigned LEB128 32-bit integer.
func (r *reader) u32() (uint32, bool) {
	// Fast path: one byte, the most common encoding by far.
	if r.pos < r.end {
		if c := r.b[r.pos]; c < 0x80 {
			r.pos++
			return uint32(c), true
		}
	}
	var v uint32
	for i := 0; i < 5; i++ {
		if r.pos >= r.end {
			return 0, false
		}
		c := r.b[r.pos]
		r.pos++
		if i == 4 && c&0xf0 != 0 { // continuation bit or bits past 32
			return 0, false
		}
		v |= uint32(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, true
		}
	}
	return 0, false
}

// signed skips a signed LEB128 integer of the given bit width (32, 33 or
// 64) and returns its value. Values of width 33 and 64 are returned as
// int64; width 64 values above the int64 range cannot occur.
func (r *reader) signed(bits uint) (int64, bool) {
	maxBytes := int((bits + 6) / 7)
	var v int64
	var shift uint
	for i := 0; i < maxBytes; i++ {
		if r.pos >= r.end {
			return 0, false
		}
		c := r.b[r.pos]
		r.pos++
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 != 0 {
			continue
		}
		if i == maxBytes-1 {
			// The bits of the last byte beyond the width must all equal
			// the sign bit.
			used := bits - 7*uint(maxBytes-1) // 4, 5 or 1 bits
			rest := (c & 0x7f) >> (used - 1)  // the sign bit and the unused bits
			if rest != 0 && rest != 0x7f>>(used-1) {
				return 0, false
			}
		}
		if shift < 64 && c&0x40 != 0 {
			v |= -1 << shift
		}
		return v, true
	}
	return 0, false
}

// count reads a vector length and refuses it as malformed when the vector
// could not fit in what is left of the enclosing section, given that each
// element takes at least minSize bytes. This is what keeps a 5-byte vector
// header from announcing four billion elements: wazero allocates a slice of
// the announced length before it reads the elements.
func (r *reader) count(minSize int) (int, bool) {
	n, ok := r.u32()
	if !ok || uint64(n)*uint64(minSize) > uint64(r.remaining()) {
		return 0, false
	}
	return int(n), true
}

// name reads a length-prefixed string. It is not checked to be UTF-8:
// wazero does that, and the string's content never changes a cost.
func (r *reader) name() bool {
	n, ok := r.u32()
	return ok && r.skip(int(n))
}
