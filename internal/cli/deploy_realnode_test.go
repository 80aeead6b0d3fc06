package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/adminapi"
	"github.com/wisphq/wisp/memstore"
)

// TestDeployManifestServicesToARealNode deploys a manifest declaring
// every service with `wisp deploy`, through the admin API, to a real
// node running testdata/wasm/services.wasm, and checks that the app gets
// what the manifest declared: its variables, its stores, its outbound
// host (an upstream on loopback) and its limits on both.
func TestDeployManifestServicesToARealNode(t *testing.T) {
	ctx := context.Background()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/x-up")
		io.WriteString(w, "up")
	}))
	defer upstream.Close()
	node, err := wisp.New(wisp.Config{Store: memstore.New(), KV: memstore.NewKV()})
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Load(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(adminapi.New(adminapi.Config{Node: node, Token: fakeToken}))
	t.Cleanup(func() {
		srv.Close()
		node.Close(context.Background())
	})
	wasm, err := os.ReadFile(filepath.Join(testdata, "..", "..", "..", "testdata", "wasm", "services.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	// servicesManifest, allowing the upstream and one outbound request.
	toml := strings.NewReplacer("http://127.0.0.1:8080", upstream.URL, "outbound_requests = 5", "outbound_requests = 1").Replace(servicesManifest)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"wisp.toml": toml, "svc.wasm": string(wasm)})
	connect := []string{"--admin", srv.URL, "--token", fakeToken}

	// region is required: the node refuses the app until it has a value.
	refused := invoke(t, append([]string{"deploy", dir}, connect...)...).must(t, 1)
	if !strings.Contains(refused.stderr, "requires variable region") {
		t.Errorf("deploy without region's value: stderr %q, want the node's refusal naming region", refused.stderr)
	}
	if err := node.SetVariable(ctx, "svc", "region", "eu", false); err != nil {
		t.Fatal(err)
	}
	invoke(t, append([]string{"deploy", dir}, connect...)...).must(t, 0)

	app, err := node.App(ctx, "svc")
	if err != nil {
		t.Fatal(err)
	}
	got := app.CurrentVersion().Spec
	want := servicesSpec()
	want.Module = got.Module
	want.AllowedOutboundHosts = []string{"https://api.example.com", upstream.URL}
	want.Limits.OutboundRequests = 1
	want.Limits = want.Limits.WithDefaults()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("node stored\n %+v\nwant %+v", got, want)
	}

	// kv_ops = 4 lets set, get, exists and delete through (open is not
	// an operation), and outbound_requests = 1 one send.
	var out bytes.Buffer
	script := "var greeting;var region;var api_key;open shared;set k v;get k;exists k;delete k;exists k;send GET " + upstream.URL + "/;send GET " + upstream.URL + "/"
	if err := node.InvokeApp(ctx, "svc", wisp.Input{Args: []string{"svc"}, Env: []string{"SCRIPT=" + script}, Stdout: &out}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(out.String(), "Content-Type: text/plain\r\n\r\n")), "\n")
	wantLines := []string{"var 0 hi", "var 0 eu", "var 1", "open 0 1", "set 0", "get 0 v", "exists 0", "delete 0", "exists 5: ", "send 0 200 text/x-up up", "send 5: "}
	if len(lines) != len(wantLines) {
		t.Fatalf("the app printed\n%s\nwant %d lines like %q", out.String(), len(wantLines), wantLines)
	}
	for i, w := range wantLines {
		if lines[i] != w && !(strings.HasSuffix(w, ": ") && strings.HasPrefix(lines[i], w)) {
			t.Errorf("line %d is %q, want %q", i+1, lines[i], w)
		}
	}
}
