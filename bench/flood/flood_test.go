package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/bench/internal/testbed"
	"github.com/wisphq/wisp/internal/testnode"
)

// TestFloodKeepsHealthyAppServing runs a short flood against the real
// binary and asserts only what must hold on any machine, however slow:
// the healthy app answers every request 200, the looping app answers only
// 504 or 503 and never hangs past its limits, and /healthz stays 200.
// Latencies are reported, not judged.
func TestFloodKeepsHealthyAppServing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and floods a real node; skipped with -short")
	}
	root, err := testnode.Root()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin, err := testnode.BuildContext(ctx, root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{bin: bin, requests: 200, concurrency: 2, flood: 24, loopTimeout: 300 * time.Millisecond, loopConcurrency: 4}
	res, err := measure(ctx, cfg, testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.problems() {
		t.Error(p)
	}
	if got := len(res.during.Latencies); got != cfg.requests {
		t.Errorf("the healthy app answered %d of %d requests during the flood", got, cfg.requests)
	}
	if res.loop.count(http.StatusGatewayTimeout) == 0 || res.loop.count(http.StatusServiceUnavailable) == 0 {
		t.Errorf("the flood should see both 504 (timeout) and 503 (full): %v", res.loop.Statuses)
	}
	t.Logf("healthy p50/p99 %s/%s without, %s/%s during the flood; looping app: %v",
		millis(testbed.Percentile(res.baseline.Latencies, 0.5)), millis(testbed.Percentile(res.baseline.Latencies, 0.99)),
		millis(testbed.Percentile(res.during.Latencies, 0.5)), millis(testbed.Percentile(res.during.Latencies, 0.99)), res.loop.Statuses)
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i + 1
	}
	return s
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
