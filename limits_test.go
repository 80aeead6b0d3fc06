package wisp_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
)

func TestCPULimitValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		cpu  time.Duration
		want string // "" for valid
	}{
		{"unset is the default", 0, ""},
		{"50ms", 50 * time.Millisecond, ""},
		{"the maximum", 15 * time.Minute, ""},
		{"negative", -time.Millisecond, "limits.cpu -1ms is out of range"},
		{"over the maximum", 16 * time.Minute, "limits.cpu 16m0s is out of range: use at most 15m0s"},
		{"below 1ms", 500 * time.Microsecond, "below the smallest CPU limit of 1ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := wisp.Limits{CPU: wisp.Duration(tc.cpu)}.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.want != "" && (!errors.Is(err, wisp.ErrInvalid) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate: %v, want ErrInvalid with %q", err, tc.want)
			}
		})
	}
	if got := (wisp.Limits{}).WithDefaults().CPU; got != wisp.DefaultLimits.CPU || got != wisp.Duration(10*time.Second) {
		t.Fatalf("default cpu limit %s", got)
	}
}
