package wisp_test

import (
	"testing"
	"time"

	"github.com/wisphq/wisp"
)

// TestFormatCPU checks the CPU times logs, the CLI and the dashboard show:
// microseconds below a millisecond, never "0s" for a metered request.
func TestFormatCPU(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
		want string
	}{
		{"zero", 0, "0.0µs"},
		{"a tenth of a µs: 405 fuel", 101 * time.Nanosecond, "0.1µs"},
		{"a few µs", 2549 * time.Nanosecond, "2.5µs"},
		{"just under 10µs rounds up to whole µs", 9990 * time.Nanosecond, "10µs"},
		{"hundreds of µs", 370_896 * time.Nanosecond, "371µs"},
		{"just under 1ms rounds up to ms", 999_700 * time.Nanosecond, "1.00ms"},
		{"ms", 1_483_587 * time.Nanosecond, "1.48ms"},
		{"tens of ms", 52_300 * time.Microsecond, "52.30ms"},
		{"seconds", 2500 * time.Millisecond, "2.500s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wisp.FormatCPU(tt.d); got != tt.want {
				t.Errorf("FormatCPU(%d) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
	if got, want := (wisp.Usage{Fuel: 405, CPU: wisp.Duration(101)}).String(), "0.1µs cpu, 405 fuel"; got != want {
		t.Errorf("Usage.String() = %q, want %q", got, want)
	}
}
