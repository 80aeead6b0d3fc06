package jstest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/component/binary"
	"github.com/wisphq/wisp/internal/component/canon"
	"github.com/wisphq/wisp/internal/component/plan"
	"github.com/wisphq/wisp/internal/component/wasi"
	"github.com/wisphq/wisp/internal/engine"
)

type stateKey struct{}

// handler is the JS component compiled, with what a request needs.
type handler struct {
	c                *engine.Component
	handle           *plan.Export
	reqType, outType *canon.ResourceType
}

// graphView adapts an engine.ComponentInstance to plan.Graph.
type graphView struct{ g *engine.ComponentInstance }

func (v graphView) Memory(step int, name string) (canon.Memory, bool) { return v.g.Memory(step, name) }
func (v graphView) Call(ctx context.Context, step int, name string, params []uint64) ([]uint64, error) {
	return v.g.Call(ctx, step, name, params...)
}

func buildJS(t testing.TB) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("building the JavaScript component takes about 10 s: skipped under -short")
	}
	root, _ := filepath.Abs(filepath.Join("..", "..", ".."))
	script := filepath.Join(root, "tools", "jco", "componentize-hello.mjs")
	if _, err := os.Stat(filepath.Join(root, "tools", "jco", "node_modules", "@bytecodealliance", "componentize-js")); err != nil {
		t.Skip("componentize-js is not installed: run scripts/install-jco.sh")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: run scripts/install-jco.sh")
	}
	out := filepath.Join(t.TempDir(), "hello.wasm")
	if b, err := exec.Command(node, script, out).CombinedOutput(); err != nil {
		t.Fatalf("componentize-hello.mjs: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func valueTypesOf(ts []canon.CoreType) []engine.ValueType {
	out := make([]engine.ValueType, len(ts))
	for i, t := range ts {
		out[i] = map[canon.CoreType]engine.ValueType{canon.I32: engine.I32, canon.I64: engine.I64, canon.F32Core: engine.F32, canon.F64Core: engine.F64}[t]
	}
	return out
}

func compile(t testing.TB, wasm []byte) *handler {
	t.Helper()
	dc, err := binary.Decode(wasm)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(dc)
	if err != nil {
		t.Fatal(err)
	}
	calls, err := p.HostCalls(wasi.Binder(func(ctx context.Context) *wasi.State {
		s, _ := ctx.Value(stateKey{}).(*wasi.State)
		return s
	}))
	if err != nil {
		t.Fatal(err)
	}
	spec := engine.ComponentSpec{}
	for _, s := range p.Steps {
		spec.Steps = append(spec.Steps, s.Wasm)
	}
	for j, h := range p.Host {
		spec.Host = append(spec.Host, engine.ComponentHostFunc{Params: valueTypesOf(h.Core.Params), Results: valueTypesOf(h.Core.Results), Fn: calls[j]})
	}
	e, err := engine.New(engine.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	c, err := e.CompileComponent(context.Background(), spec, 256<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	h := &handler{c: c}
	var ok bool
	if h.handle, ok = p.Export("wasi:http/incoming-handler@0.2.0", "handle"); !ok {
		t.Fatal("the component exports no wasi:http/incoming-handler.handle")
	}
	if h.reqType, ok = p.Resource("wasi:http/types@0.2.0", "incoming-request"); !ok {
		t.Fatal("the plan has no incoming-request resource")
	}
	if h.outType, ok = p.Resource("wasi:http/types@0.2.0", "response-outparam"); !ok {
		t.Fatal("the plan has no response-outparam resource")
	}
	return h
}

// serve runs one request: instantiate, handle, close.
func (h *handler) serve(ctx context.Context, s *wasi.State, req *http.Request, w http.ResponseWriter) error {
	ctx = context.WithValue(ctx, stateKey{}, s)
	r := &plan.Run{Instance: canon.NewInstance(nil)}
	ctx = plan.WithRun(ctx, r)
	g, err := h.c.Instantiate(ctx)
	if err != nil {
		return err
	}
	defer g.Close(ctx)
	r.Graph = graphView{g}
	reqRep, err := s.NewIncomingRequest(req, nil)
	if err != nil {
		return err
	}
	outRep, err := s.NewResponseOutparam(w)
	if err != nil {
		return err
	}
	_, err = r.CallExport(ctx, h.handle, []any{reqRep, outRep})
	return err
}

// The JavaScript handler answers a GET and a POST in process: status,
// headers and the echoed method, path, header and body.
func TestJSHandlerAnswers(t *testing.T) {
	h := compile(t, buildJS(t))
	if h.reqType == h.outType {
		t.Fatal("incoming-request and response-outparam share a resource type")
	}
	for _, tc := range []struct {
		name, method, body string
		status             int
		want               string
	}{
		{"get", "GET", "", 200, "hello from JavaScript\nGET /hi there\n"},
		{"post", "POST", "posted body", 201, "hello from JavaScript\nPOST /hi there\nposted body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "http://example.test/hi?q=1", strings.NewReader(tc.body))
			req.Header.Set("X-Echo", "there")
			rec := httptest.NewRecorder()
			var stderr strings.Builder
			s := &wasi.State{Stderr: &stderr}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := h.serve(ctx, s, req, rec); err != nil {
				t.Fatalf("handle: %v (stderr %q)", err, stderr.String())
			}
			if s.ResponseError != "" {
				t.Fatalf("the component answered an error: %s (stderr %q)", s.ResponseError, stderr.String())
			}
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d", rec.Code, tc.status)
			}
			if got := rec.Header().Get("Content-Type"); got != "text/plain" {
				t.Errorf("content-type %q, want text/plain", got)
			}
			if got := rec.Header().Get("X-Method"); got != tc.method {
				t.Errorf("x-method %q, want %q", got, tc.method)
			}
			if got := rec.Body.String(); got != tc.want {
				t.Errorf("body %q, want %q", got, tc.want)
			}
		})
	}
	// One request's cost: instantiate + handle + close.
	const n = 5
	start := time.Now()
	for range n {
		req := httptest.NewRequest("GET", "http://example.test/hi", nil)
		if err := h.serve(context.Background(), &wasi.State{}, req, httptest.NewRecorder()); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("one request (instantiate + handle + close): %v", time.Since(start)/n)
}
