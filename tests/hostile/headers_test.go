package hostile

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestGuestTextInHeaders deploys a reactor whose initialization writes
// NUL, other control bytes, a terminal escape and invalid UTF-8 to its
// stderr and fails. The deploy error carries that stderr; it must reach
// the user as readable text: the CLI prints its message (not a transport
// error), and the admin API's raw answer, read as curl reads it, is valid
// HTTP with a Wisp-Error header of printable ASCII only.
func TestGuestTextInHeaders(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node; run without -short")
	}
	s := startSuite(t)
	res := s.wisp(t, "deploy", fixture("reactor-initctl.wasm"), "--name", "ctl", "--route", "/ctl")
	if res.Code != 1 || !strings.Contains(res.Stderr, `its stderr ends with: booting\x00\x01\x1b[31m red`) {
		t.Fatalf("wisp deploy: exit %d, stderr %q; want exit 1 and the escaped stderr", res.Code, res.Stderr)
	}
	if strings.Contains(res.Stderr, "malformed") || strings.ContainsAny(res.Stderr, "\x00\x1b") {
		t.Fatalf("wisp deploy printed a transport error or raw control bytes: %q", res.Stderr)
	}
	module, err := os.ReadFile(fixture("reactor-initctl.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(module)
	spec := `{"module":"sha256:` + hex.EncodeToString(sum[:]) + `","routes":["/ctl"]}`
	for _, method := range []string{"PUT", "HEAD"} {
		t.Run(method, func(t *testing.T) {
			status, header := s.rawAdmin(t, method, "/v1/apps/ctl", spec)
			if method == "HEAD" {
				// Not deployed: the answer names the app, in the header too.
				if status != http.StatusNotFound || !strings.Contains(header, "ctl") {
					t.Fatalf("HEAD = %d, Wisp-Error %q", status, header)
				}
				return
			}
			if status != http.StatusBadRequest || !strings.Contains(header, `booting\x00\x01`) {
				t.Fatalf("PUT = %d, Wisp-Error %q; want 400 with the escaped stderr", status, header)
			}
			for i := 0; i < len(header); i++ {
				if c := header[i]; c < 0x20 || c > 0x7e {
					t.Fatalf("Wisp-Error has byte %#x at %d: %q", c, i, header)
				}
			}
		})
	}
	s.healthy(t)
}

// rawAdmin sends one admin request over a plain TCP connection and parses
// the answer strictly, as curl would; it returns the status and the
// Wisp-Error header.
func (s *suite) rawAdmin(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.n.Admin, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(requestTimeout))
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: wisp\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		method, path, s.n.Token, len(body), body)
	req, _ := http.NewRequest(method, path, nil)
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatalf("%s %s: the answer is not valid HTTP: %v", method, path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Wisp-Error")
}
