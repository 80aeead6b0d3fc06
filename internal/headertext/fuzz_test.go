package headertext

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode"
)

// seeds are texts like those the node puts in headers: guest stderr,
// exit messages, store errors.
var seeds = []string{
	"",
	`deploy app "shop": route "/a" is already served by app "b"`,
	"pre-initialize reactor: _initialize: module trapped; its stderr ends with: booting\x00\x01\x1b[31m red\x1b[0m\r\nconfig \\ etc\t\xc3\xa9t\xc3\xa9 \xff\x7f missing",
	"line one\nline two\r\n\ttabbed",
	"a\u202eb\u2028c\u0085d\u00a0e",
	strings.Repeat("é\x00", 400),
	`\u00e9\\x00\`,
	"\xed\xa0\x80 surrogate \xf4\x90\x80\x80 beyond U+10FFFF",
}

// FuzzValue checks that whatever the text, Value gives a header value
// that is valid, bounded and reads back unchanged through a real
// net/http server and client, and that Decode makes it readable again,
// exactly as it was when the text was printable one-line text.
func FuzzValue(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Wisp-Error", Value(string(body)))
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer srv.Close()
	client := srv.Client()

	f.Fuzz(func(t *testing.T, s string) {
		v := Value(s)
		if len(v) > MaxValueBytes {
			t.Fatalf("Value is %d bytes, over MaxValueBytes %d", len(v), MaxValueBytes)
		}
		if !validFieldValue(v) {
			t.Fatalf("Value(%q) = %q is not a valid header value", s, v)
		}
		d := Decode(v)
		if !readableText(d) || strings.ContainsAny(d, "\n\t") {
			t.Fatalf("Decode(Value(%q)) = %q is not one line of readable text", s, d)
		}
		if oneLinePrintable(s) && len(v) < MaxValueBytes-len(truncated) && d != s {
			t.Fatalf("Decode(Value(%q)) = %q; want the text back", s, d)
		}

		resp, err := client.Post(srv.URL, "text/plain", strings.NewReader(s))
		if err != nil {
			t.Fatalf("the header %q broke the response: %v", v, err)
		}
		resp.Body.Close()
		if got := resp.Header.Values("Wisp-Error"); len(got) != 1 || got[0] != v {
			t.Fatalf("header sent as %q arrived as %q", v, got)
		}
	})
}

// FuzzDecode checks that Decode and Text make any text readable, even a
// header that did not come from Value, and that Text is idempotent.
func FuzzDecode(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
		f.Add(Value(s))
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d := Decode(s); !readableText(d) {
			t.Fatalf("Decode(%q) = %q is not readable text", s, d)
		}
		text := Text(s)
		if !readableText(text) {
			t.Fatalf("Text(%q) = %q is not readable text", s, text)
		}
		if again := Text(text); again != text {
			t.Fatalf("Text is not idempotent: %q, then %q", text, again)
		}
		if readableText(s) && !strings.Contains(s, "\r\n") && text != s {
			t.Fatalf("Text(%q) = %q changed readable text", s, text)
		}
	})
}

// oneLinePrintable reports whether Value keeps every character of s:
// valid UTF-8, printable, with single spaces only between words.
func oneLinePrintable(s string) bool {
	if !readableText(s) || strings.TrimSpace(s) != s || strings.Contains(s, "  ") {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) && r != ' ' {
			return false
		}
	}
	return true
}
