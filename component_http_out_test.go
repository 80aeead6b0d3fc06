package wisp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/gateway"
	"github.com/wisphq/wisp/memstore"
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

// TestComponentKeyValueDraft2 deploys testdata/components/extra/kv2.wasm
// (wasi:keyvalue@0.2.0-draft2 called from WAT, src/kv2.wat) with a store:
// its signed increment counts across requests, its cas swap sets a key,
// and get-many reads it back beside an absent one, on the node's KV.
func TestComponentKeyValueDraft2(t *testing.T) {
	n, err := wisp.New(wisp.Config{Store: memstore.New(), KV: memstore.NewKV()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := n.Load(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	spec := wisp.AppSpec{Name: "kv2", Module: uploadFile(t, n, "testdata/components/extra/kv2.wasm"), Routes: routes(t, "/kv2")}
	if _, err := n.Deploy(ctx, spec); err == nil || !strings.Contains(err.Error(), "declares no key-value store") {
		t.Fatalf("deploy without a store: err = %v, want the refusal naming key_value_stores", err)
	}
	spec.KeyValueStores = []string{"default"}
	if _, err := n.Deploy(ctx, spec); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	srv := httptest.NewServer(gateway.New(n, nil))
	defer srv.Close()
	for i := 1; i <= 2; i++ {
		resp, err := srv.Client().Get(srv.URL + "/kv2")
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("open: ok\nincrement: %d\nswap: ok\nget-many: word=hello nope=none\n", i)
		if resp.StatusCode != 200 || string(b) != want {
			t.Errorf("request %d: status %d\n%s\nwant\n%s", i, resp.StatusCode, b, want)
		}
	}
}
