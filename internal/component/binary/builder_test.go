package binary

// Helpers that assemble component binaries for tests, byte by byte. They
// check nothing, so tests build malformed components with them too.

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

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// comp is a component preamble followed by sections.
func comp(sections ...[]byte) []byte {
	return cat(append([][]byte{{0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00}}, sections...)...)
}

// sec is a section with id and its content, size computed.
func sec(id byte, content ...[]byte) []byte {
	c := cat(content...)
	return cat([]byte{id}, uleb(uint64(len(c))), c)
}

// vecOf is a vector: its count and its items.
func vecOf(items ...[]byte) []byte {
	return cat(append([][]byte{uleb(uint64(len(items)))}, items...)...)
}

// str is a length-prefixed name.
func str(s string) []byte { return cat(uleb(uint64(len(s))), []byte(s)) }

// ename is an extern name (nameattributes 0x00).
func ename(s string) []byte { return cat([]byte{0x00}, str(s)) }

// b is a byte slice literal.
func b(bs ...byte) []byte { return bs }

// coreModule is the smallest core module: its preamble.
var coreModule = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

// Component type and instance type helpers.
func instType(decls ...[]byte) []byte { return cat(b(0x42), vecOf(decls...)) }
func compType(decls ...[]byte) []byte { return cat(b(0x41), vecOf(decls...)) }
