package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestJSComponentServes deploys examples/hello-js, a JavaScript
// wasi:http/proxy component built by componentize-js, with `wisp deploy`
// and sends it requests over HTTP: a GET is greeted, a POST is echoed with
// 201 and a header, a fetch of a loopback upstream (allowed by the app's
// allowed_outbound_hosts) reports the upstream's status and body, and a
// fetch of a host it does not allow fails in the JavaScript (502 from the
// handler's catch).
func TestJSComponentServes(t *testing.T) {
	n := startNode(t, "")
	n.mustWisp("deploy", filepath.Join(repoRoot, "examples", "hello-js"))
	client := &http.Client{Timeout: 30 * time.Second}
	send := func(t *testing.T, method, path, body string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, n.Gateway+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(b)
	}
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "upstream body for "+r.URL.Path)
	}))
	defer upstream.Close()

	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		header                   [2]string // a header the answer must carry
		want                     string    // the body, or with a trailing "*" its prefix
	}{
		{"GET", "GET", "/hello-js", "", 200, [2]string{"Content-Type", "text/plain; charset=utf-8"}, "hello from JavaScript on Wisp: GET /hello-js\n"},
		{"count", "GET", "/hello-js/count", "", 200, [2]string{"Content-Type", "text/plain; charset=utf-8"}, "count 1\n"},
		{"GET a subpath", "GET", "/hello-js/a/b?q=1", "", 200, [2]string{"Content-Type", "text/plain; charset=utf-8"}, "hello from JavaScript on Wisp: GET /hello-js/a/b\n"},
		{"POST echoes", "POST", "/hello-js", "posted body, é", 201, [2]string{"X-Echo-Length", "14"}, "posted body, é"},
		{"fetch an allowed upstream", "GET", "/hello-js/fetch?url=" + url.QueryEscape(upstream.URL+"/up"), "", 200,
			[2]string{"X-Upstream-Status", "418"}, "upstream 418\nupstream body for /up"},
		{"fetch a host not allowed", "GET", "/hello-js/fetch?url=" + url.QueryEscape("http://10.1.2.3/"), "", 502,
			[2]string{"Content-Type", "text/plain; charset=utf-8"}, "fetch http://10.1.2.3/ failed: *"},
		{"PUT is not allowed", "PUT", "/hello-js", "x", 405, [2]string{"Allow", "GET, POST"}, "method PUT is not allowed: use GET or POST\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := send(t, tc.method, tc.path, tc.body)
			t.Logf("%s %s: %d %q", tc.method, tc.path, resp.StatusCode, body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if got := resp.Header.Get(tc.header[0]); got != tc.header[1] {
				t.Errorf("%s: %q, want %q", tc.header[0], got, tc.header[1])
			}
			if prefix, ok := strings.CutSuffix(tc.want, "*"); ok {
				if !strings.HasPrefix(body, prefix) {
					t.Errorf("body %q, want it to start with %q", body, prefix)
				}
			} else if body != tc.want {
				t.Errorf("body %q, want %q", body, tc.want)
			}
		})
	}
	t.Run("the refused fetch is in the app's log", func(t *testing.T) {
		out := n.mustWisp("logs", "hello-js")
		if !strings.Contains(out, "10.1.2.3") {
			t.Errorf("wisp logs hello-js does not mention the refused host:\n%s", out)
		}
	})
	t.Run("latency", func(t *testing.T) {
		const rounds = 200
		var d []time.Duration
		for range rounds {
			start := time.Now()
			resp, _ := send(t, "GET", "/hello-js", "")
			d = append(d, time.Since(start))
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
		}
		slices.Sort(d)
		t.Logf("%d GETs of /hello-js over HTTP: p50 %v, p90 %v, max %v", rounds, d[rounds/2], d[rounds*9/10], d[rounds-1])
	})
}

// TestJSComponentServices: examples/hello-js reaches the platform services
// through WASI: GET /hello-js/count increments js:hits in the store
// "default" (wasi:keyvalue), across requests and across a restart of the
// node; its greeting is the variable greeting (wasi:config), its default
// until `wisp config set` changes it for the next request; the count is
// logged (wasi:logging) to the app's log.
func TestJSComponentServices(t *testing.T) {
	n := startNode(t, "")
	n.mustWisp("deploy", filepath.Join(repoRoot, "examples", "hello-js"))
	for i := 1; i <= 3; i++ {
		if status, body := n.get("/hello-js/count"); status != 200 || body != fmt.Sprintf("count %d\n", i) {
			t.Fatalf("GET /hello-js/count #%d = %d %q", i, status, body)
		}
	}
	if out := n.mustWisp("logs", "hello-js"); !strings.Contains(out, "count 3") {
		t.Errorf("wisp logs hello-js lacks the wasi:logging entry \"count 3\":\n%s", out)
	}
	if status, body := n.get("/hello-js"); status != 200 || body != "hello from JavaScript on Wisp: GET /hello-js\n" {
		t.Fatalf("GET /hello-js (default greeting) = %d %q", status, body)
	}
	n.mustWisp("config", "set", "hello-js", "greeting=bonjour from config")
	if status, body := n.get("/hello-js"); status != 200 || body != "bonjour from config: GET /hello-js\n" {
		t.Fatalf("GET /hello-js after config set = %d %q", status, body)
	}

	n.Kill()
	n2 := startNode(t, n.Data)
	if status, body := n2.get("/hello-js/count"); status != 200 || body != "count 4\n" {
		t.Fatalf("after restart GET /hello-js/count = %d %q, want count 4", status, body)
	}
	if status, body := n2.get("/hello-js"); status != 200 || body != "bonjour from config: GET /hello-js\n" {
		t.Fatalf("after restart GET /hello-js = %d %q", status, body)
	}
}
