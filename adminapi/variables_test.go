package adminapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/adminapi"
	"github.com/wisphq/wisp/internal/secretbox"
	"github.com/wisphq/wisp/memstore"
)

// newServicesAPI is newAPI with a key-value backend and a secret key; the
// node and the API log into logs.
func newServicesAPI(t *testing.T, limits wisp.KVLimits) (*httptest.Server, *wisp.Node, *bytes.Buffer) {
	t.Helper()
	k, _ := secretbox.GenerateKey()
	kr, err := secretbox.New(k)
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	node, err := wisp.New(wisp.Config{Store: memstore.New(), KV: memstore.NewKV(), KVLimits: limits, Sealer: kr, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	node.Load(context.Background())
	srv := httptest.NewServer(adminapi.New(adminapi.Config{Node: node, Token: token, Version: "test", Logger: log}))
	t.Cleanup(func() {
		srv.Close()
		node.Close(context.Background())
	})
	return srv, node, logs
}

// deployWithVariables deploys app "shop" declaring a secret and two plain
// variables.
func deployWithVariables(t *testing.T, node *wisp.Node) {
	t.Helper()
	blob, err := node.PutBlob(context.Background(), bytes.NewReader(fixture(t, "version1.wasm")))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := wisp.ParseRoute("/shop")
	hi := "hi"
	spec := wisp.AppSpec{Name: "shop", Module: blob.Digest, Routes: []wisp.Route{r}, Variables: map[string]wisp.Variable{
		"api_key": {Secret: true}, "greeting": {Default: &hi}, "region": {},
	}}
	if _, err := node.Deploy(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
}

func TestVariablesEndpoints(t *testing.T) {
	srv, node, _ := newServicesAPI(t, wisp.KVLimits{})
	deployWithVariables(t, node)
	a := call(t, srv, "PUT", "/v1/apps/shop/variables/region", token, strings.NewReader(`{"value":"eu"}`))
	if a.status != 200 || a.json["value"] != "eu" || a.json["declared"] != true || a.json["source"] != "set" {
		t.Fatalf("set region: %d %s", a.status, a.body)
	}
	a = call(t, srv, "PUT", "/v1/apps/shop/variables/api_key", token, strings.NewReader(`{"value":"k3y-value","secret":true}`))
	if a.status != 200 || a.json["secret"] != true || a.json["has_value"] != true || strings.Contains(a.body, "k3y-value") {
		t.Fatalf("set secret: %d %s", a.status, a.body)
	}
	a = call(t, srv, "PUT", "/v1/apps/shop/variables/regoin", token, strings.NewReader(`{"value":"eu"}`))
	if a.status != 200 || a.json["declared"] != false {
		t.Fatalf("set an undeclared variable: %d %s", a.status, a.body)
	}
	a = call(t, srv, "GET", "/v1/apps/shop/variables", token, nil)
	var list struct{ Variables []wisp.VariableInfo }
	if err := json.Unmarshal([]byte(a.body), &list); err != nil || a.status != 200 || len(list.Variables) != 4 {
		t.Fatalf("list: %d %s", a.status, a.body)
	}
	if a := call(t, srv, "DELETE", "/v1/apps/shop/variables/regoin", token, nil); a.status != 204 {
		t.Fatalf("delete: %d %s", a.status, a.body)
	}
	if a := call(t, srv, "POST", "/v1/secrets/rewrap", token, nil); a.status != 200 || a.json["rewrapped"] != float64(1) {
		t.Fatalf("rewrap: %d %s", a.status, a.body)
	}

	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code, contains           string
	}{
		{"plain value for a secret", "PUT", "/v1/apps/shop/variables/api_key", `{"value":"x"}`, 400, "invalid", "is declared secret"},
		{"bad JSON", "PUT", "/v1/apps/shop/variables/region", `{"value": k3y}`, 400, "invalid", `{"value": "TEXT", "secret": true or false}`},
		{"unknown field", "PUT", "/v1/apps/shop/variables/region", `{"valeu":"x"}`, 400, "invalid", "not the JSON this endpoint takes"},
		{"bad variable name", "PUT", "/v1/apps/shop/variables/Region", `{"value":"x"}`, 400, "invalid", `variable name "Region"`},
		{"delete unset", "DELETE", "/v1/apps/shop/variables/region2", "", 404, "not_found", "no value set"},
		{"variables of unknown app", "GET", "/v1/apps/ghost/variables", "", 404, "not_found", `app "ghost" does not exist`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, srv, tc.method, tc.path, token, strings.NewReader(tc.body))
			if a.status != tc.status || a.json["code"] != tc.code || !strings.Contains(a.json["error"].(string), tc.contains) {
				t.Fatalf("%d %s; want %d %s containing %q", a.status, a.body, tc.status, tc.code, tc.contains)
			}
			if strings.Contains(a.body, "k3y") {
				t.Fatalf("the answer echoes the body: %s", a.body)
			}
		})
	}
}

// A secret set through the API appears in no answer of any endpoint, in
// no header, and in no log line of the node or the API.
func TestSecretNeverShown(t *testing.T) {
	srv, node, logs := newServicesAPI(t, wisp.KVLimits{})
	deployWithVariables(t, node)
	const secret = "SECRET-0f9e8d7c6b5a"
	body := `{"value":"` + secret + `","secret":true}`
	var answers []string
	record := func(method, path, body string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var h bytes.Buffer
		resp.Header.Write(&h)
		answers = append(answers, method+" "+path+"\n"+h.String()+string(b))
	}
	record("PUT", "/v1/apps/shop/variables/api_key", body)
	for _, c := range [][3]string{
		{"PUT", "/v1/apps/shop/variables/api_key", `{"value":"` + secret + `"}`},      // plain for a secret
		{"PUT", "/v1/apps/shop/variables/region", body},                               // secret for a plain one
		{"PUT", "/v1/apps/shop/variables/api_key", `{"value":"` + secret + `",}`},     // bad JSON
		{"PUT", "/v1/apps/shop/variables/api_key", `{"value":"` + secret + "\x00\"}"}, // NUL
		{"PUT", "/v1/apps/ghost/variables/api_key", body},
		{"GET", "/v1/apps/shop/variables", ""},
		{"GET", "/v1/apps/shop", ""},
		{"GET", "/v1/apps", ""},
		{"GET", "/v1/apps/shop/logs", ""},
		{"GET", "/v1/node", ""},
		{"GET", "/v1/nodes", ""},
		{"GET", "/v1/kv", ""},
		{"GET", "/v1/kv/_variables", ""},
		{"GET", "/v1/kv/_variables/shop%2Fapi_key", ""},
		{"POST", "/v1/secrets/rewrap", ""},
		{"GET", "/v1/apps/shop/variables", ""},
		{"DELETE", "/v1/apps/shop/variables/api_key", ""},
	} {
		record(c[0], c[1], c[2])
	}
	all := strings.Join(answers, "\n") + logs.String()
	if !strings.Contains(all, `"has_value": true`) || !strings.Contains(all, "rewrapped") {
		t.Fatalf("the calls did not do what the test expects:\n%s", all)
	}
	for _, part := range []string{secret, secret[:10], secret[7:]} {
		if strings.Contains(all, part) {
			t.Fatalf("%q appears in an answer or a log line:\n%s", part, all)
		}
	}
}
