package adminapi_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/adminapi"
	"github.com/wisphq/wisp/memstore"
)

const token = "s3cret-token"

func newAPI(t *testing.T) (*httptest.Server, *wisp.Node) {
	t.Helper()
	node, err := wisp.New(wisp.Config{Store: memstore.New(), MaxBlobSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	node.Load(context.Background())
	srv := httptest.NewServer(adminapi.New(adminapi.Config{Node: node, Token: token, Version: "test"}))
	t.Cleanup(func() {
		srv.Close()
		node.Close(context.Background())
	})
	return srv, node
}

type answer struct {
	status int
	body   string
	json   map[string]any
}

func call(t *testing.T, srv *httptest.Server, method, path, tok string, body io.Reader, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, body: string(b)}
	json.Unmarshal(b, &a.json)
	return a
}

func fixture(t *testing.T, name string) []byte {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "wasm", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAuthentication(t *testing.T) {
	srv, _ := newAPI(t)
	for _, tc := range []struct {
		name, path, token string
		status            int
	}{
		{"health needs no token", "/healthz", "", 200},
		{"readiness needs no token", "/readyz", "", 200},
		{"missing token", "/v1/apps", "", 401},
		{"wrong token", "/v1/apps", "wrong", 401},
		{"token prefix", "/v1/apps", token[:4], 401},
		{"right token", "/v1/apps", token, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, srv, "GET", tc.path, tc.token, nil)
			if a.status != tc.status {
				t.Fatalf("status %d, want %d: %s", a.status, tc.status, a.body)
			}
			if tc.status == 401 && (a.json["code"] != "unauthorized" || !strings.Contains(a.body, "WISP_TOKEN")) {
				t.Fatalf("401 body does not explain itself: %s", a.body)
			}
		})
	}
}

func TestDeployThroughTheAPI(t *testing.T) {
	srv, _ := newAPI(t)
	wasm := fixture(t, "version1.wasm")
	sum := sha256.Sum256(wasm)
	digest := "sha256:" + hex.EncodeToString(sum[:])

	if a := call(t, srv, "HEAD", "/v1/blobs/"+digest, token, nil); a.status != 404 {
		t.Fatalf("HEAD of a blob not uploaded: %d", a.status)
	}
	if a := call(t, srv, "POST", "/v1/blobs", token, bytes.NewReader(wasm), "Wisp-Digest", digest); a.status != 201 || a.json["digest"] != digest {
		t.Fatalf("upload: %d %s", a.status, a.body)
	}
	if a := call(t, srv, "HEAD", "/v1/blobs/"+digest, token, nil); a.status != 200 {
		t.Fatalf("HEAD of an uploaded blob: %d", a.status)
	}
	spec := `{"module":"` + digest + `","routes":["/v1"],"limits":{"memory":"16MiB","timeout":"2s"}}`
	a := call(t, srv, "PUT", "/v1/apps/one", token, strings.NewReader(spec))
	if a.status != 200 || a.json["version"] != float64(1) {
		t.Fatalf("deploy: %d %s", a.status, a.body)
	}
	a = call(t, srv, "GET", "/v1/apps/one", token, nil)
	if a.status != 200 || !strings.Contains(a.body, `"memory": "16MiB"`) || !strings.Contains(a.body, `"/v1"`) {
		t.Fatalf("app: %d %s", a.status, a.body)
	}
	if a := call(t, srv, "PUT", "/v1/apps/one", token, strings.NewReader(spec)); !strings.Contains(a.body, `"unchanged": true`) {
		t.Fatalf("same deploy again: %s", a.body)
	}
}

func TestErrorsAreJSONWithAStatus(t *testing.T) {
	srv, _ := newAPI(t)
	wasm := fixture(t, "version1.wasm")
	for _, tc := range []struct {
		name, method, path string
		body               io.Reader
		header             []string
		status             int
		code, contains     string
	}{
		{"unknown app", "GET", "/v1/apps/ghost", nil, nil, 404, "not_found", `app "ghost" does not exist`},
		{"unknown endpoint", "GET", "/v1/nothing", nil, nil, 404, "not_found", "no admin endpoint"},
		{"typo in spec", "PUT", "/v1/apps/x", strings.NewReader(`{"rotes":["/x"]}`), nil, 400, "invalid", `unknown field "rotes"`},
		{"not JSON", "PUT", "/v1/apps/x", strings.NewReader(`name=x`), nil, 400, "invalid", "not valid JSON"},
		{"name mismatch", "PUT", "/v1/apps/x", strings.NewReader(`{"name":"y"}`), nil, 400, "invalid", `does not match the app "x"`},
		{"bad digest", "PUT", "/v1/apps/x", strings.NewReader(`{"module":"md5:1","routes":["/x"]}`), nil, 400, "invalid", `digest "md5:1"`},
		{"bad route", "PUT", "/v1/apps/x", strings.NewReader(`{"module":"sha256:` + strings.Repeat("0", 64) + `","routes":["nopath"]}`), nil, 400, "invalid", `route "nopath": routes start with "/"`},
		{"bad size", "PUT", "/v1/apps/x", strings.NewReader(`{"limits":{"memory":"lots"}}`), nil, 400, "invalid", `size "lots"`},
		{"digest header mismatch", "POST", "/v1/blobs", bytes.NewReader(wasm), []string{"Wisp-Digest", "sha256:" + strings.Repeat("1", 64)}, 400, "invalid", "Wisp-Digest header claims"},
		{"upload too large", "POST", "/v1/blobs", bytes.NewReader(make([]byte, 2<<20)), nil, 413, "too_large", "larger than this node's --max-module-size of 1MiB; nothing was stored"},
		{"rollback unknown app", "POST", "/v1/apps/ghost/rollback", nil, nil, 404, "not_found", `app "ghost"`},
		{"remove unknown app", "DELETE", "/v1/apps/ghost", nil, nil, 404, "not_found", `app "ghost"`},
		{"logs of unknown app", "GET", "/v1/apps/ghost/logs", nil, nil, 404, "not_found", `app "ghost"`},
		{"bad tail", "GET", "/v1/apps/ghost/logs?tail=-1", nil, nil, 400, "invalid", "tail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, srv, tc.method, tc.path, token, tc.body, tc.header...)
			if a.status != tc.status || a.json["code"] != tc.code || !strings.Contains(a.json["error"].(string), tc.contains) {
				t.Fatalf("%d %s; want %d %s containing %q", a.status, a.body, tc.status, tc.code, tc.contains)
			}
		})
	}
}

func TestFollowLogs(t *testing.T) {
	srv, node := newAPI(t)
	blob, _ := node.PutBlob(context.Background(), bytes.NewReader(fixture(t, "stderr.wasm")))
	r, _ := wisp.ParseRoute("/log")
	if _, err := node.Deploy(context.Background(), wisp.AppSpec{Name: "logger", Module: blob.Digest, Routes: []wisp.Route{r}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/apps/logger/logs?follow=1", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	if !lines.Scan() || !strings.Contains(lines.Text(), "deployed version 1") {
		t.Fatalf("first followed entry: %q", lines.Text())
	}
	// A new entry arrives on the open stream.
	if err := node.InvokeApp(ctx, "logger", wisp.Input{}); err != nil {
		t.Fatal(err)
	}
	if !lines.Scan() || !strings.Contains(lines.Text(), "log line from guest") {
		t.Fatalf("followed entry after an invocation: %q (%v)", lines.Text(), lines.Err())
	}
}
