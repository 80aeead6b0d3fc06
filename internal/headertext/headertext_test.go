package headertext

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestValue(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain text is unchanged", `deploy app "shop": route "/a" is taken`, `deploy app "shop": route "/a" is taken`},
		{"empty", "", ""},
		{"NUL and other control bytes are escaped", "a\x00b\x01c\x1b[31md\x7f", `a\x00b\x01c\x1b[31md\x7f`},
		{"line breaks and tabs become one space", "one\r\ntwo\n\n\tthree\rfour", "one two three four"},
		{"leading and trailing space is trimmed", " \t\n text \r\n", "text"},
		{"only space", " \r\n\t ", ""},
		{"backslash is escaped", `C:\dir\x00`, `C:\\dir\\x00`},
		{"non-ASCII is escaped", "été ☃ 😀", `\u00e9t\u00e9 \u2603 \U0001f600`},
		{"invalid UTF-8 becomes U+FFFD", "a\xffb\xc3", `a\ufffdb\ufffd`},
		{"Unicode spaces collapse too", "a\u00a0\u2028b\u0085c", "a b c"},
		{"bidirectional override is escaped", "a\u202eb", `a\u202eb`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Value(tc.in); got != tc.want {
				t.Errorf("Value(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestValueCapsItsLength(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want string // the end of the value
	}{
		{"exactly at the cap", strings.Repeat("x", MaxValueBytes), "xxx"},
		{"one byte over", strings.Repeat("x", MaxValueBytes+1), "xx" + truncated},
		{"long text", strings.Repeat("word ", 1000), " wor" + truncated},
		{"an escape is never split", strings.Repeat("x", MaxValueBytes-10) + strings.Repeat("\x00", 10), `\x00` + truncated},
		{"escaped to over the cap", strings.Repeat("é", 200), `\u00e9` + truncated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Value(tc.in)
			if len(v) > MaxValueBytes || !strings.HasSuffix(v, tc.want) {
				t.Errorf("Value = %d bytes ending %q; want at most %d ending %q", len(v), v[max(0, len(v)-20):], MaxValueBytes, tc.want)
			}
			if !validFieldValue(v) {
				t.Errorf("Value = %q is not a valid header value", v)
			}
			if d := Decode(v); strings.HasSuffix(v, truncated) && !strings.HasSuffix(d, "…") {
				t.Errorf("Decode(Value) = ...%q; want it to end with …", d[max(0, len(d)-20):])
			}
		})
	}
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain text", "route taken", "route taken"},
		{"non-ASCII comes back", `\u00e9t\u00e9 \u2603 \U0001f600`, "été ☃ 😀"},
		{"backslashes come back", `C:\\dir\\x00`, `C:\dir\x00`},
		{"control bytes stay escaped", `a\x00b\x1b[31m`, `a\x00b\x1b[31m`},
		{"invisible characters stay escaped", `a\u202eb\u0000c\u000a`, `a\u202eb\u0000c\u000a`},
		{"U+FFFD comes back", `a\ufffdb`, "a\ufffdb"},
		{"upper case hex", `\u00E9`, "é"},
		{"not an escape", `a\qb\u12\U0011ffff\`, `a\qb\u12\U0011ffff\`},
		{"raw control bytes from another server", "a\x00b\x1b", `a\x00b\x1b`},
		{"raw invalid UTF-8 from another server", "a\xffb", "a\ufffdb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Decode(tc.in); got != tc.want {
				t.Errorf("Decode(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"printable text is unchanged", `C:\dir: été ☃`, `C:\dir: été ☃`},
		{"line feeds and tabs are kept", "one\ntwo\tthree", "one\ntwo\tthree"},
		{"CR LF becomes LF", "one\r\ntwo", "one\ntwo"},
		{"a lone CR is escaped", "one\rtwo", `one\x0dtwo`},
		{"control bytes are escaped", "a\x00b\x1b[31mc\x7f", `a\x00b\x1b[31mc\x7f`},
		{"invisible characters are escaped", "a\u202eb\u2028c\u0085", `a\u202eb\u2028c\u0085`},
		{"invalid UTF-8 becomes U+FFFD", "a\xffb", "a\ufffdb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Text(tc.in); got != tc.want {
				t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// validFieldValue reports whether v is a field value every HTTP/1.1 and
// HTTP/2 implementation accepts and reads back unchanged (RFC 9110 5.5),
// and more: printable ASCII (VCHAR and SP) only, with no leading or
// trailing space (which parsers strip). golang.org/x/net/http/httpguts
// is not a dependency, so the bytes are checked here.
func validFieldValue(v string) bool {
	if strings.TrimSpace(v) != v {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

// readableText reports whether s is valid UTF-8 whose only control
// characters are line feeds and tabs.
func readableText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r != '\n' && r != '\t' && !unicode.IsGraphic(r) {
			return false
		}
	}
	return true
}
