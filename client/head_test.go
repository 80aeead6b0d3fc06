package client_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wisphq/wisp/client"
)

// A HEAD answer has no body, so the admin API repeats its error in
// headers, and the client reports that message rather than the status.
func TestHeadErrorComesFromHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Wisp-Error", "natsstore: stat blob: unavailable: NATS did not answer in time")
		w.Header().Set("Wisp-Error-Code", "store_unavailable")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	_, err := client.New(srv.URL, "t").HasBlob(t.Context(), "sha256:0000000000000000000000000000000000000000000000000000000000000000")
	if err == nil || err.Error() != "natsstore: stat blob: unavailable: NATS did not answer in time" {
		t.Fatalf("HasBlob = %v; want the message of the Wisp-Error header", err)
	}
	if !errors.Is(err, client.ErrUnavailable) {
		t.Errorf("error %v does not match client.ErrUnavailable", err)
	}
}

// Messages carry text the node does not control. The client decodes the
// escaped Wisp-Error header back into readable text, and never hands the
// CLI a control byte, whichever way the message came.
func TestErrorMessagesAreReadable(t *testing.T) {
	const digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	for _, tc := range []struct {
		name   string
		method string // "HEAD": HasBlob; otherwise PutBlob
		header string // Wisp-Error
		body   string
		want   string
	}{
		{"escaped header", "HEAD", `stderr: booting\x00\x1b[31m \u00e9t\u00e9 C:\\dir \ufffd\u2026`, "",
			`stderr: booting\x00\x1b[31m été C:\dir ` + "\ufffd…"},
		{"raw bytes of another server's header", "HEAD", "a\xffb \xc3\xa9", "", "a\ufffdb é"},
		{"control bytes in the JSON body", "POST", "", `{"error":"init failed:\u0000\u001b[31m\r\nline two\ttab \u202e","code":"invalid"}`,
			"init failed:\\x00\\x1b[31m\nline two\ttab \\u202e"},
		{"control bytes in a body that is not the API's", "POST", "", "oops\x1b]0;pwned\x07 here\n",
			"the admin API answered 502 Bad Gateway: oops\\x1b]0;pwned\\x07 here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.header != "" {
					w.Header()["Wisp-Error"] = []string{tc.header}
					w.Header().Set("Wisp-Error-Code", "invalid")
					w.WriteHeader(http.StatusBadRequest)
					return
				}
				w.WriteHeader(http.StatusBadGateway)
				fmt.Fprint(w, tc.body)
			}))
			defer srv.Close()
			c := client.New(srv.URL, "t")
			var err error
			if tc.method == "HEAD" {
				_, err = c.HasBlob(t.Context(), digest)
			} else {
				_, err = c.PutBlob(t.Context(), nil, 0, "")
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v\nwant   %s", err, tc.want)
			}
		})
	}
}
