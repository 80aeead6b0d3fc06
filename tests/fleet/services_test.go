package fleet

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// servicesApp writes an app around testdata/wasm/services.wasm (a fixture
// that runs the script in its query string against the platform services)
// with a key-value store and a secret variable, and returns its directory.
func servicesApp(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	wasm, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "wasm", "services.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	manifest := `name = "svc"
module = "services.wasm"
routes = ["/svc"]
key_value_stores = ["default"]
allowed_outbound_hosts = ["http://127.0.0.1:1"]

[variables]
token = { secret = true }
`
	for name, data := range map[string][]byte{"services.wasm": wasm, "wisp.toml": []byte(manifest)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestServicesAcrossTheFleet: a key-value entry and a secret set through
// one node are read on another, and increments sent through every node at
// once end at the exact count (the store's compare-and-swap on JetStream
// revisions).
func TestServicesAcrossTheFleet(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	keyFile := filepath.Join(t.TempDir(), "secret.key")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := startFleet(t, 3, "--secret-key-file", keyFile)
	a, b := f.nodes[0], f.nodes[1]
	a.mustWisp(t, "deploy", servicesApp(t))
	for _, m := range f.nodes {
		m.waitServes(t, "/svc?open+default", "open 0", time.Minute)
	}

	a.mustWisp(t, "kv", "set", "default", "greeting", "hello-fleet")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := a.CLI().Command(ctx, "secret", "set", "svc", "token")
	cmd.Stdin = strings.NewReader("fleet-secret-value")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("wisp secret set: %v\n%s", err, out.String())
	}
	b.waitServes(t, "/svc?open+default;get+greeting;var+token", "get 0 hello-fleet\nvar 0 fleet-secret-value", 30*time.Second)

	// Increments through all three nodes at once.
	const clients, each = 6, 20
	var ok, failed atomic.Int64
	var firstErr sync.Once
	var wg sync.WaitGroup
	for i := range clients {
		m := f.nodes[i%len(f.nodes)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				status, body, err := m.Get("/svc?open+default;incr+hits+1")
				if err == nil && status == 200 && strings.Contains(body, "incr 0 ") {
					ok.Add(1)
					continue
				}
				failed.Add(1)
				firstErr.Do(func() { t.Errorf("increment through %s: %d %q %v", m.id, status, body, err) })
			}
		}()
	}
	wg.Wait()
	status, body, err := f.nodes[2].Get("/svc?open+default;incr+hits+0")
	if err != nil || status != 200 {
		t.Fatalf("read the count: %d %q %v", status, body, err)
	}
	want := "incr 0 " + strconv.FormatInt(ok.Load(), 10) + "\n"
	if !strings.Contains(body, want) || failed.Load() != 0 {
		t.Fatalf("after %d acknowledged increments (%d failed) the count reads %q, want %q", ok.Load(), failed.Load(), body, want)
	}
	t.Logf("%d increments through 3 nodes; the count reads %q", ok.Load(), strings.TrimSpace(body))
}
