package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/client"
)

const testToken = "s3cret"

// newServer starts an httptest server with the given handlers, each a
// method and path pattern of http.ServeMux, and a Client of it.
func newServer(t *testing.T, routes map[string]http.HandlerFunc, opts ...client.Option) *client.Client {
	t.Helper()
	mux := http.NewServeMux()
	for pattern, h := range routes {
		mux.HandleFunc(pattern, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return client.New(srv.URL, testToken, opts...)
}

// writeJSON answers v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers an API error body.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"error": msg, "code": code})
}

func TestAPIErrorMapping(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantCode string
		wantMsg  string
		wantIs   error
	}{
		{"not found", 404, `{"error":"app \"x\" not found","code":"not_found"}`, "not_found", `app "x" not found`, wisp.ErrNotFound},
		{"conflict", 409, `{"error":"route /a is taken by app \"b\"","code":"conflict"}`, "conflict", `route /a is taken by app "b"`, wisp.ErrConflict},
		{"invalid 400", 400, `{"error":"bad name","code":"invalid"}`, "invalid", "bad name", wisp.ErrInvalid},
		{"invalid module 422", 422, `{"error":"module imports env.foo","code":"invalid"}`, "invalid", "module imports env.foo", wisp.ErrInvalid},
		{"too large", 413, `{"error":"module is over 64MiB","code":"too_large"}`, "too_large", "module is over 64MiB", wisp.ErrTooLarge},
		{"unauthorized", 401, `{"error":"missing or wrong bearer token","code":"unauthorized"}`, "unauthorized", "missing or wrong bearer token", client.ErrUnauthorized},
		{"unavailable", 503, `{"error":"node is shutting down","code":"unavailable"}`, "unavailable", "node is shutting down", client.ErrUnavailable},
		{"internal", 500, `{"error":"disk full","code":"internal"}`, "internal", "disk full", nil},
		{"proxy page", 502, "<html>\n<h1>Bad Gateway</h1>\n</html>", "internal", "the admin API answered 502 Bad Gateway: <html>", nil},
		{"proxy 404", 404, "", "not_admin_api", "URL does not look like a Wisp admin API (it answered 404 to /v1/apps/x without a JSON error): is it the gateway? The admin API listens on wisp serve --admin-listen (default 127.0.0.1:8081)", client.ErrNotAdminAPI},
		{"gateway 404", 404, "no app serves /v1/apps/x on this node\n", "not_admin_api", "URL does not look like a Wisp admin API (it answered 404 to /v1/apps/x without a JSON error): is it the gateway? The admin API listens on wisp serve --admin-listen (default 127.0.0.1:8081)", client.ErrNotAdminAPI},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newServer(t, map[string]http.HandlerFunc{
				"GET /v1/apps/{name}": func(w http.ResponseWriter, r *http.Request) {
					w.WriteHeader(tt.status)
					io.WriteString(w, tt.body)
				},
			})
			_, err := c.App(t.Context(), "x")
			var apiErr *client.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("App() error = %v (%T), want *client.APIError", err, err)
			}
			wantMsg := strings.ReplaceAll(tt.wantMsg, "URL", c.BaseURL())
			if apiErr.Status != tt.status || apiErr.Code != tt.wantCode || err.Error() != wantMsg {
				t.Errorf("error = {%d %q %q}, want {%d %q %q}", apiErr.Status, apiErr.Code, err.Error(), tt.status, tt.wantCode, wantMsg)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(err, %v) = false, want true", tt.wantIs)
			}
			for _, other := range []error{wisp.ErrNotFound, wisp.ErrConflict, wisp.ErrInvalid, wisp.ErrTooLarge, client.ErrUnauthorized, client.ErrNotAdminAPI} {
				if other != tt.wantIs && errors.Is(err, other) {
					t.Errorf("errors.Is(err, %v) = true, want false", other)
				}
			}
		})
	}
}

func TestTokenIsSentToV1Only(t *testing.T) {
	var v1Auth, healthAuth string
	c := newServer(t, map[string]http.HandlerFunc{
		"GET /v1/node": func(w http.ResponseWriter, r *http.Request) {
			v1Auth = r.Header.Get("Authorization")
			writeJSON(w, 200, client.NodeInfo{Version: "v1.0.0", Go: "go1.26", Runtime: "wazero v1.12.0", Apps: 2, Ready: true})
		},
		"GET /healthz": func(w http.ResponseWriter, r *http.Request) {
			healthAuth = r.Header.Get("Authorization")
			writeJSON(w, 200, map[string]string{"status": "ok"})
		},
	})
	info, err := c.Node(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := (client.NodeInfo{Version: "v1.0.0", Go: "go1.26", Runtime: "wazero v1.12.0", Apps: 2, Ready: true}); info != want {
		t.Errorf("Node() = %+v, want %+v", info, want)
	}
	if err := c.Health(t.Context()); err != nil {
		t.Fatal(err)
	}
	if v1Auth != "Bearer "+testToken {
		t.Errorf("/v1/node Authorization = %q, want %q", v1Auth, "Bearer "+testToken)
	}
	if healthAuth != "" {
		t.Errorf("/healthz Authorization = %q, want none", healthAuth)
	}
}

func TestNewNormalizesBaseURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:8081", "http://127.0.0.1:8081"},
		{"127.0.0.1:8081", "http://127.0.0.1:8081"},
		{"https://wisp.example.com/admin/", "https://wisp.example.com/admin"},
		{" localhost:9000 ", "http://localhost:9000"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := client.New(tt.in, "").BaseURL(); got != tt.want {
				t.Errorf("BaseURL() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there any more

	_, err = client.New(addr, testToken).Apps(t.Context())
	if !errors.Is(err, client.ErrUnreachable) {
		t.Fatalf("Apps() error = %v, want one matching ErrUnreachable", err)
	}
	for _, want := range []string{"cannot reach the Wisp admin API at " + addr, "is `wisp serve` running? set --admin or WISP_ADMIN", "connection refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestRequestTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	c := newServer(t, map[string]http.HandlerFunc{
		"GET /v1/apps": func(w http.ResponseWriter, r *http.Request) {
			select { // never answers in time
			case <-r.Context().Done():
			case <-release:
			}
		},
	}, client.WithRequestTimeout(50*time.Millisecond))
	_, err := c.Apps(t.Context())
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "did not answer within 50ms") {
		t.Fatalf("Apps() error = %v, want a deadline error saying it did not answer within 50ms", err)
	}
}

func TestReady(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   client.Readiness
	}{
		{"ready", 200, `{"ready":true}`, client.Readiness{Ready: true}},
		{"pending", 503, `{"ready":false,"pending":["shop","blog"]}`, client.Readiness{Pending: []string{"shop", "blog"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newServer(t, map[string]http.HandlerFunc{
				"GET /readyz": func(w http.ResponseWriter, r *http.Request) {
					w.WriteHeader(tt.status)
					io.WriteString(w, tt.body)
				},
			})
			got, err := c.Ready(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if got.Ready != tt.want.Ready || strings.Join(got.Pending, ",") != strings.Join(tt.want.Pending, ",") {
				t.Errorf("Ready() = %+v, want %+v", got, tt.want)
			}
		})
	}
}
