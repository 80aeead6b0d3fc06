package adminapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/wisphq/wisp/gateway"
)

// deployFixture uploads a testdata/wasm module and deploys it as app with
// the given spec fields (JSON members, without name and module).
func deployFixture(t *testing.T, srv *httptest.Server, app, fixtureName, spec string) string {
	t.Helper()
	a := call(t, srv, "POST", "/v1/blobs", token, bytes.NewReader(fixture(t, fixtureName)))
	if a.status != 201 {
		t.Fatalf("upload: %d %s", a.status, a.body)
	}
	digest := a.json["digest"].(string)
	body := fmt.Sprintf(`{"module": %q, %s}`, digest, spec)
	if a := call(t, srv, "PUT", "/v1/apps/"+app, token, strings.NewReader(body)); a.status != 200 {
		t.Fatalf("deploy: %d %s", a.status, a.body)
	}
	return digest
}

func TestDownloadBlob(t *testing.T) {
	srv, _ := newAPI(t)
	wasm := fixture(t, "version1.wasm")
	digest := deployFixture(t, srv, "hello", "version1.wasm", `"routes": ["/hello"]`)
	for _, tc := range []struct {
		name, path, tok string
		status          int
		body            []byte
	}{
		{"the module's bytes", "/v1/blobs/" + digest, token, 200, wasm},
		{"no token", "/v1/blobs/" + digest, "", 401, nil},
		{"unknown blob", "/v1/blobs/sha256:" + strings.Repeat("0", 64), token, 404, nil},
		{"not a digest", "/v1/blobs/abc", token, 400, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, srv, "GET", tc.path, tc.tok, nil)
			if a.status != tc.status {
				t.Fatalf("status %d, want %d: %s", a.status, tc.status, a.body)
			}
			if tc.body != nil && a.body != string(tc.body) {
				t.Fatalf("got %d bytes, want the %d uploaded", len(a.body), len(tc.body))
			}
		})
	}
}

// TestInvokeAnswersTheCGIInput checks that the playground's invocation
// reports the input the guest really got (printenv prints it back) and
// answers what the gateway answers to the same request.
func TestInvokeAnswersTheCGIInput(t *testing.T) {
	srv, node := newAPI(t)
	deployFixture(t, srv, "env", "printenv.wasm", `"routes": ["/p/..."], "env": {"GREETING": "hi", "SERVER_NAME": "overridden"}`)
	req := `{"method": "POST", "path": "/p/a/b?x=1&y=2", "headers": {"Host": "example.com", "X-Test": "yes"}, "body": "hello body"}`
	a := call(t, srv, "POST", "/v1/apps/env/invoke", token, strings.NewReader(req))
	if a.status != 200 {
		t.Fatalf("invoke: %d %s", a.status, a.body)
	}
	var ans struct {
		Args   []string `json:"args"`
		Env    []string `json:"env"`
		Stdin  []byte   `json:"stdin"`
		Stdout []byte   `json:"stdout"`
		Error  string   `json:"error"`
	}
	if err := json.Unmarshal([]byte(a.body), &ans); err != nil {
		t.Fatal(err)
	}
	if ans.Error != "" {
		t.Fatalf("invocation failed: %s", ans.Error)
	}
	if !slices.Equal(ans.Args, []string{"/p/a/b", "x=1", "y=2"}) {
		t.Errorf("args %q", ans.Args)
	}
	if string(ans.Stdin) != "hello body" {
		t.Errorf("stdin %q", ans.Stdin)
	}
	for _, want := range []string{"GREETING=hi", "SERVER_NAME=example.com", "HTTP_X_TEST=yes", "CONTENT_LENGTH=10", "REQUEST_METHOD=POST", "PATH_INFO=/a/b"} {
		if !slices.Contains(ans.Env, want) {
			t.Errorf("env lacks %s: %q", want, ans.Env)
		}
	}
	if slices.Contains(ans.Env, "SERVER_NAME=overridden") {
		t.Errorf("the app's env is listed though the request's variable replaces it")
	}
	// What the guest saw is what the answer says it was given.
	sorted := slices.Sorted(slices.Values(ans.Env))
	want := "Content-Type: text/plain\n\n" + strings.Join(sorted, "\n") + "\n"
	for i, arg := range ans.Args {
		want += fmt.Sprintf("argv[%d]=%s\n", i, arg)
	}
	want += "stdin=hello body"
	if string(ans.Stdout) != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", ans.Stdout, want)
	}

	// The gateway gives the guest the same input for the same request,
	// but for the client's address.
	gw := httptest.NewServer(gateway.New(node, nil))
	defer gw.Close()
	hreq, _ := http.NewRequest("POST", gw.URL+"/p/a/b?x=1&y=2", strings.NewReader("hello body"))
	hreq.Host = "example.com"
	hreq.Header.Set("X-Test", "yes")
	hreq.Header.Set("User-Agent", "")
	hreq.Header.Del("Accept-Encoding")
	resp, err := gw.Client().Transport.(*http.Transport).Clone().RoundTrip(hreq)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	strip := func(s string) string {
		var keep []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.HasPrefix(l, "REMOTE_") && !strings.HasPrefix(l, "HTTP_ACCEPT_ENCODING=") && !strings.HasPrefix(l, "HTTP_USER_AGENT=") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	_, nodeBody, _ := strings.Cut(string(ans.Stdout), "\n\n")
	if strip(string(body)) != strip(nodeBody) {
		t.Fatalf("the gateway's answer:\n%s\nthe playground's:\n%s", body, nodeBody)
	}
}

