package adminapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/adminapi"
	"github.com/wisphq/wisp/memstore"
)

// FuzzInvoke feeds arbitrary bodies to the playground's invocation, whose
// method, path and headers become an HTTP request and then a CGI one. It
// must never fail with a 5xx or panic: every answer is a run (200, with
// the input the guest got) or a refusal the API explains (4xx).
func FuzzInvoke(f *testing.F) {
	for _, seed := range []string{
		`{"method":"POST","path":"/one/a?x=1&y","headers":{"Host":"example.com","X-A":"b"},"body":"hi"}`,
		`{"path":"/one"}`, `{"path":"/two"}`, `{"path":"one"}`, `{"path":"//evil.example/one"}`,
		`{"path":"/one/%zz"}`, `{"path":"/one?%%"}`, `{"method":"","path":"/one/"}`,
		`{"path":"/one","headers":{"":"x"}}`, `{"path":"/one","headers":{"Host":"a:b:c"}}`,
		`{"path":"/one","headers":{"Content-Length":"99"},"body":"x"}`, `[]`, `null`, `{"path":1}`,
	} {
		f.Add([]byte(seed))
	}
	node, err := wisp.New(wisp.Config{Store: memstore.New()})
	if err != nil {
		f.Fatal(err)
	}
	node.Load(context.Background())
	f.Cleanup(func() { node.Close(context.Background()) })
	h := adminapi.New(adminapi.Config{Node: node, Token: token})
	wasm, err := os.ReadFile(filepath.Join("..", "testdata", "wasm", "version1.wasm"))
	if err != nil {
		f.Fatal(err)
	}
	info, err := node.PutBlob(context.Background(), bytes.NewReader(wasm))
	if err != nil {
		f.Fatal(err)
	}
	route, err := wisp.ParseRoute("/one/...")
	if err != nil {
		f.Fatal(err)
	}
	spec := wisp.AppSpec{Name: "one", Module: info.Digest, Routes: []wisp.Route{route}}
	if _, err := node.Deploy(context.Background(), spec); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/v1/apps/one/invoke", bytes.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+token)
		h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s: %d %s", body, w.Code, w.Body)
		}
		if w.Code == 200 {
			var ans struct {
				Stdout []byte `json:"stdout"`
				Error  string `json:"error"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &ans); err != nil || ans.Error != "" || string(ans.Stdout) != "Content-Type: text/plain\n\nv1\n" {
				t.Fatalf("%s: a run answered %s (%v)", body, w.Body, err)
			}
		}
	})
}
