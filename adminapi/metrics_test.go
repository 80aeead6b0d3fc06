package adminapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/adminapi"
	"github.com/wisphq/wisp/memstore"
)

// TestMetricsEndpoint checks that Config.Metrics is served at GET /metrics
// behind the token, and that without it there is no such endpoint.
func TestMetricsEndpoint(t *testing.T) {
	node, err := wisp.New(wisp.Config{Store: memstore.New()})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close(context.Background())
	exposition := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "wisp_up 1\n")
	})
	withMetrics := httptest.NewServer(adminapi.New(adminapi.Config{Node: node, Token: token, Metrics: exposition}))
	defer withMetrics.Close()
	without := httptest.NewServer(adminapi.New(adminapi.Config{Node: node, Token: token}))
	defer without.Close()
	for _, tc := range []struct {
		name   string
		srv    *httptest.Server
		method string
		token  string
		status int
		body   string
	}{
		{"served with the token", withMetrics, "GET", token, 200, "wisp_up 1\n"},
		{"refused without it", withMetrics, "GET", "", 401, ""},
		{"refused with a wrong one", withMetrics, "GET", "wrong", 401, ""},
		{"GET only: the API's 404 for other methods", withMetrics, "POST", token, 404, ""},
		{"absent without Config.Metrics", without, "GET", token, 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, tc.srv, tc.method, "/metrics", tc.token, nil)
			if a.status != tc.status || tc.body != "" && a.body != tc.body {
				t.Fatalf("%s /metrics: %d %q, want %d %q", tc.method, a.status, a.body, tc.status, tc.body)
			}
		})
	}
}
