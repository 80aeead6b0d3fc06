package wisp

import "testing"

func TestLogRingSince(t *testing.T) {
	r := newLogRing(4)
	for i := 0; i < 10; i++ { // seqs 1..10; the ring keeps 7..10
		r.append(LogEntry{Message: "m"})
	}
	seqs := func(es []LogEntry) []uint64 {
		var out []uint64
		for _, e := range es {
			out = append(out, e.Seq)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		after uint64
		limit int
		want  []uint64
	}{
		{"everything kept", 0, 0, []uint64{7, 8, 9, 10}},
		{"newest two", 0, 2, []uint64{9, 10}},
		{"after an evicted entry", 3, 0, []uint64{7, 8, 9, 10}},
		{"after a kept entry", 8, 0, []uint64{9, 10}},
		{"after the newest", 10, 0, nil},
		{"after the newest, limited", 10, 3, nil},
		{"from before a restart", 1000, 3, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := r.since(tc.after, tc.limit)
			if g := seqs(got); len(g) != len(tc.want) || (len(g) > 0 && (g[0] != tc.want[0] || g[len(g)-1] != tc.want[len(tc.want)-1])) {
				t.Fatalf("since(%d, %d) = %v, want %v", tc.after, tc.limit, g, tc.want)
			}
		})
	}
	if r.last() != 10 {
		t.Fatalf("last() = %d", r.last())
	}
}
