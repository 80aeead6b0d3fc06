package canon

import (
	"encoding/binary"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// utf16Tag is the top bit of a latin1+utf16 string's length: set, the
// string is UTF-16; clear, it is latin1.
const utf16Tag = 1 << 31

// liftString decodes the string at ptr whose length in code units is
// taggedUnits, in the context's encoding, trapping on a bad range or an
// invalid encoding.
func (cx *Context) liftString(ptr, taggedUnits uint32) (string, error) {
	enc := cx.Encoding
	var byteLen uint64
	align := uint32(2)
	switch {
	case enc == UTF8:
		byteLen, align = uint64(taggedUnits), 1
	case enc == UTF16:
		byteLen = 2 * uint64(taggedUnits)
	case enc == Latin1UTF16 && taggedUnits&utf16Tag != 0:
		byteLen, enc = 2*uint64(taggedUnits^utf16Tag), UTF16
	case enc == Latin1UTF16:
		byteLen = uint64(taggedUnits)
	default:
		return "", trapf("string encoding %d is not one of utf8, utf16, latin1+utf16", enc)
	}
	if byteLen > MaxStringByteLength {
		return "", trapf("string of %d bytes is longer than the limit of %d bytes", byteLen, MaxStringByteLength)
	}
	if err := cx.checkRange(ptr, byteLen, align, "string"); err != nil {
		return "", err
	}
	if err := cx.charge(byteLen, "a string"); err != nil {
		return "", err
	}
	b, err := cx.read(ptr, uint32(byteLen), "string")
	if err != nil {
		return "", err
	}
	switch enc {
	case UTF8:
		if !utf8.Valid(b) {
			return "", trapf("string at %#x is not valid UTF-8", ptr)
		}
		return string(b), nil
	case UTF16:
		return decodeUTF16(b, ptr)
	}
	return decodeLatin1(b), nil
}

func decodeUTF16(b []byte, ptr uint32) (string, error) {
	var sb strings.Builder
	sb.Grow(len(b) / 2)
	for i := 0; i+1 < len(b); i += 2 {
		u := rune(binary.LittleEndian.Uint16(b[i:]))
		switch {
		case u < 0xD800 || u > 0xDFFF:
			sb.WriteRune(u)
		case u <= 0xDBFF && i+3 < len(b):
			u2 := rune(binary.LittleEndian.Uint16(b[i+2:]))
			if u2 < 0xDC00 || u2 > 0xDFFF {
				return "", trapf("string at %#x is not valid UTF-16: unpaired surrogate %#x at byte %d", ptr, u, i)
			}
			sb.WriteRune(utf16.DecodeRune(u, u2))
			i += 2
		default:
			return "", trapf("string at %#x is not valid UTF-16: unpaired surrogate %#x at byte %d", ptr, u, i)
		}
	}
	return sb.String(), nil
}

func decodeLatin1(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

// lowerString copies s into guest memory allocated with realloc, in the
// context's encoding, following the spec's allocation sequence for a UTF-8
// source: it returns the pointer and the (tagged) length in code units.
func (cx *Context) lowerString(s string) (uint32, uint32, error) {
	if !utf8.ValidString(s) {
		return 0, 0, trapf("the host passed a string that is not valid UTF-8")
	}
	if uint64(len(s)) > MaxStringByteLength {
		return 0, 0, trapf("string of %d bytes is longer than the limit of %d bytes", len(s), MaxStringByteLength)
	}
	n := uint32(len(s))
	switch cx.Encoding {
	case UTF8:
		ptr, err := cx.realloc(0, 0, 1, n, "a string")
		if err != nil {
			return 0, 0, err
		}
		// Memory.Write neither modifies nor keeps its argument: the
		// string's own bytes, not a copy.
		return ptr, n, cx.write(ptr, unsafe.Slice(unsafe.StringData(s), len(s)), "string")
	case UTF16:
		return cx.lowerUTF16(s)
	case Latin1UTF16:
		return cx.lowerLatin1OrUTF16(s)
	}
	return 0, 0, trapf("string encoding %d is not one of utf8, utf16, latin1+utf16", cx.Encoding)
}

func encodeUTF16(s string) []byte {
	out := make([]byte, 0, 2*len(s))
	for _, r := range s {
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			out = binary.LittleEndian.AppendUint16(out, uint16(r1))
			out = binary.LittleEndian.AppendUint16(out, uint16(r2))
			continue
		}
		out = binary.LittleEndian.AppendUint16(out, uint16(r))
	}
	return out
}

// lowerUTF16 is the spec's store_utf8_to_utf16: allocate the worst case
// (two bytes per UTF-8 byte), then shrink.
func (cx *Context) lowerUTF16(s string) (uint32, uint32, error) {
	worst := 2 * uint32(len(s))
	ptr, err := cx.realloc(0, 0, 2, worst, "a string")
	if err != nil {
		return 0, 0, err
	}
	enc := encodeUTF16(s)
	if err := cx.write(ptr, enc, "string"); err != nil {
		return 0, 0, err
	}
	if uint32(len(enc)) < worst {
		if ptr, err = cx.realloc(ptr, worst, 2, uint32(len(enc)), "a string"); err != nil {
			return 0, 0, err
		}
	}
	return ptr, uint32(len(enc) / 2), nil
}

// lowerLatin1OrUTF16 is the spec's store_string_to_latin1_or_utf16:
// allocate one byte per source byte and write latin1; at the first code
// point above 0xff, grow to the UTF-16 worst case and write UTF-16; shrink
// to fit.
func (cx *Context) lowerLatin1OrUTF16(s string) (uint32, uint32, error) {
	n := uint32(len(s))
	ptr, err := cx.realloc(0, 0, 2, n, "a string")
	if err != nil {
		return 0, 0, err
	}
	latin := make([]byte, 0, len(s))
	for _, r := range s {
		if r < 0x100 {
			latin = append(latin, byte(r))
			continue
		}
		worst := 2 * n
		if ptr, err = cx.realloc(ptr, n, 2, worst, "a string"); err != nil {
			return 0, 0, err
		}
		enc := encodeUTF16(s)
		if err := cx.write(ptr, enc, "string"); err != nil {
			return 0, 0, err
		}
		if uint32(len(enc)) < worst {
			if ptr, err = cx.realloc(ptr, worst, 2, uint32(len(enc)), "a string"); err != nil {
				return 0, 0, err
			}
		}
		return ptr, uint32(len(enc)/2) | utf16Tag, nil
	}
	if err := cx.write(ptr, latin, "string"); err != nil {
		return 0, 0, err
	}
	if uint32(len(latin)) < n {
		if ptr, err = cx.realloc(ptr, n, 2, uint32(len(latin)), "a string"); err != nil {
			return 0, 0, err
		}
	}
	return ptr, uint32(len(latin)), nil
}
