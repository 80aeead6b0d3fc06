package wisp

import "testing"

func TestByteSizeApprox(t *testing.T) {
	tests := []struct {
		name string
		in   ByteSize
		want string
	}{
		{"bytes", 812, "812B"},
		{"just under a KiB", 1023, "1023B"},
		{"one KiB", 1024, "1.0KiB"},
		{"fraction", 3482, "3.4KiB"},
		{"tens round to whole", 12<<20 + 300<<10, "12MiB"},
		{"largest unit", 3 << 40, "3.0TiB"},
		{"past the largest unit", 2048 << 40, "2048TiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.Approx(); got != tt.want {
				t.Errorf("ByteSize(%d).Approx() = %q, want %q", int64(tt.in), got, tt.want)
			}
		})
	}
}
