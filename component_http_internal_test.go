package wisp

import (
	"strings"
	"testing"
)

// The guest's response becomes a CGI header block the gateway parses:
// its status, its headers but framing and hop-by-hop ones, then the body;
// a status that is not final becomes a 500 with an error.
func TestCGIResponse(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		headers [][2]string
		body    string
		want    string
		wantErr string
	}{
		{"status and headers", 201, [][2]string{{"content-type", "text/plain"}, {"x-b", "2"}, {"x-a", "1"}, {"x-a", "3"}}, "hi",
			"Status: 201\nContent-Type: text/plain\nX-A: 1\nX-A: 3\nX-B: 2\n\nhi", ""},
		{"framing headers dropped", 200, [][2]string{{"content-length", "5"}, {"transfer-encoding", "chunked"}, {"connection", "close"}, {"status", "404"}}, "",
			"Status: 200\n\n", ""},
		{"an informational status", 101, nil, "", "Status: 500\n\n", "status 101"},
		{"a body first", 0, nil, "x", "Status: 200\n\nx", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			w := &cgiResponse{out: &out, h: map[string][]string{}}
			for _, h := range tc.headers {
				w.Header().Add(h[0], h[1])
			}
			if tc.status != 0 {
				w.WriteHeader(tc.status)
			}
			if tc.body != "" {
				w.Write([]byte(tc.body))
			}
			if out.String() != tc.want {
				t.Errorf("wrote %q, want %q", out.String(), tc.want)
			}
			if (w.err == nil) != (tc.wantErr == "") || (w.err != nil && !strings.Contains(w.err.Error(), tc.wantErr)) {
				t.Errorf("err = %v, want %q", w.err, tc.wantErr)
			}
		})
	}
}
