package observability

import (
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/wisphq/wisp/internal/testnode"
)

// otlpReceiver is an OTLP/HTTP trace receiver: it decodes each export with
// the OpenTelemetry proto types and keeps the spans with their service.
type otlpReceiver struct {
	mu      sync.Mutex
	spans   []*tracepb.Span
	service string
	bad     error // an export that could not be decoded
}

func (rc *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
		http.Error(w, "OTLP traces only", http.StatusNotFound)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	data, err := io.ReadAll(body)
	var req coltracepb.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(data, &req)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err != nil || r.Header.Get("Content-Type") != "application/x-protobuf" {
		rc.bad = fmt.Errorf("export with Content-Type %q: %v", r.Header.Get("Content-Type"), err)
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	for _, rs := range req.ResourceSpans {
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.Key == "service.name" {
				rc.service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			rc.spans = append(rc.spans, ss.Spans...)
		}
	}
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

// trace returns the spans received of trace id, by name.
func (rc *otlpReceiver) trace(id []byte) (map[string]*tracepb.Span, error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	byName := map[string]*tracepb.Span{}
	for _, s := range rc.spans {
		if string(s.TraceId) == string(id) {
			byName[s.Name] = s
		}
	}
	return byName, rc.bad
}

// TestOTLPTraceOfARequest sends a request carrying a W3C traceparent to an
// app that calls an upstream, and checks the spans the node exports by
// OTLP/HTTP: one trace continuing the caller's, the request's span under
// the caller's, routing, admission, instantiation and the guest's run
// under it, the outbound call under the run; and that the upstream got
// the outbound call's span as its parent.
func TestOTLPTraceOfARequest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	receiver := &otlpReceiver{}
	collector := httptest.NewServer(receiver)
	defer collector.Close()
	var upMu sync.Mutex
	var upstreamParent string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upMu.Lock()
		upstreamParent = r.Header.Get("Traceparent")
		upMu.Unlock()
		io.WriteString(w, "pong")
	}))
	defer upstream.Close()

	n := startNode(t, []string{
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + collector.URL,
		"OTEL_BSP_SCHEDULE_DELAY=50", // export within 50ms rather than 5s
		"OTEL_SERVICE_NAME=wisp-under-test",
	}, "--deploy", outboundApp(t))
	if !strings.Contains(n.Stdout.String(), "traces by OTLP") {
		t.Fatalf("the banner does not say traces are on:\n%s", n.Stdout.String())
	}

	const traceID, callerSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	status, body, err := n.Request(http.MethodGet, "/wagi?"+upstream.URL+"/up", "", map[string]string{
		"Traceparent": "00-" + traceID + "-" + callerSpan + "-01",
	})
	if err != nil || status != 200 || !strings.Contains(body, "status 200") {
		t.Fatalf("GET /wagi: %d %q %v", status, body, err)
	}

	id, _ := hex.DecodeString(traceID)
	want := []string{"GET /wagi", "route", "admission", "instantiate", "run", "outbound POST"}
	var spans map[string]*tracepb.Span
	err = testnode.Poll(20*time.Second, func() (bool, error) {
		var err error
		spans, err = receiver.trace(id)
		for _, name := range want {
			if spans[name] == nil {
				return false, err
			}
		}
		return true, err
	})
	if err != nil {
		names := []string{}
		for name := range spans {
			names = append(names, name)
		}
		t.Fatalf("spans of trace %s: got %q, want %q: %v\nnode's stderr:\n%s", traceID, names, want, err, n.Stderr.String())
	}
	hexID := func(b []byte) string { return hex.EncodeToString(b) }
	request := spans["GET /wagi"]
	parents := []struct{ span, parent string }{
		{"GET /wagi", callerSpan},
		{"route", hexID(request.SpanId)},
		{"admission", hexID(request.SpanId)},
		{"instantiate", hexID(request.SpanId)},
		{"run", hexID(request.SpanId)},
		{"outbound POST", hexID(spans["run"].SpanId)},
	}
	for _, p := range parents {
		if got := hexID(spans[p.span].ParentSpanId); got != p.parent {
			t.Errorf("span %q: parent %s, want %s", p.span, got, p.parent)
		}
	}
	if request.Kind != tracepb.Span_SPAN_KIND_SERVER || spans["outbound POST"].Kind != tracepb.Span_SPAN_KIND_CLIENT {
		t.Errorf("kinds: request %v, outbound %v; want server and client", request.Kind, spans["outbound POST"].Kind)
	}
	attrs := map[string]string{}
	for _, kv := range request.Attributes {
		attrs[kv.Key] = fmt.Sprint(kv.GetValue().GetStringValue(), kv.GetValue().GetIntValue())
	}
	if attrs["wisp.app"] != "wagi0" || attrs["http.response.status_code"] != "200" || attrs["http.route"] != "/wagi0" {
		t.Errorf("request span attributes %v: want wisp.app wagi, status 200, route /wagi", attrs)
	}
	receiver.mu.Lock()
	service := receiver.service
	receiver.mu.Unlock()
	if service != "wisp-under-test" {
		t.Errorf("service.name %q, want OTEL_SERVICE_NAME's wisp-under-test", service)
	}
	upMu.Lock()
	defer upMu.Unlock()
	if want := "00-" + traceID + "-" + hexID(spans["outbound POST"].SpanId) + "-01"; upstreamParent != want {
		t.Errorf("the upstream got traceparent %q, want %q (the outbound call's span)", upstreamParent, want)
	}
}

// TestOTLPCollectorRefusing points the node at a collector that refuses
// every export: the node keeps serving, and says so in its own log (a
// structured warn line, with how many spans it dropped), not through
// OpenTelemetry's default handler, which prints an unstructured line.
func TestOTLPCollectorRefusing(t *testing.T) {
	var exports sync.WaitGroup
	exports.Add(1)
	var once sync.Once
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(exports.Done)
		http.Error(w, "this collector refuses", http.StatusBadRequest)
	}))
	defer collector.Close()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "pong") }))
	defer upstream.Close()
	n := startNode(t, []string{
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + collector.URL,
		"OTEL_BSP_SCHEDULE_DELAY=50",
	}, "--deploy", outboundApp(t), "--log-format", "json")
	if status, _, err := n.Request(http.MethodGet, "/wagi?"+upstream.URL+"/up", "", nil); err != nil || status != 200 {
		t.Fatalf("GET /wagi: %d %v", status, err)
	}
	const note = "traces: the OTLP collector did not take spans"
	err := testnode.Poll(20*time.Second, func() (bool, error) {
		return strings.Contains(n.Stderr.String(), note), nil
	})
	if err != nil {
		t.Fatalf("the node did not note the refused export: %v\nstderr:\n%s", err, n.Stderr.String())
	}
	exports.Wait()
	for _, line := range strings.Split(strings.TrimSpace(n.Stderr.String()), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Errorf("a line of the node's log is not its JSON: %q", line)
			continue
		}
		if strings.Contains(line, note) && (entry["level"] != "WARN" || entry["spans"] == nil || entry["err"] == nil) {
			t.Errorf("the note %q lacks its level, span count or error", line)
		}
	}
	if status, _, err := n.Request(http.MethodGet, "/wagi?"+upstream.URL+"/up", "", nil); err != nil || status != 200 {
		t.Errorf("GET /wagi after the refused exports: %d %v", status, err)
	}
}
