package cgi

import (
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParseResponse(t *testing.T) {
	tests := []struct {
		name   string
		out    string
		status int
		header http.Header
		body   string
	}{{
		name:   "content_type_only",
		out:    "Content-Type: text/plain\n\nhello\n",
		status: 200,
		header: http.Header{"Content-Type": {"text/plain"}},
		body:   "hello\n",
	}, {
		name:   "crlf",
		out:    "Content-Type: text/html\r\nX-A: 1\r\n\r\n<p>hi</p>\r\n",
		status: 200,
		header: http.Header{"Content-Type": {"text/html"}, "X-A": {"1"}},
		body:   "<p>hi</p>\r\n",
	}, {
		name:   "mixed_line_ends",
		out:    "Content-Type: text/plain\r\nX-A: 1\n\r\nbody",
		status: 200,
		header: http.Header{"Content-Type": {"text/plain"}, "X-A": {"1"}},
		body:   "body",
	}, {
		name:   "status_with_reason",
		out:    "Status: 404 Not Found\nContent-Type: text/plain\n\nnope",
		status: 404,
		header: http.Header{"Content-Type": {"text/plain"}},
		body:   "nope",
	}, {
		name:   "status_without_reason_is_enough",
		out:    "Status: 204\n\n",
		status: 204,
		header: http.Header{},
	}, {
		name:   "status_999",
		out:    "Status: 999\n\n",
		status: 999,
		header: http.Header{},
	}, {
		name:   "location_means_302",
		out:    "Location: https://example.com/next\n\n",
		status: 302,
		header: http.Header{"Location": {"https://example.com/next"}},
	}, {
		name:   "location_with_status",
		out:    "Status: 301 Moved Permanently\nLocation: /new\n\n",
		status: 301,
		header: http.Header{"Location": {"/new"}},
	}, {
		name:   "names_canonicalized_blanks_trimmed",
		out:    "content-type:text/plain\nx-custom-thing: \t a b \t\nSET-COOKIE: a=1\nSet-Cookie: b=2\n\n",
		status: 200,
		header: http.Header{"Content-Type": {"text/plain"}, "X-Custom-Thing": {"a b"}, "Set-Cookie": {"a=1", "b=2"}},
	}, {
		name:   "empty_value_and_obs_text",
		out:    "Content-Type: text/plain\nX-Empty:\nX-Latin: caf\xe9\n\n",
		status: 200,
		header: http.Header{"Content-Type": {"text/plain"}, "X-Empty": {""}, "X-Latin": {"caf\xe9"}},
	}, {
		name: "guest_controlled_framing_dropped",
		out: "Content-Type: text/plain\nContent-Length: 99\nTransfer-Encoding: chunked\nConnection: close\n" +
			"Keep-Alive: timeout=5\nUpgrade: h2c\nTE: trailers\nTrailer: X-Sum\nProxy-Authenticate: Basic\nX-Kept: yes\n\nbody",
		status: 200,
		header: http.Header{"Content-Type": {"text/plain"}, "X-Kept": {"yes"}},
		body:   "body",
	}, {
		name:   "body_keeps_blank_lines_and_binary",
		out:    "Content-Type: application/octet-stream\n\n\n\x00\r\nStatus: 500\n",
		status: 200,
		header: http.Header{"Content-Type": {"application/octet-stream"}},
		body:   "\n\x00\r\nStatus: 500\n",
	}, {
		name:   "colon_in_value",
		out:    "Content-Type: text/plain\nX-Time: 12:30:00\n\n",
		status: 200,
		header: http.Header{"Content-Type": {"text/plain"}, "X-Time": {"12:30:00"}},
	}, {
		name:   "exactly_max_lines",
		out:    "Content-Type: text/plain\n" + strings.Repeat("X-A: 1\n", MaxHeaderLines-1) + "\nok",
		status: 200,
		header: http.Header{"Content-Type": {"text/plain"}, "X-A": slicesRepeat("1", MaxHeaderLines-1)},
		body:   "ok",
	}, {
		name:   "exactly_max_bytes",
		out:    headerOfSize(MaxHeaderBytes) + "ok",
		status: 200,
		header: http.Header{"Content-Type": {"text/plain"}, "X-Pad": {strings.Repeat("p", MaxHeaderBytes-len("Content-Type: text/plain\nX-Pad: \n\n"))}},
		body:   "ok",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := []byte(tt.out)
			resp, err := ParseResponse(out)
			if err != nil {
				t.Fatalf("ParseResponse: %v", err)
			}
			if resp.Status != tt.status {
				t.Errorf("Status = %d; want %d", resp.Status, tt.status)
			}
			if !reflect.DeepEqual(resp.Header, tt.header) {
				t.Errorf("Header = %q; want %q", resp.Header, tt.header)
			}
			if string(resp.Body) != tt.body {
				t.Errorf("Body = %q; want %q", resp.Body, tt.body)
			}
			if len(resp.Body) > 0 && &resp.Body[len(resp.Body)-1] != &out[len(out)-1] {
				t.Errorf("Body is a copy; want a sub-slice of the output")
			}
		})
	}
}

