package wisp_test

import (
	"context"
	"testing"

	"github.com/wisphq/wisp"
)

// Each version records, at deploy, the world its module targets; a
// rollback keeps each version's own.
func TestVersionRecordsWorld(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	for _, path := range []string{"testdata/wasm/counter.wasm", "testdata/components/printenv.wasm", "testdata/wasm/reactor.wasm"} {
		if _, err := n.Deploy(ctx, wisp.AppSpec{Name: "w", Module: uploadFile(t, n, path), Routes: routes(t, "/w")}); err != nil {
			t.Fatalf("deploy %s: %v", path, err)
		}
	}
	if _, err := n.Rollback(ctx, "w", 2); err != nil {
		t.Fatal(err)
	}
	app, err := n.App(ctx, "w")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ kind, name, export, imp string }{
		{"module", "wasi preview 1 command", "", "wasi_snapshot_preview1"},
		{"component", "wasi:cli/command", "wasi:cli/run@0.2.12", "wasi:cli/environment@0.2.12"},
		{"module", "wasi preview 1 reactor", "", "wasi_snapshot_preview1"},
	}
	for i, v := range app.Versions {
		w := v.World
		if w == nil {
			t.Fatalf("version %d has no world", v.Number)
		}
		has := func(list []string, s string) bool {
			for _, x := range list {
				if x == s {
					return true
				}
			}
			return s == ""
		}
		if w.Kind != want[i].kind || w.Name != want[i].name || !has(w.Exports, want[i].export) || !has(w.Imports, want[i].imp) {
			t.Errorf("version %d: world %+v, want %+v", v.Number, w, want[i])
		}
	}
}
