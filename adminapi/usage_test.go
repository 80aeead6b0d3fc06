package adminapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/wisphq/wisp"
)

// TestUsage deploys an app, invokes it three times and reads its CPU use:
// three metered requests whose fuel is the same each time, and a 404 for
// an app the node does not know.
func TestUsage(t *testing.T) {
	srv, node := newAPI(t)
	wasm := fixture(t, "version1.wasm")
	sum := sha256.Sum256(wasm)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if a := call(t, srv, "POST", "/v1/blobs", token, bytes.NewReader(wasm)); a.status != 201 {
		t.Fatalf("upload: %d %s", a.status, a.body)
	}
	spec := `{"module":"` + digest + `","routes":["/v1"],"limits":{"cpu":"50ms"}}`
	if a := call(t, srv, "PUT", "/v1/apps/one", token, strings.NewReader(spec)); a.status != 200 {
		t.Fatalf("deploy: %d %s", a.status, a.body)
	}
	var fuel []int64
	for range 3 {
		var u wisp.Usage
		if err := node.InvokeApp(context.Background(), "one", wisp.Input{Usage: &u}); err != nil {
			t.Fatal(err)
		}
		fuel = append(fuel, u.Fuel)
	}
	if fuel[0] <= 0 || fuel[1] != fuel[0] || fuel[2] != fuel[0] {
		t.Fatalf("fuel of three identical requests: %v", fuel)
	}
	a := call(t, srv, "GET", "/v1/apps/one/usage", token, nil)
	if a.status != 200 || a.json["requests"] != float64(3) || a.json["fuel"] != float64(3*fuel[0]) || a.json["window"] != float64(3) {
		t.Fatalf("usage: %d %s", a.status, a.body)
	}
	if a.json["p50"] != a.json["max"] || a.json["over_budget"] != float64(0) {
		t.Fatalf("usage of three identical requests: %s", a.body)
	}
	if a := call(t, srv, "GET", "/v1/apps/nope/usage", token, nil); a.status != 404 {
		t.Fatalf("usage of an unknown app: %d %s", a.status, a.body)
	}
}
