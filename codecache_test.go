package wisp_test

import (
	"context"
	"strings"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/memstore"
)

func TestIdleAppsCodeIsReleasedAndLoadedBack(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	cache := t.TempDir()
	n, err := wisp.New(wisp.Config{Store: store, CacheDir: cache, CodeCache: 1}) // no idle code kept
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close(ctx)
	n.Load(ctx)
	deploy(t, n, "one", "version1.wasm", "/one")
	deploy(t, n, "two", "version2.wasm", "/two")
	if s := n.Stats(); s.CodeModules != 2 || s.CodeResident != 0 || s.CodeBytes != 0 {
		t.Fatalf("Stats after deploying two apps = %+v; want 2 modules, none in memory", s)
	}
	for round := range 2 {
		for app, want := range map[string]string{"one": "v1", "two": "v2"} {
			if out, err := invoke(n, app); err != nil || !strings.Contains(out, want) {
				t.Fatalf("round %d: %s answered %q, %v; want %q", round, app, out, err, want)
			}
		}
	}
	if s := n.Stats(); s.CodeLoads != 4 || s.CodeResident != 0 {
		t.Errorf("Stats after 4 invocations = %+v; want 4 loads from disk and nothing left in memory", s)
	}

	// A restarted node loads the apps from the same cache.
	n.Close(ctx)
	n2, err := wisp.New(wisp.Config{Store: store, CacheDir: cache, CodeCache: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Close(ctx)
	if err := n2.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if out, err := invoke(n2, "two"); err != nil || !strings.Contains(out, "v2") {
		t.Fatalf("after a restart: two answered %q, %v; want v2", out, err)
	}
}

func TestCodeCacheDefault(t *testing.T) {
	n, err := wisp.New(wisp.Config{Store: memstore.New(), CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close(context.Background())
	n.Load(context.Background())
	deploy(t, n, "one", "version1.wasm", "/one")
	if s := n.Stats(); s.CodeResident != 1 || s.CodeBytes <= 0 || s.CodeBytes > wisp.DefaultCodeCache {
		t.Errorf("Stats = %+v; want the one module in memory under the default budget of %s", s, wisp.ByteSize(wisp.DefaultCodeCache))
	}
}
