package engine

import (
	goruntime "runtime"
	"slices"
	"testing"

	"github.com/tetratelabs/wazero"
)

// TestMode checks Mode against wazero's documented rule: the compiler on
// amd64 and arm64 under the systems it supports, else the interpreter.
func TestMode(t *testing.T) {
	want := ModeInterpreter
	switch {
	case goruntime.GOARCH == "arm64" && slices.Contains([]string{"linux", "darwin", "freebsd", "netbsd", "windows"}, goruntime.GOOS),
		goruntime.GOARCH == "amd64" && slices.Contains([]string{"linux", "darwin", "freebsd", "netbsd", "windows", "dragonfly", "solaris", "illumos"}, goruntime.GOOS):
		want = ModeCompiler
	}
	got, err := Mode(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Mode = %q on %s/%s, want %q", got, goruntime.GOOS, goruntime.GOARCH, want)
	}
}

// TestModeOf checks the probe against the engines forced.
func TestModeOf(t *testing.T) {
	tests := []struct {
		name string
		cfg  wazero.RuntimeConfig
		want string
	}{
		{"interpreter", wazero.NewRuntimeConfigInterpreter(), ModeInterpreter},
		{"compiler", wazero.NewRuntimeConfigCompiler(), ModeCompiler},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == ModeCompiler {
				if m, _ := Mode(t.Context()); m != ModeCompiler {
					t.Skip("wazero has no compiler here")
				}
			}
			got, err := modeOf(t.Context(), tt.cfg)
			if err != nil || got != tt.want {
				t.Errorf("modeOf = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func BenchmarkMode(b *testing.B) {
	for b.Loop() {
		if _, err := Mode(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
