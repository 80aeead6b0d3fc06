package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/gateway"
	"github.com/wisphq/wisp/memstore"
)

// newGateway returns a test server for a node with one app per
// "name=fixture.wasm:route" entry, fixtures from testdata/wasm.
func newGateway(t testing.TB, limits wisp.Limits, apps ...string) (*httptest.Server, *wisp.Node) {
	t.Helper()
	for i, a := range apps {
		name, rest, _ := strings.Cut(a, "=")
		apps[i] = name + "=" + filepath.Join("..", "testdata", "wasm", rest)
	}
	return newGatewayWithModules(t, limits, apps...)
}

// newGatewayWithModules is newGateway with module paths relative to this
// package.
func newGatewayWithModules(t testing.TB, limits wisp.Limits, apps ...string) (*httptest.Server, *wisp.Node) {
	t.Helper()
	node, err := wisp.New(wisp.Config{Store: memstore.New()})
	if err != nil {
		t.Fatal(err)
	}
	return serveApps(t, node, limits, apps...), node
}

// serveApps deploys apps ("name=path.wasm:route") on node and serves them
// through a Gateway; the node is closed with the server.
func serveApps(t testing.TB, node *wisp.Node, limits wisp.Limits, apps ...string) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	if err := node.Load(ctx); err != nil {
		t.Fatal(err)
	}
	for _, a := range apps {
		name, rest, _ := strings.Cut(a, "=")
		file, route, _ := strings.Cut(rest, ":")
		wasm, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		blob, err := node.PutBlob(ctx, bytes.NewReader(wasm))
		if err != nil {
			t.Fatal(err)
		}
		r, err := wisp.ParseRoute(route)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := node.Deploy(ctx, wisp.AppSpec{Name: name, Module: blob.Digest, Routes: []wisp.Route{r}, Limits: limits, Env: map[string]string{"APP_SETTING": "on"}}); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(gateway.New(node, nil))
	t.Cleanup(func() {
		srv.Close()
		node.Close(ctx)
	})
	return srv
}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestRequestBecomesCGIInput(t *testing.T) {
	srv, _ := newGateway(t, wisp.Limits{}, "env=printenv.wasm:/api/...")
	req, _ := http.NewRequest("POST", srv.URL+"/api/users/7?x=1&y=a%20b", strings.NewReader("hello body"))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("X-Custom", "yes")
	req.Header.Set("Proxy", "http://evil.example")
	resp, body := do(t, req)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	for _, want := range []string{
		"REQUEST_METHOD=POST",
		"SCRIPT_NAME=/api",
		"PATH_INFO=/users/7",
		"QUERY_STRING=x=1&y=a%20b",
		"CONTENT_TYPE=text/plain",
		"CONTENT_LENGTH=10",
		"HTTP_X_CUSTOM=yes",
		"X_MATCHED_ROUTE=/api/...",
		"GATEWAY_INTERFACE=CGI/1.1",
		"APP_SETTING=on",
		"argv[1]=x=1",
		"argv[2]=y=a%20b",
		"stdin=hello body",
	} {
		if !strings.Contains(body+"\n", want+"\n") {
			t.Errorf("guest did not see %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "HTTP_PROXY") {
		t.Errorf("the Proxy header reached the guest (httpoxy):\n%s", body)
	}
}

func TestGuestResponseHandling(t *testing.T) {
	srv, _ := newGateway(t, wisp.Limits{MaxBody: 16},
		"inject=headerinject.wasm:/inject", "status=badstatus.wasm:/status",
		"redirect=redirect.wasm:/redirect", "noheader=noheader.wasm:/noheader",
		"ok=version1.wasm:/ok")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		header, value            string
		bodyHas                  string
	}{
		{"header injection is refused", "GET", "/inject", "", 502, "", "", "invalid response"},
		{"status out of range is refused", "GET", "/status", "", 502, "", "", "invalid response"},
		{"location alone redirects", "GET", "/redirect", "", 302, "Location", "https://example.com/elsewhere", ""},
		{"no header is a server error", "GET", "/noheader", "", 500, "", "", "invalid response"},
		{"framing is the gateway's", "GET", "/ok", "", 200, "Content-Length", "3", "v1\n"},
		{"HEAD gets no body", "HEAD", "/ok", "", 200, "Content-Length", "3", ""},
		{"body at the limit", "POST", "/ok", strings.Repeat("x", 16), 200, "", "", "v1"},
		{"body over the limit", "POST", "/ok", strings.Repeat("x", 17), 413, "", "", "limit of 16B"},
		{"unknown route", "GET", "/nope", "", 404, "", "", "no app serves /nope"},
		{"dot segments are cleaned before routing", "GET", "/x/../ok", "", 200, "", "", "v1"},
		{"URI too long", "GET", "/ok?" + strings.Repeat("q", 9000), "", 414, "", "", "longer than this node's limit of 8192"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %q", resp.StatusCode, tc.status, b)
			}
			if tc.header != "" && resp.Header.Get(tc.header) != tc.value {
				t.Errorf("%s = %q, want %q", tc.header, resp.Header.Get(tc.header), tc.value)
			}
			if !strings.Contains(string(b), tc.bodyHas) {
				t.Errorf("body %q lacks %q", b, tc.bodyHas)
			}
		})
	}
}