func TestParseResponseErrors(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want error
		msg  string // part of the message
	}{
		{"empty", "", ErrNoHeader, "wrote nothing"},
		{"json_without_header", "{\"a\":1}\n", ErrNoHeader, "print a header and a blank line first"},
		{"body_only", "hello world", ErrNoHeader, `line 1 "hello world" is not a header`},
		{"body_only_multiline", "<html>\n<body>\n", ErrNoHeader, "line 1"},
		{"blank_first_line", "\nhello", ErrNoHeader, "none of Content-Type, Location and Status"},
		{"no_required_header", "X-A: 1\n\nbody", ErrNoHeader, "none of Content-Type"},
		{"truncated_header", "Content-Type: text/plain\n", ErrNoHeader, "ended inside the header"},
		{"truncated_mid_line", "Content-Type: text/pl", ErrNoHeader, "ended inside the header"},
		{"single_newline_then_body_crlf", "Content-Type: text/plain\r\nbody", ErrBadHeader, `line 2 "body" has no ':'`},
		{"no_colon_later", "Content-Type: text/plain\nbroken line\n\n", ErrBadHeader, "line 2"},
		{"space_in_name", "Content-Type: text/plain\nX Foo: bar\n\n", ErrBadHeader, `the name contains ' '`},
		{"space_before_colon", "Content-Type : text/plain\n\n", ErrBadHeader, `line 1`},
		{"empty_name", ": value\n\n", ErrBadHeader, "no name"},
		{"continuation_line", "Content-Type: text/plain\nX-A: 1\n  more\n\n", ErrBadHeader, "continuation"},
		{"bare_cr_in_value", "Content-Type: text/plain\nX-A: a\rSet-Cookie: evil=1\n\n", ErrBadHeader, `control character '\r'`},
		{"nul_in_value", "Content-Type: text/plain\x00\n\n", ErrBadHeader, `'\x00'`},
		{"nul_in_name", "Content-Type: text/plain\nX-\x00: 1\n\n", ErrBadHeader, "line 2"},
		{"del_in_value", "Content-Type: text/plain\nX-A: \x7f\n\n", ErrBadHeader, `'\x7f'`},
		{"non_ascii_name", "Content-Type: text/plain\nX-Caf\xc3\xa9: 1\n\n", ErrBadHeader, "the name contains"},
		{"content_type_twice", "Content-Type: text/plain\nContent-Type: text/html\n\n", ErrBadHeader, "Content-Type given twice"},
		{"location_twice", "Location: /a\nLocation: /b\n\n", ErrBadHeader, "Location given twice"},
		{"location_empty", "Location: \n\n", ErrBadHeader, "Location is empty"},
		{"too_many_lines", "Content-Type: text/plain\n" + strings.Repeat("X-A: 1\n", MaxHeaderLines) + "\n", ErrBadHeader, "more than 100 header lines"},
		{"too_many_lines_no_end", strings.Repeat("X-A: 1\n", 10*MaxHeaderLines), ErrBadHeader, "more than 100 header lines"},
		{"too_large", headerOfSize(MaxHeaderBytes+1) + "ok", ErrBadHeader, "no blank line in the first 65536 bytes"},
		{"too_large_one_line", "Content-Type: " + strings.Repeat("x", MaxHeaderBytes) + "\n\n", ErrBadHeader, "no blank line in the first"},
		{"status_101", "Status: 101 Switching Protocols\nUpgrade: websocket\n\n", ErrBadStatus, "101 is not a final status"},
		{"status_100", "Status: 100\n\n", ErrBadStatus, "not a final status"},
		{"status_099", "Status: 099\n\n", ErrBadStatus, "not a final status"},
		{"status_1000", "Status: 1000\n\n", ErrBadStatus, `"1000" is not a three-digit code`},
		{"status_abc", "Status: abc\nContent-Type: text/plain\n\n", ErrBadStatus, `"abc"`},
		{"status_short", "Status: 20\n\n", ErrBadStatus, "three-digit"},
		{"status_empty", "Status:\n\n", ErrBadStatus, "three-digit"},
		{"status_signed", "Status: +20\n\n", ErrBadStatus, "three-digit"},
		{"status_reason_glued", "Status: 200OK\n\n", ErrBadStatus, "three-digit"},
		{"status_twice", "Status: 200\nStatus: 500\n\n", ErrBadStatus, "Status given twice"},
	}
	sentinels := []error{ErrNoHeader, ErrBadHeader, ErrBadStatus}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := ParseResponse([]byte(tt.out))
			if err == nil {
				t.Fatalf("ParseResponse = %d %q %q; want an error", resp.Status, resp.Header, resp.Body)
			}
			for _, s := range sentinels {
				if errors.Is(err, s) != (s == tt.want) {
					t.Errorf("errors.Is(%v, %v) = %v", err, s, !(s == tt.want))
				}
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
		})
	}
}

