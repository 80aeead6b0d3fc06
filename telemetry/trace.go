package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/wisphq/wisp"
)

// TracesFromEnv returns a TracerProvider exporting spans by OTLP over
// HTTP (protobuf), configured by the standard OpenTelemetry variables that
// getenv returns (os.Getenv in `wisp serve`), or nil if they leave tracing
// off, which is the default. Tracing is on when OTEL_TRACES_EXPORTER is
// "otlp", or when it is unset and OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set; OTEL_SDK_DISABLED=true and
// OTEL_TRACES_EXPORTER=none turn it off. The exporter itself reads
// OTEL_EXPORTER_OTLP_[TRACES_]{ENDPOINT,HEADERS,TIMEOUT,COMPRESSION,
// CERTIFICATE,...}, the SDK OTEL_TRACES_SAMPLER[_ARG] (default
// parentbased_always_on), OTEL_BSP_* (batching), OTEL_SERVICE_NAME
// (default "wisp") and OTEL_RESOURCE_ATTRIBUTES. service.version and
// service.instance.id are set from version and nodeID.
//
// Errors name the variable and what to write instead: other exporters
// than otlp, and protocols other than http/protobuf, are not built in.
// The caller calls Shutdown on the provider to flush the last spans.
//
// A batch the collector does not take is dropped and noted on logger
// (level warn, at most one line per exportNoteEvery; nil: not noted),
// never through OpenTelemetry's process-wide error handler, whose default
// writes an unstructured line to the standard library's log.
func TracesFromEnv(ctx context.Context, getenv func(string) string, version, nodeID string, logger *slog.Logger) (*sdktrace.TracerProvider, error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return nil, nil
	}
	switch exp := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); exp {
	case "none":
		return nil, nil
	case "":
		if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
			return nil, nil
		}
	case "otlp":
	default:
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=%q: this node exports traces only by OTLP: set it to otlp (or none), and point OTEL_EXPORTER_OTLP_ENDPOINT at a collector", exp)
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		p := strings.TrimSpace(getenv(name))
		if p == "" {
			continue
		}
		if p != "http/protobuf" {
			return nil, fmt.Errorf("%s=%q: this node sends OTLP over HTTP with protobuf only: set it to http/protobuf (a collector's port 4318) or unset it", name, p)
		}
		break // the signal's own variable wins
	}
	// The exporter reads the process environment itself: a getenv other
	// than os.Getenv could not configure it.
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter (OTEL_EXPORTER_OTLP_*): %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(
			attribute.String("service.name", "wisp"),
			attribute.String("service.version", version),
			attribute.String("service.instance.id", nodeID),
		),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	noted := &notedExporter{SpanExporter: exporter, logger: logger}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(noted), sdktrace.WithResource(res)), nil
}

// exportNoteEvery is the least time between two notes of failed exports.
const exportNoteEvery = 10 * time.Second

// notedExporter notes a failed export on the node's log and reports
// success to the batcher, so the failure is not handed to OpenTelemetry's
// global error handler as well. Safe for concurrent use.
type notedExporter struct {
	sdktrace.SpanExporter
	logger  *slog.Logger
	now     func() time.Time // time.Now if nil
	mu      sync.Mutex
	last    time.Time // of the latest note
	dropped int       // spans of failed exports since it
	lastErr error     // the latest failure since it
}

func (e *notedExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	if err == nil {
		return nil
	}
	if e.logger == nil {
		return err // OpenTelemetry's handler says it, rather than no one
	}
	now := time.Now()
	if e.now != nil {
		now = e.now()
	}
	e.mu.Lock()
	e.dropped += len(spans)
	e.lastErr = err
	if now.Sub(e.last) < exportNoteEvery {
		e.mu.Unlock()
		return nil
	}
	e.last = now
	e.mu.Unlock()
	e.note(ctx)
	return nil
}

