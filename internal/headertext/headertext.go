// Package headertext makes text the node does not control (a guest's
// stderr, exit messages, store and registry errors) safe to send: as an
// HTTP header value (Value, and Decode on the other side) and as a
// message printed to a terminal (Text).
//
// A header value from Value is printable ASCII only, one line, at most
// MaxValueBytes long, and reads back the same through any HTTP parser:
//
//   - bytes that are not valid UTF-8 become U+FFFD;
//   - each run of white space (space, tab, CR, LF, and the Unicode spaces)
//     becomes one space, and the value is trimmed, as the old one-line
//     form of messages was; so CR and LF never reach a header;
//   - a backslash becomes `\\`;
//   - other ASCII control bytes (NUL, ESC, DEL...) become `\xNN`;
//   - every non-ASCII character becomes `\uXXXX` (`\UXXXXXXXX` beyond
//     U+FFFF), so proxies and clients that read header bytes as Latin-1
//     see nothing they could mangle;
//   - a longer value is cut, between escapes, and ends with `\u2026` ("…").
//
// Decode turns such a value back into readable text: the printable
// characters come back as they were, while control characters (and other
// invisible ones, such as bidirectional overrides) stay visible as their
// escapes. Text makes a message readable on a terminal without going
// through a header: it keeps line feeds and tabs and escapes the rest the
// same way.
package headertext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxValueBytes caps the length of a header value from Value, marker
// included.
const MaxValueBytes = 1024

// truncated ends a value Value cut short: "…", escaped.
const truncated = `\u2026`

const hexDigits = "0123456789abcdef"

// Value returns s as a header value: printable ASCII, one line, at most
// MaxValueBytes, escaped as the package documentation describes. Decode
// reads it back.
func Value(s string) string {
	out := make([]byte, 0, min(len(s)+len(s)/8, MaxValueBytes))
	cut := 0 // len(out) at the last escape boundary that leaves room for the marker
	space := false
	var tok [12]byte
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if unicode.IsSpace(r) {
			space = len(out) > 0
			continue
		}
		t := tok[:0]
		if space {
			t = append(t, ' ')
			space = false
		}
		t = appendEscaped(t, r)
		if len(out)+len(t) > MaxValueBytes {
			return string(out[:cut]) + truncated
		}
		out = append(out, t...)
		if len(out) <= MaxValueBytes-len(truncated) {
			cut = len(out)
		}
	}
	return string(out)
}

// appendEscaped appends r as it appears in a value from Value.
func appendEscaped(dst []byte, r rune) []byte {
	switch {
	case r == '\\':
		return append(dst, '\\', '\\')
	case r >= 0x20 && r < 0x7f:
		return append(dst, byte(r))
	case r < 0x80:
		return append(dst, '\\', 'x', hexDigits[r>>4], hexDigits[r&0xf])
	case r <= 0xffff:
		return appendHex(append(dst, '\\', 'u'), r, 4)
	default:
		return appendHex(append(dst, '\\', 'U'), r, 8)
	}
}

// appendHex appends r as n lower case hex digits.
func appendHex(dst []byte, r rune, n int) []byte {
	for shift := 4 * (n - 1); shift >= 0; shift -= 4 {
		dst = append(dst, hexDigits[(r>>shift)&0xf])
	}
	return dst
}

// Decode returns the readable text of a header value from Value:
// `\\`, `\uXXXX` and `\UXXXXXXXX` are undone for printable characters;
// `\xNN` and the escapes of invisible characters are kept as they are,
// so the result shows where control bytes were without containing any.
// A value that did not come from Value (another server's) is made
// readable with Text.
func Decode(v string) string {
	if !strings.Contains(v, `\`) {
		return Text(v)
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); {
		if v[i] != '\\' || i+1 == len(v) {
			b.WriteByte(v[i])
			i++
			continue
		}
		switch v[i+1] {
		case '\\':
			b.WriteByte('\\')
			i += 2
			continue
		case 'u', 'U':
			n := 4
			if v[i+1] == 'U' {
				n = 8
			}
			if r, ok := parseHex(v[i+2:], n); ok && unicode.IsGraphic(r) {
				b.WriteRune(r)
				i += 2 + n
				continue
			}
		}
		// `\xNN`, an invisible character, or not an escape at all: as is.
		b.WriteByte('\\')
		i++
	}
	return Text(b.String())
}

// parseHex parses the first n bytes of s as a hex number, a valid rune.
func parseHex(s string, n int) (rune, bool) {
	if len(s) < n {
		return 0, false
	}
	var r rune
	for i := range n {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, utf8.ValidRune(r)
}

// Text returns s readable on a terminal: valid UTF-8 (invalid bytes
// become U+FFFD), line feeds and tabs kept (CR LF becomes LF), and every
// other control or invisible character escaped as `\xNN` (ASCII) or
// `\uXXXX`, so no escape sequence reaches the terminal. Printable text,
// backslashes included, is returned unchanged.
func Text(s string) string {
	if readable(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	var tok [12]byte
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\r' && strings.HasPrefix(s[i+size:], "\n"):
			// CR LF: the LF is written next.
		case keep(r):
			b.WriteString(s[i : i+size])
		default:
			b.Write(appendEscaped(tok[:0], r))
		}
		i += size
	}
	return b.String()
}

// readable reports whether Text would return s unchanged.
func readable(s string) bool {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return false
			}
		}
		if !keep(r) {
			return false
		}
	}
	return true
}

// keep reports whether Text writes r as it is.
func keep(r rune) bool {
	return r == '\n' || r == '\t' || unicode.IsGraphic(r)
}
