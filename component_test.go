package wisp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/gateway"
)

// uploadFile stores the file at path (from the repository root) and
// returns its digest.
func uploadFile(t testing.TB, n *wisp.Node, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	info, err := n.PutBlob(context.Background(), bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return info.Digest
}

// TestComponentServesLikeItsModule deploys testdata/components/printenv.wasm
// (the preview 1 printenv wrapped by jco new) and the bare module as two
// apps with the same env, and sends both the same requests through the
// gateway: the CGI responses (status, headers, body: environment, argv,
// stdin) are identical but for what names the route.
func TestComponentServesLikeItsModule(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	env := map[string]string{"GREETING": "hello world", "REQUEST_METHOD": "overridden by the request's"}
	for _, app := range []struct{ name, path string }{
		{"bare", "testdata/wasm/printenv.wasm"},
		{"comp", "testdata/components/printenv.wasm"},
	} {
		if _, err := n.Deploy(ctx, wisp.AppSpec{Name: app.name, Module: uploadFile(t, n, app.path), Routes: routes(t, "/"+app.name+"/..."), Env: env}); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(gateway.New(n, nil))
	defer srv.Close()
	port := regexp.MustCompile(`(?m)^REMOTE_PORT=.*\n`)
	get := func(method, app, body string) string {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+"/"+app+"/x/y?q=1", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Test", "a b")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		out := resp.Status + "\n" + resp.Header.Get("Content-Type") + "\n" + resp.Header.Get("Content-Length") + "\n" + string(b)
		return port.ReplaceAllString(strings.ReplaceAll(out, "/"+app, "/APP"), "")
	}
	for _, tc := range []struct{ name, method, body string }{
		{"GET", http.MethodGet, ""},
		{"POST with a body", http.MethodPost, "name=wisp&stdin=yes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bare, comp := get(tc.method, "bare", tc.body), get(tc.method, "comp", tc.body)
			if comp != bare {
				t.Errorf("responses differ:\ncomponent:\n%s\nmodule:\n%s", comp, bare)
			}
			for _, want := range []string{"200 OK", "GREETING=hello world\n", "REQUEST_METHOD=" + tc.method + "\n", "HTTP_X_TEST=a b\n", "stdin=" + tc.body} {
				if !strings.Contains(comp, want) {
					t.Errorf("component response lacks %q:\n%s", want, comp)
				}
			}
		})
	}
}

// TestComponentInvokeOutcomes: a component's failures map to the node's
// errors as a module's do: a loop is killed at the timeout, a non-zero
// exit is ErrGuest, max_response stops it, stderr reaches the app log.
func TestComponentInvokeOutcomes(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, path string
		limits     wisp.Limits
		kind       error
		message    string
	}{
		{"timeout", "testdata/components/extra/loop.wasm", wisp.Limits{Timeout: wisp.Duration(300 * time.Millisecond)}, wisp.ErrTimeout, "ran past its 300ms timeout"},
		{"exit code", "testdata/components/exit3.wasm", wisp.Limits{}, wisp.ErrGuest, "exited with code 1"},
		{"output over max_response", "testdata/components/printenv.wasm", wisp.Limits{MaxResponse: 64}, wisp.ErrTooLarge, "more than its max_response of 64B"},
		{"success", "testdata/components/counter.wasm", wisp.Limits{}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := strings.ReplaceAll(strings.ReplaceAll(tc.name, " ", "-"), "_", "-")
			if _, err := n.Deploy(ctx, wisp.AppSpec{Name: name, Module: uploadFile(t, n, tc.path), Routes: routes(t, "/"+name), Limits: tc.limits}); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err := invoke(n, name)
			if tc.kind == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("err = %v; want %v containing %q", err, tc.kind, tc.message)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("took %s", d)
			}
		})
	}
	t.Run("stderr goes to the app log", func(t *testing.T) {
		if _, err := n.Deploy(ctx, wisp.AppSpec{Name: "logger", Module: uploadFile(t, n, "testdata/components/stderr.wasm"), Routes: routes(t, "/log")}); err != nil {
			t.Fatal(err)
		}
		if _, err := invoke(n, "logger"); err != nil {
			t.Fatal(err)
		}
		entries, _, _ := n.Logs("logger", 0, 0)
		for _, e := range entries {
			if e.Stream == "stderr" && e.Message == "log line from guest" {
				return
			}
		}
		t.Fatalf("stderr line not in the app log: %+v", entries)
	})
}

