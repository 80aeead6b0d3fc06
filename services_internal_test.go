package wisp

import (
	"strings"
	"testing"
)

func TestCapLogEntry(t *testing.T) {
	big := strings.Repeat("x", 5000)
	tests := []struct {
		name             string
		ctx, msg         string
		fields           []string
		wantCtx, wantMsg int // lengths
		wantFields       int // strings kept, the "truncated" pair included
		truncated        bool
	}{
		{"small entry unchanged", "db", "saved", []string{"code", "abc"}, 2, 5, 2, false},
		{"long context and message are cut", big, big, nil, maxLogContext, maxLogMessage, 0, false},
		{"fields past the entry's bound are dropped", "", "m", []string{"a", big, "b", big, "c", "1"}, 0, 1, 4, true},
		{"a 64-field entry of 4 KiB strings is cut to the bound", big, big, repeat(128, big), maxLogContext, maxLogMessage, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, m, f := capLogEntry(tt.ctx, tt.msg, tt.fields)
			if len(c) != tt.wantCtx || len(m) != tt.wantMsg || len(f) != tt.wantFields {
				t.Fatalf("got context %d, message %d, %d field strings; want %d, %d, %d", len(c), len(m), len(f), tt.wantCtx, tt.wantMsg, tt.wantFields)
			}
			size := len(c) + len(m)
			for _, s := range f {
				size += len(s)
			}
			if size > maxLogEntry+200 { // the "truncated" note may add a little
				t.Errorf("entry holds %d bytes, over %d", size, maxLogEntry)
			}
			if got := len(f) > 0 && f[len(f)-2] == "truncated"; got != tt.truncated {
				t.Errorf("truncated note = %v, want %v (%q)", got, tt.truncated, f)
			}
		})
	}
}

func repeat(n int, s string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestCutTextKeepsUTF8Whole(t *testing.T) {
	if got := cutText("aé", 2); got != "a" {
		t.Errorf("cutText(\"aé\", 2) = %q, want \"a\"", got)
	}
}
