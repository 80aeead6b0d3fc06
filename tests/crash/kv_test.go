package crash

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/testnode"
)

// TestKillDuringKeyValueWrites sends key-value writes through an app from
// several clients, kills the node with SIGKILL in the middle of them, and
// checks after the restart that every write the app acknowledged (its
// answer said "set 0") is there with its value. Writes in flight at the
// kill may or may not be there; none may be torn.
func TestKillDuringKeyValueWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the kill -9 test")
	}
	dir := t.TempDir()
	wasm, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "wasm", "services.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	manifest := "name = \"kv\"\nmodule = \"services.wasm\"\nroutes = [\"/kv\"]\nkey_value_stores = [\"default\"]\nallowed_outbound_hosts = [\"http://127.0.0.1:1\"]\n"
	os.WriteFile(filepath.Join(dir, "services.wasm"), wasm, 0o644)
	os.WriteFile(filepath.Join(dir, "wisp.toml"), []byte(manifest), 0o644)

	data := t.TempDir()
	n := startNode(t, data)
	n.mustWisp("deploy", dir)

	var mu sync.Mutex
	acked := map[string]string{} // key -> value acknowledged
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key, value := fmt.Sprintf("c%d-%d", c, i), fmt.Sprintf("v%d-%d-%s", c, i, strings.Repeat("x", i%50))
				status, body, err := n.Get("/kv?open+default;set+" + key + "+" + value)
				if err != nil {
					return // the node is gone
				}
				if status == 200 && strings.Contains(body, "set 0") {
					mu.Lock()
					acked[key] = value
					mu.Unlock()
				}
			}
		}()
	}
	// Kill once a good number of writes were acknowledged.
	if err := testnode.Poll(30*time.Second, func() (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 200, nil
	}); err != nil {
		t.Fatal("fewer than 200 writes acknowledged in 30s")
	}
	n.Kill()
	close(stop)
	wg.Wait()

	n = startNode(t, data)
	mu.Lock()
	defer mu.Unlock()
	lost := 0
	for key, value := range acked {
		status, body := n.get("/kv?open+default;get+" + key)
		if status != 200 || !strings.Contains(body, "get 0 "+value+"\n") {
			lost++
			if lost < 5 {
				t.Errorf("acknowledged write %s=%s lost after kill -9: %d %q", key, value, status, body)
			}
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged writes lost", lost, len(acked))
	}
	t.Logf("%d acknowledged writes all survived kill -9", len(acked))
}
