package telemetry

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// refusingExporter fails every export.
type refusingExporter struct{ sdktrace.SpanExporter }

func (refusingExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error {
	return errors.New("collector said no")
}

func (refusingExporter) Shutdown(context.Context) error { return nil }

// TestNotedExporterNotesFailuresSparingly fails exports in a row: the
// batcher is told each succeeded (so OpenTelemetry's global handler never
// sees them), the log has a warn line for the first, the next after
// exportNoteEvery counting the spans between, and Shutdown notes the rest.
func TestNotedExporterNotesFailuresSparingly(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	e := &notedExporter{SpanExporter: refusingExporter{}, logger: slog.New(slog.NewTextHandler(&buf, nil)), now: func() time.Time { return clock }}
	spans := tracetest.SpanStubs{{Name: "a"}, {Name: "b"}}.Snapshots()
	export := func() {
		t.Helper()
		if err := e.ExportSpans(t.Context(), spans); err != nil {
			t.Fatalf("an export reported %v to the batcher", err)
		}
	}
	lines := func() []string { return strings.Split(strings.TrimSpace(buf.String()), "\n") }
	for range 3 {
		export()
	}
	if l := lines(); len(l) != 1 || !strings.Contains(l[0], "level=WARN") || !strings.Contains(l[0], "spans=2") || !strings.Contains(l[0], "collector said no") {
		t.Fatalf("log:\n%s\nwant one warn line for the first 2 spans, naming the error", buf.String())
	}
	clock = clock.Add(exportNoteEvery)
	export()
	if l := lines(); len(l) != 2 || !strings.Contains(l[1], "spans=6") {
		t.Fatalf("log:\n%s\nwant a second line %v later, for the 6 spans since the first", buf.String(), exportNoteEvery)
	}
	export()
	if err := e.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if l := lines(); len(l) != 3 || !strings.Contains(l[2], "spans=2") {
		t.Fatalf("log:\n%s\nwant Shutdown to note the 2 spans not noted yet", buf.String())
	}
}

// TestNotedExporterWithoutLogger hands failures back to the batcher when
// there is no log to note them on.
func TestNotedExporterWithoutLogger(t *testing.T) {
	e := &notedExporter{SpanExporter: refusingExporter{}}
	if err := e.ExportSpans(t.Context(), nil); err == nil {
		t.Fatal("a failed export without a logger reported success")
	}
}
