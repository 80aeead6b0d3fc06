package gateway_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/memstore"
)

// TestChunkedBodyWindow checks the two ways a chunked request body reaches
// the guest: whole, with an exact CONTENT_LENGTH, when it fits the window
// read before the app runs; streamed, without CONTENT_LENGTH, when not.
func TestChunkedBodyWindow(t *testing.T) {
	srv, _ := newGateway(t, wisp.Limits{MaxBody: 1 << 20}, "env=printenv.wasm:/env")
	tests := []struct {
		name       string
		size       int
		wantLength bool // CONTENT_LENGTH is set
	}{
		{"empty", 0, true},
		{"within window", 10 << 10, true},
		{"exactly the window", 16 << 10, true},
		{"one byte over the window", 16<<10 + 1, false},
		{"over window", 200 << 10, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.Repeat("z", tt.size)
			req, _ := http.NewRequest("POST", srv.URL+"/env", io.MultiReader(strings.NewReader(body)))
			req.ContentLength = -1 // sent chunked
			resp, out := do(t, req)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %.200s", resp.StatusCode, out)
			}
			hasLength := strings.Contains(out, "\nCONTENT_LENGTH=")
			if hasLength != tt.wantLength {
				t.Errorf("CONTENT_LENGTH set: %v; want %v", hasLength, tt.wantLength)
			}
			if !strings.HasSuffix(out, "stdin="+body) {
				t.Errorf("the guest did not read the whole body (%d bytes)", tt.size)
			}
		})
	}
}

// TestChunkedBodyOverBudget checks that the window of a chunked body is
// reserved in the node's memory budget: with no room left, the request is
// refused at once with 503, before anything is read.
func TestChunkedBodyOverBudget(t *testing.T) {
	// A budget that the app's own reservation fills.
	node, err := wisp.New(wisp.Config{Store: memstore.New(), MemoryBudget: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	srv := serveApps(t, node, wisp.Limits{}, "env=../testdata/wasm/printenv.wasm:/env").URL
	release, err := node.Reserve("", 1<<30-8<<10, "the test's hold on the budget")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequest("POST", srv+"/env", pr) // chunked, never ends
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "busy") {
		t.Fatalf("status %d %q; want 503", resp.StatusCode, b)
	}
	t.Logf("refused in %s", time.Since(start))
}

// TestResponseWindowIsOfBody checks that the window held before a
// response streams is 64 KiB of body, whatever the header's size: a
// response of 70,000 bytes of body streams (chunked).
func TestResponseWindowIsOfBody(t *testing.T) {
	srv, _ := newGateway(t, wisp.Limits{}, "env=printenv.wasm:/env")
	for _, tc := range []struct {
		size    int
		chunked bool
	}{{60000, false}, {70000, true}} {
		req, _ := http.NewRequest("POST", srv.URL+"/env", strings.NewReader(strings.Repeat("w", tc.size)))
		resp, body := do(t, req)
		if resp.StatusCode != 200 || (resp.ContentLength == -1) != tc.chunked {
			t.Errorf("%d bytes echoed: status %d, Content-Length %d (%d bytes read); want chunked: %v", tc.size, resp.StatusCode, resp.ContentLength, len(body), tc.chunked)
		}
	}
}
