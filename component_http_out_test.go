package wisp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/gateway"
)

// TestComponentOutgoingThroughEgress deploys testdata/components/extra/fetch.wasm
// (wasi:http/outgoing-handler called from WAT, src/fetch.wat) allowed to
// reach one loopback upstream: a request there gets the upstream's status;
// one to another loopback port, outside allowed_outbound_hosts, gets
// error-code.HTTP-request-denied (15), with the egress refusal's message
// in the app's log; and a first-byte-timeout of 200 ms against an
// upstream that answers late gets connection-read-timeout (09).
func TestComponentOutgoingThroughEgress(t *testing.T) {
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-r.Context().Done():
			case <-release:
			case <-time.After(10 * time.Second):
			}
		}
		w.WriteHeader(203)
	}))
	defer up.Close()
	defer close(release)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the refused request reached the other server: %s", r.URL)
	}))
	defer other.Close()

	n := newNode(t)
	ctx := context.Background()
	if _, err := n.Deploy(ctx, wisp.AppSpec{Name: "fetch", Module: uploadFile(t, n, "testdata/components/extra/fetch.wasm"),
		Routes: routes(t, "/fetch"), AllowedOutboundHosts: []string{up.URL}}); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	srv := httptest.NewServer(gateway.New(n, nil))
	defer srv.Close()
	get := func(query string) string {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL + "/fetch?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d: %s", query, resp.StatusCode, b)
		}
		return string(b)
	}
	upHost := strings.TrimPrefix(up.URL, "http://")
	otherHost := strings.TrimPrefix(other.URL, "http://")
	for _, tc := range []struct{ name, query, want string }{
		{"allowed", upHost, "handle: ok\nget: status 203\n"},
		{"denied", otherHost, "handle: ok\nget: error-code 15\n"},
		{"first byte timeout", upHost + "&slow", "handle: ok\nget: error-code 09\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			if got := get(tc.query); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
	entries, _, _ := n.Logs("fetch", 0, 0)
	var log strings.Builder
	for _, e := range entries {
		log.WriteString(e.Message + "\n")
	}
	if !strings.Contains(log.String(), "denied: ") || !strings.Contains(log.String(), "allowed_outbound_hosts") || !strings.Contains(log.String(), otherHost) {
		t.Errorf("the app's log does not carry the refusal naming %s and allowed_outbound_hosts:\n%s", otherHost, log.String())
	}
}