// Shutdown notes the failures not noted yet, then shuts the exporter down.
func (e *notedExporter) Shutdown(ctx context.Context) error {
	err := e.SpanExporter.Shutdown(ctx)
	if e.logger != nil {
		e.note(ctx)
	}
	return err
}

// note logs the failures since the latest note, if any.
func (e *notedExporter) note(ctx context.Context) {
	e.mu.Lock()
	dropped, err := e.dropped, e.lastErr
	e.dropped, e.lastErr = 0, nil
	e.mu.Unlock()
	if dropped == 0 {
		return
	}
	e.logger.LogAttrs(ctx, slog.LevelWarn, "traces: the OTLP collector did not take spans; they are dropped (check OTEL_EXPORTER_OTLP_ENDPOINT and that the collector is up)",
		slog.Int("spans", dropped), slog.String("err", err.Error()))
}

// requestAttributes are a request span's attributes at its start
// (OpenTelemetry's HTTP semantic conventions).
func requestAttributes(r *http.Request) []attribute.KeyValue {
	method := knownMethod(r.Method)
	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", method),
		attribute.String("url.path", r.URL.Path),
		attribute.String("server.address", r.Host),
		attribute.String("network.protocol.version", fmt.Sprintf("%d.%d", r.ProtoMajor, r.ProtoMinor)),
	}
	if method != r.Method {
		attrs = append(attrs, attribute.String("http.request.method_original", r.Method))
	}
	return attrs
}

// knownMethod returns method if it is one of HTTP's registered methods
// and "_OTHER" otherwise, as OpenTelemetry's HTTP conventions say: the
// method comes from the client, and span names and attributes built from
// any token it sends would have no bound.
func knownMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return "_OTHER"
}

// spanNameOf is a request span's name before it is routed: its method, or
// "HTTP" for a method knownMethod does not know.
func spanNameOf(r *http.Request) string {
	if m := knownMethod(r.Method); m != "_OTHER" {
		return m
	}
	return "HTTP"
}

// endRequestSpan names a request's span after its route ("GET /hello/..."),
// adds what served it and ends it.
func endRequestSpan(span trace.Span, status int, app, route string) {
	attrs := []attribute.KeyValue{attribute.Int("http.response.status_code", status)}
	if app != "" {
		attrs = append(attrs, attribute.String("wisp.app", app), attribute.String("http.route", route))
		span.SetName(methodOf(span) + " " + route)
	}
	span.SetAttributes(attrs...)
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}

// methodOf returns the method a request span was named after at its start.
func methodOf(span trace.Span) string {
	if ro, ok := span.(sdktrace.ReadOnlySpan); ok {
		return ro.Name()
	}
	return "HTTP"
}

// spanName is a step's span name: "admission", "kv get", "outbound GET".
func spanName(step wisp.Step) string {
	if step.Op == "" {
		return step.Kind.String()
	}
	return step.Kind.String() + " " + step.Op
}

func spanKind(step wisp.Step) trace.SpanKind {
	if step.Kind == wisp.StepOutbound {
		return trace.SpanKindClient
	}
	return trace.SpanKindInternal
}

// stepAttributes are a step's span attributes.
func stepAttributes(step wisp.Step) []attribute.KeyValue {
	switch step.Kind {
	case wisp.StepKV:
		return []attribute.KeyValue{attribute.String("wisp.kv.store", step.Target), attribute.String("wisp.kv.op", step.Op)}
	case wisp.StepOutbound:
		return []attribute.KeyValue{attribute.String("http.request.method", step.Op), attribute.String("url.full", step.Target)}
	case wisp.StepConfig:
		return []attribute.KeyValue{attribute.String("wisp.variable", step.Target)}
	}
	return nil
}

// endSpan ends a step's span, if it has one, marking it failed with err
// (a key not found is no failure).
func endSpan(m wisp.Mark, err error) {
	span, ok := m.Span.(trace.Span)
	if !ok {
		return
	}
	if err != nil && !errors.Is(err, wisp.ErrNotFound) {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