// headerOfSize returns a valid header block, blank line included, of
// exactly n bytes.
func headerOfSize(n int) string {
	const frame = "Content-Type: text/plain\nX-Pad: \n\n"
	return "Content-Type: text/plain\nX-Pad: " + strings.Repeat("p", n-len(frame)) + "\n\n"
}

func slicesRepeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestParseResponseStatusRange(t *testing.T) {
	for code := 0; code <= 999; code++ {
		out := []byte("Status: " + strconv.Itoa(code + 1000)[1:] + "\n\n")
		resp, err := ParseResponse(out)
		switch {
		case code < 200 && !errors.Is(err, ErrBadStatus):
			t.Errorf("Status %03d: err = %v; want ErrBadStatus", code, err)
		case code >= 200 && (err != nil || resp.Status != code):
			t.Errorf("Status %03d: got %d, %v; want %d", code, resp.Status, err, code)
		}
	}
}

func TestParseResponseContentLength(t *testing.T) {
	tests := []struct {
		name  string
		value string // "" : no Content-Length line
		want  int64
	}{
		{"absent", "", -1},
		{"zero", "0", 0},
		{"plain", "1234", 1234},
		{"blanks_trimmed", " \t42 ", 42},
		{"sign", "+5", -1},
		{"negative", "-5", -1},
		{"hex", "0x10", -1},
		{"list", "5, 5", -1},
		{"too_long", "1234567890123456789", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := "Content-Type: text/plain\n"
			if tt.value != "" {
				out += "Content-Length:" + tt.value + "\n"
			}
			resp, err := ParseResponse([]byte(out + "\nbody"))
			if err != nil {
				t.Fatalf("ParseResponse: %v", err)
			}
			if resp.ContentLength != tt.want {
				t.Errorf("ContentLength = %d; want %d", resp.ContentLength, tt.want)
			}
			if _, ok := resp.Header["Content-Length"]; ok {
				t.Errorf("Content-Length is in Header; the gateway frames the response")
			}
		})
	}
}

func TestHeaderEnd(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want int
	}{
		{"empty", "", -1},
		{"partial_line", "Content-Type: text/pl", -1},
		{"no_blank_line_yet", "Content-Type: text/plain\n", -1},
		{"lf", "Content-Type: text/plain\n\nbody", len("Content-Type: text/plain\n\n")},
		{"crlf", "Content-Type: text/plain\r\n\r\nbody", len("Content-Type: text/plain\r\n\r\n")},
		{"body_only_blank_line", "Status: 204\n\n", len("Status: 204\n\n")},
		{"over_max_bytes", headerOfSize(MaxHeaderBytes+1) + "x", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HeaderEnd([]byte(tt.out)); got != tt.want {
				t.Errorf("HeaderEnd = %d; want %d", got, tt.want)
			}
		})
	}
}
