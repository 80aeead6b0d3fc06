package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/testnode"
)

// TestServeRefusesAppsItsOwnListeners runs `wisp serve` in-process with
// an app allowed every port of 127.0.0.1 (as the links examples are) and
// checks that the app reaches an upstream on loopback but neither the
// node's admin API nor its gateway: their addresses, bound on port 0, are
// refused by name.
func TestServeRefusesAppsItsOwnListeners(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/x-up")
		io.WriteString(w, "up")
	}))
	defer upstream.Close()
	wasm, err := os.ReadFile(filepath.Join(testdata, "..", "..", "..", "testdata", "wasm", "services.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	app := t.TempDir()
	writeFiles(t, app, map[string]string{
		"wisp.toml": "name = \"svc\"\nmodule = \"svc.wasm\"\nroutes = [\"/svc\"]\nkey_value_stores = [\"default\"]\nallowed_outbound_hosts = [\"http://127.0.0.1:*\"]\n",
		"svc.wasm":  string(wasm),
	})

	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr testnode.Buffer
	done := make(chan int, 1)
	exited := false
	go func() {
		done <- Run(ctx, []string{"wisp", "serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
			"--memory-budget", "0", "--grace", "2s", "--deploy", app}, &stdout, &stderr)
	}()
	defer func() {
		cancel()
		if exited {
			return
		}
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("wisp serve did not stop within 10s of its context's end")
		}
	}()
	banner := regexp.MustCompile(`gateway +(http://\S+)\n +admin +(http://\S+)`)
	var gw, admin string
	err = testnode.Poll(20*time.Second, func() (bool, error) {
		select {
		case code := <-done:
			exited = true
			return false, fmt.Errorf("wisp serve exited with %d", code)
		default:
		}
		m := banner.FindStringSubmatch(stdout.String())
		if m == nil || !strings.Contains(stdout.String(), "svc") {
			return false, nil // banner, then the deployed app's line
		}
		gw, admin = m[1], m[2]
		return true, nil
	})
	if err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}

	send := func(url string) string {
		t.Helper()
		resp, err := http.Get(gw + "/svc?send+GET+" + url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	cases := []struct{ name, url, want string }{
		{"an upstream on loopback", upstream.URL + "/", "send 0 200 text/x-up up\n"},
		{"the admin API", admin + "/v1/apps", fmt.Sprintf("send 3: denied: GET %s/v1/apps: %s is the node's own admin listener, which apps may never reach\n", admin, strings.TrimPrefix(admin, "http://"))},
		{"the gateway", gw + "/svc", fmt.Sprintf("send 3: denied: GET %s/svc: %s is the node's own gateway, which apps may never reach\n", gw, strings.TrimPrefix(gw, "http://"))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := send(c.url); got != c.want {
				t.Errorf("the app answered\n %q\nwant\n %q", got, c.want)
			}
		})
	}
}