func TestChunkedBodyOverLimit(t *testing.T) {
	srv, _ := newGateway(t, wisp.Limits{MaxBody: 1024}, "env=printenv.wasm:/env")
	req, _ := http.NewRequest("POST", srv.URL+"/env", io.MultiReader(strings.NewReader(strings.Repeat("y", 4096))))
	req.ContentLength = -1 // sent chunked
	resp, body := do(t, req)
	if resp.StatusCode != 413 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	req, _ = http.NewRequest("POST", srv.URL+"/env", io.MultiReader(strings.NewReader("small")))
	req.ContentLength = -1
	resp, body = do(t, req)
	if resp.StatusCode != 200 || !strings.Contains(body, "CONTENT_LENGTH=5\n") || !strings.Contains(body, "stdin=small") {
		t.Fatalf("chunked body within the limit: %d %s", resp.StatusCode, body)
	}
}

func TestFailuresAreLoggedForTheApp(t *testing.T) {
	srv, node := newGateway(t, wisp.Limits{}, "trap=trap.wasm:/trap")
	resp, body := do(t, mustRequest(t, "GET", srv.URL+"/trap"))
	if resp.StatusCode != 500 || !strings.Contains(body, "wisp logs trap") {
		t.Fatalf("trap: %d %q", resp.StatusCode, body)
	}
	entries, _, _ := node.Logs("trap", 0, 0)
	var sawTrap, sawRequest bool
	for _, e := range entries {
		sawTrap = sawTrap || e.Stream == "error" && strings.Contains(e.Message, "unreachable")
		sawRequest = sawRequest || e.Stream == "request" && strings.Contains(e.Message, "GET /trap 500")
	}
	if !sawTrap || !sawRequest {
		t.Fatalf("app log lacks the trap or the request line: %+v", entries)
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestSlowBodyEndsAtTheAppTimeout sends a body one byte every 200ms to an
// app with a 1s timeout: the gateway must give up on the body at the
// timeout (408) instead of holding the instance until the client is done.
func TestSlowBodyEndsAtTheAppTimeout(t *testing.T) {
	srv, _ := newGateway(t, wisp.Limits{Timeout: wisp.Duration(time.Second)}, "env=printenv.wasm:/env")
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /env HTTP/1.1\r\nHost: wisp\r\nContent-Length: 30\r\n\r\n")
	start := time.Now()
	done := make(chan *http.Response, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Log(err)
		}
		done <- resp
	}()
	for i := 0; ; i++ {
		select {
		case resp := <-done:
			if resp == nil || resp.StatusCode != http.StatusRequestTimeout || i >= 30 {
				t.Fatalf("answer %v after %s with %d of 30 bytes sent; want 408 before the body was complete", resp, time.Since(start), i)
			}
			return
		case <-time.After(200 * time.Millisecond):
			conn.Write([]byte("x"))
		}
	}
}
