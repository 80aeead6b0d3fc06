package telemetry

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// refusingExporter fails every export.
type refusingExporter struct{ sdktrace.SpanExporter }

func (refusingExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error {
	return errors.New("collector said no")
}

// TestNotedExporterNotesFailuresSparingly fails three exports in a row:
// the batcher is told each succeeded (so OpenTelemetry's global handler
// never sees them), and the log has one warn line for the first, the
// others counted for the next note.
func TestNotedExporterNotesFailuresSparingly(t *testing.T) {
	var buf bytes.Buffer
	e := &notedExporter{SpanExporter: refusingExporter{}, logger: slog.New(slog.NewTextHandler(&buf, nil))}
	spans := tracetest.SpanStubs{{Name: "a"}, {Name: "b"}}.Snapshots()
	for i := range 3 {
		if err := e.ExportSpans(t.Context(), spans); err != nil {
			t.Fatalf("export %d reported %v to the batcher", i, err)
		}
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], "spans=2") || !strings.Contains(lines[0], "collector said no") {
		t.Fatalf("log:\n%s\nwant one warn line for the first 2 spans, naming the error", buf.String())
	}
	if e.dropped != 4 {
		t.Errorf("%d dropped spans waiting for the next note, want 4", e.dropped)
	}
}