func TestInvokeRefusals(t *testing.T) {
	srv, _ := newAPI(t)
	deployFixture(t, srv, "one", "version1.wasm", `"routes": ["/one"]`)
	deployFixture(t, srv, "two", "version1.wasm", `"routes": ["/two"]`)
	for _, tc := range []struct {
		name, app, body string
		status          int
		msg             string
	}{
		{"another app's path", "one", `{"path": "/two"}`, 400, `app "two" serves /two on host "localhost", not app "one"`},
		{"no app's path", "one", `{"path": "/nothing"}`, 400, "no app serves /nothing"},
		{"no such app", "three", `{"path": "/one"}`, 404, `"three"`},
		{"no path", "one", `{}`, 400, "path is required"},
		{"a URL, not a path", "one", `{"path": "http://example.com/one"}`, 400, "not an absolute path"},
		{"bad method", "one", `{"method": "G T", "path": "/one"}`, 400, "not an HTTP method"},
		{"bad header", "one", `{"path": "/one", "headers": {"X": "a\nb"}}`, 400, `header "X"`},
		{"unknown field", "one", `{"path": "/one", "bogus": 1}`, 400, "bogus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, srv, "POST", "/v1/apps/"+tc.app+"/invoke", token, strings.NewReader(tc.body))
			if msg, _ := a.json["error"].(string); a.status != tc.status || !strings.Contains(msg, tc.msg) {
				t.Fatalf("got %d %s, want %d with %q", a.status, a.body, tc.status, tc.msg)
			}
		})
	}
}

func TestStats(t *testing.T) {
	srv, node := newAPI(t)
	deployFixture(t, srv, "ok", "version1.wasm", `"routes": ["/ok"]`)
	deployFixture(t, srv, "trap", "trap.wasm", `"routes": ["/trap"]`)
	gw := httptest.NewServer(gateway.New(node, nil))
	defer gw.Close()
	for path, n := range map[string]int{"/ok": 5, "/trap": 2} {
		for range n {
			resp, err := http.Get(gw.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	a := call(t, srv, "GET", "/v1/stats", token, nil)
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	var st struct {
		Window string `json:"window"`
		Apps   map[string]struct {
			Requests  int64   `json:"requests"`
			Errors    int64   `json:"errors"`
			ErrorRate float64 `json:"error_rate"`
			P50       float64 `json:"p50_ms"`
			PerSecond []int64 `json:"per_second"`
		} `json:"apps"`
	}
	if err := json.Unmarshal([]byte(a.body), &st); err != nil {
		t.Fatal(err)
	}
	if st.Window != "1m0s" {
		t.Errorf("window %q", st.Window)
	}
	if ok := st.Apps["ok"]; ok.Requests != 5 || ok.Errors != 0 || ok.P50 <= 0 || len(ok.PerSecond) != 60 {
		t.Errorf("ok: %+v", ok)
	}
	if tr := st.Apps["trap"]; tr.Requests != 2 || tr.Errors != 2 || tr.ErrorRate != 1 {
		t.Errorf("trap: %+v", tr)
	}
	if a := call(t, srv, "GET", "/v1/stats", "", nil); a.status != 401 {
		t.Errorf("without a token: %d", a.status)
	}
}

func TestParseManifest(t *testing.T) {
	srv, _ := newAPI(t)
	for _, tc := range []struct {
		name, toml string
		status     int
		want       []string
	}{
		{"a manifest", "name = \"shop\"\nmodule = \"build/shop.wasm\"\nroutes = [\"/shop/...\"]\n[env]\nA = \"b\"\n[[files]]\nsource = \"static\"\nmount = \"/static\"\n[limits]\nmemory = \"32MiB\"\n",
			200, []string{`"module": "build/shop.wasm"`, `"source": "static"`, `"mount": "/static"`, `"/shop/..."`, `"memory": "32MiB"`, `"A": "b"`}},
		{"a mistake, with its line", "name = \"shop\"\nmodule = \"shop.wasm\"\nroutes = [\"/shop\"]\nbogus = 1\n", 400, []string{"wisp.toml:4", "bogus"}},
		{"a path leaving the folder", "name = \"shop\"\nmodule = \"../shop.wasm\"\nroutes = [\"/shop\"]\n", 400, []string{"wisp.toml:2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, srv, "POST", "/v1/manifest", token, strings.NewReader(tc.toml))
			if a.status != tc.status {
				t.Fatalf("%d %s", a.status, a.body)
			}
			for _, w := range tc.want {
				if !strings.Contains(a.body, w) {
					t.Errorf("answer lacks %s:\n%s", w, a.body)
				}
			}
		})
	}
}

func TestDashboardIsServed(t *testing.T) {
	srv, _ := newAPI(t)
	for _, tc := range []struct {
		path, contentType, contains string
	}{
		{"/ui/", "text/html", `<script type="module" src="app.js">`},
		{"/ui/app.js", "text/javascript", "/v1/apps"},
		{"/ui/wasi.js", "text/javascript", "wasi_snapshot_preview1"},
		{"/ui/style.css", "text/css", ":root"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			// No token: the assets hold no data; the page asks for it.
			a := call(t, srv, "GET", tc.path, "", nil)
			if a.status != 200 || !strings.Contains(a.body, tc.contains) {
				t.Fatalf("%d, body without %q", a.status, tc.contains)
			}
			resp, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
				t.Errorf("Content-Type %q, want %s", ct, tc.contentType)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self'") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
		})
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, p := range []string{"/", "/ui"} {
		resp, err := client.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 != 3 || loc != "/ui/" {
			t.Errorf("GET %s: %d to %q, want a redirect to /ui/", p, resp.StatusCode, loc)
		}
	}
}
