package cli

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/adminapi"
	"github.com/wisphq/wisp/memstore"
)

// TestAppShowsWorld deploys, through the admin API to a real node, a
// preview 1 command, a command component and a component importing
// wasi:sockets, and checks that `wisp app` shows the world each targets
// (recorded at deploy) and that -o json carries it.
func TestAppShowsWorld(t *testing.T) {
	ctx := context.Background()
	node, err := wisp.New(wisp.Config{Store: memstore.New()})
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
	connect := []string{"--admin", srv.URL, "--token", fakeToken}
	root := filepath.Join(testdata, "..", "..", "..", "testdata")
	for _, tc := range []struct {
		app, wasm string
		want      []string
	}{
		{"bare", "wasm/counter.wasm", []string{
			"World: wasi preview 1 command (module)\n",
			"Imports: wasi_snapshot_preview1\n",
		}},
		{"comp", "components/printenv.wasm", []string{
			"World: wasi:cli/command (component)\n",
			"Exports: wasi:cli/run@0.2.12\n",
			"Imports: wasi:cli/environment@0.2.12\n",
			" wasi:io/streams@0.2.12\n",
		}},
		{"sockets", "components/extra/sockets.wasm", []string{
			"World: wasi:cli/command (component)\n",
			" wasi:sockets/tcp-create-socket@0.2.12\n",
			"Notes: wasi:sockets@0.2.12: every call that would make a socket or resolve a name is refused with error-code.access-denied",
		}},
	} {
		t.Run(tc.app, func(t *testing.T) {
			wasm, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(tc.wasm)))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"app.wasm": string(wasm)})
			invoke(t, append([]string{"deploy", filepath.Join(dir, "app.wasm"), "--name", tc.app, "--route", "/" + tc.app}, connect...)...).must(t, 0)
			// Compare with the table's columns as single spaces.
			got := spaces.ReplaceAllString(invoke(t, append([]string{"app", tc.app}, connect...)...).must(t, 0).stdout, " ")
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("wisp app %s lacks %q:\n%s", tc.app, w, got)
				}
			}
			js := invoke(t, append([]string{"app", tc.app, "-o", "json"}, connect...)...).must(t, 0).stdout
			var app wisp.App
			if err := json.Unmarshal([]byte(js), &app); err != nil {
				t.Fatal(err)
			}
			w := app.CurrentVersion().World
			if w == nil || w.Name == "" || len(w.Imports) == 0 {
				t.Fatalf("the admin API's app has world %+v", w)
			}
			if w.Kind == "component" && !slices.ContainsFunc(w.Imports, func(s string) bool { return strings.HasPrefix(s, "wasi:cli/") }) {
				t.Errorf("imports %v lack wasi:cli", w.Imports)
			}
		})
	}
}

var spaces = regexp.MustCompile(` +`)
