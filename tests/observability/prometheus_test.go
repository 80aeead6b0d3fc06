package observability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/testnode"
)

// TestPrometheusScrapesTheNode runs Debian's Prometheus against a node's
// /metrics (with the admin token, as an operator configures it) and
// queries what it stored; then promtool lints the exposition.
func TestPrometheusScrapesTheNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node and a Prometheus server")
	}
	promBin, promtool := requireTool(t, "prometheus"), requireTool(t, "promtool")
	n := startNode(t, nil, "--deploy", "examples/hello", "--deploy", outboundApp(t))
	for i := 0; i < 5; i++ {
		if status, body, err := n.Get("/hello"); err != nil || status != 200 {
			t.Fatalf("GET /hello: %d %q %v", status, body, err)
		}
	}
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "pong") }))
	defer upstream.Close()
	if status, body, err := n.Get("/wagi?" + upstream.URL + "/up"); err != nil || status != 200 || !strings.Contains(body, "status 200") {
		t.Fatalf("GET /wagi: %d %q %v", status, body, err)
	}
	if status, _, err := n.Get("/nothing-here"); err != nil || status != 404 {
		t.Fatalf("GET /nothing-here: %d %v", status, err)
	}

	// Without the token, /metrics is refused like the rest of the API.
	resp, err := http.Get(n.Admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /metrics without a token: %d, want 401", resp.StatusCode)
	}

	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(n.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	target := strings.TrimPrefix(n.Admin, "http://")
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: wisp
    authorization:
      type: Bearer
      credentials_file: %s
    static_configs:
      - targets: ["%s"]
`, tokenFile, target)
	configFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configFile, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	promAddr := freeAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var promOut bytes.Buffer
	cmd := exec.CommandContext(ctx, promBin, "--config.file="+configFile, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &promOut, &promOut
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()

	query := func(q string) (float64, bool, error) {
		resp, err := http.Get("http://" + promAddr + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			return 0, false, nil // not up yet
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			return 0, false, nil // starting up
		}
		var r struct {
			Status string
			Data   struct {
				Result []struct {
					Value [2]any
				}
			}
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.Status != "success" {
			return 0, false, fmt.Errorf("query %s: status %q, %v", q, r.Status, err)
		}
		if len(r.Data.Result) == 0 {
			return 0, false, nil
		}
		s, _ := r.Data.Result[0].Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		return v, err == nil, err
	}
	// What Prometheus must have stored from the node, each at least the
	// value given.
	want := []struct {
		query string
		min   float64
	}{
		{`up{job="wisp"}`, 1},
		{`wisp_app_requests_total{app="hello",version="1",code="2xx"}`, 5},
		{`wisp_app_request_duration_seconds_count{app="hello"}`, 5},
		{`wisp_app_instance_start_seconds_count{app="hello"}`, 5},
		{`wisp_app_guest_memory_high_water_bytes{app="hello"}`, 65536},
		{`wisp_app_rejections_total{app="hello",reason="queue_full"}`, 0},
		{`wisp_app_fuel_total{app="hello"}`, 5},           // at least a unit of fuel per request
		{`wisp_app_cpu_seconds_total{app="hello"}`, 1e-9}, // that fuel as CPU time: more than nothing
		{`wisp_app_cpu_limit_stops_total{app="hello"}`, 0},
		{`wisp_app_host_call_duration_seconds_count{app="wagi",service="outbound"}`, 1},
		{`wisp_app_response_body_bytes_total{app="wagi"}`, 1},
		{`wisp_unrouted_requests_total{code="4xx"}`, 1},
		{`wisp_deploys_total{outcome="deployed"}`, 2},
		{`wisp_store_operation_duration_seconds_count{op="PutApp"}`, 2},
		{`wisp_code_cache_hits_total`, 5},
		{`wisp_code_cache_modules`, 2},
		{`wisp_instances_limit`, 512},
		{`wisp_build_info`, 1},
		{`go_goroutines`, 1},
	}
	for _, w := range want {
		var last float64
		err := testnode.Poll(30*time.Second, func() (bool, error) {
			v, ok, err := query(w.query)
			last = v
			return ok && v >= w.min, err
		})
		if err != nil {
			t.Fatalf("prometheus: %s = %v, want at least %v: %v\nprometheus said:\n%s", w.query, last, w.min, err, promOut.String())
		}
	}

	// promtool lints the exposition as the node serves it.
	req, _ := http.NewRequest(http.MethodGet, n.Admin+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+n.Token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	exposition, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	check := exec.CommandContext(ctx, promtool, "check", "metrics")
	check.Stdin = bytes.NewReader(exposition)
	out, err := check.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
