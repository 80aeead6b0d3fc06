package main

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWriteCGI(t *testing.T) {
	for _, tc := range []struct {
		name, out   string
		status      int
		contentType string
		body        string
		wantErr     string
	}{
		{"plain", "Content-Type: text/plain\n\nHello, world!\n", 200, "text/plain", "Hello, world!\n", ""},
		{"status and CRLF", "Status: 404 Not Found\r\nContent-Type: text/html\r\n\r\nnope", 404, "text/html", "nope", ""},
		{"empty body", "Status: 204\n\n", 204, "", "", ""},
		{"no blank line", "Content-Type: text/plain\nHello", 0, "", "", "no blank line"},
		{"no colon", "Content-Type text/plain\n\nx", 0, "", "", "has no ':'"},
		{"empty status", "Status:\n\n", 0, "", "", "bad Status"},
		{"informational status", "Status: 101\n\n", 0, "", "", "bad Status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			err := writeCGI(rec, []byte(tc.out))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("writeCGI = %v, want an error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rec.Code != tc.status || rec.Header().Get("Content-Type") != tc.contentType || rec.Body.String() != tc.body {
				t.Errorf("answered %d %q %q, want %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String(), tc.status, tc.contentType, tc.body)
			}
		})
	}
}
