package testnode

import "testing"

func TestBufferKeepsTheTailWithALimit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		max    int
		writes []string
		want   string
	}{
		{"no limit keeps everything", 0, []string{"one\n", "two\n", "three\n"}, "one\ntwo\nthree\n"},
		{"under the limit", 16, []string{"one\n", "two\n"}, "one\ntwo\n"},
		{"over the limit drops the oldest bytes", 8, []string{"one\n", "two\n", "three\n"}, "o\nthree\n"},
		{"one write over the limit", 4, []string{"abcdefgh"}, "efgh"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &Buffer{max: tc.max}
			for _, w := range tc.writes {
				if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v; want %d, nil", w, n, err, len(w))
				}
			}
			if got := b.String(); got != tc.want {
				t.Errorf("after writing %q with limit %d: %q, want %q", tc.writes, tc.max, got, tc.want)
			}
		})
	}
}