// TestComponentDeployRefusals: a component Wisp cannot run is refused at
// deploy with ErrInvalid and a message naming the problem; the app's
// memory limit bounds the component's memory.
func TestComponentDeployRefusals(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	// (component (type (instance)) (import "acme:cache/lookup@1.0.0" (instance (type 0))))
	name := "acme:cache/lookup@1.0.0"
	unknown := []byte("\x00asm\x0d\x00\x01\x00\x07\x03\x01\x42\x00\x0a")
	unknown = append(unknown, byte(len(name)+5), 0x01, 0x00, byte(len(name)))
	unknown = append(unknown, name...)
	unknown = append(unknown, 0x05, 0x00)
	for _, tc := range []struct {
		name    string
		wasm    func(t *testing.T) []byte
		memory  wisp.ByteSize
		message string
	}{
		{"imports an interface Wisp does not provide", func(*testing.T) []byte { return unknown },
			0, "component imports acme:cache/lookup@1.0.0: not an interface Wisp provides"},
		{"a reactor", func(t *testing.T) []byte { return read(t, "testdata/components/reactor.wasm") },
			0, "component exports nothing, not wasi:cli/run@0.2.x"},
		{"malformed", func(t *testing.T) []byte { return append(read(t, "testdata/components/counter.wasm")[:200:200], 0xff) },
			0, "component"},
		{"memory over the limit", func(t *testing.T) []byte { return read(t, "testdata/components/printenv.wasm") },
			64 << 10, "over limit of 1 pages"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, err := n.PutBlob(ctx, bytes.NewReader(tc.wasm(t)))
			if err != nil {
				t.Fatal(err)
			}
			_, err = n.Deploy(ctx, wisp.AppSpec{Name: "refused", Module: info.Digest, Routes: routes(t, "/refused"), Limits: wisp.Limits{Memory: tc.memory}})
			if !errors.Is(err, wisp.ErrInvalid) || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("err = %v; want ErrInvalid containing %q", err, tc.message)
			}
		})
	}
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestInvokeEnvFuncOnlyWhenRead checks Input.EnvFunc for modules and
// components alike: called once for a guest that reads its environment
// (printenv), whose variables then win over the app's env, and never for
// one that does not (counter).
func TestInvokeEnvFuncOnlyWhenRead(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	for _, tc := range []struct {
		app, path string
		wantCalls int
		wantOut   []string
	}{
		{"printenv-module", "testdata/wasm/printenv.wasm", 1, []string{"A=call", "B=app", "C=call"}},
		{"printenv-component", "testdata/components/printenv.wasm", 1, []string{"A=call", "B=app", "C=call"}},
		{"counter-module", "testdata/wasm/counter.wasm", 0, []string{"count=1"}},
		{"counter-component", "testdata/components/counter.wasm", 0, []string{"count=1"}},
	} {
		t.Run(tc.app, func(t *testing.T) {
			spec := wisp.AppSpec{Name: tc.app, Module: uploadFile(t, n, tc.path), Routes: routes(t, "/"+tc.app), Env: map[string]string{"A": "app", "B": "app"}}
			if _, err := n.Deploy(ctx, spec); err != nil {
				t.Fatal(err)
			}
			for run := range 2 { // the second on a reused instance or graph
				calls := 0
				var out strings.Builder
				err := n.InvokeApp(ctx, tc.app, wisp.Input{Args: []string{tc.app}, Stdout: &out, EnvFunc: func() []string {
					calls++
					return []string{"A=call", "C=call"}
				}})
				if err != nil {
					t.Fatalf("run %d: %v", run, err)
				}
				if calls != tc.wantCalls {
					t.Errorf("run %d: EnvFunc called %d times, want %d", run, calls, tc.wantCalls)
				}
				lines := strings.Split(out.String(), "\n")
				for _, want := range tc.wantOut {
					if !slices.Contains(lines, want) {
						t.Errorf("run %d: output has no line %q:\n%s", run, want, out.String())
					}
				}
			}
		})
	}
}
