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

func TestLogRingGrowsWithItsEntries(t *testing.T) {
	r := newLogRing(1000)
	if cap(r.entries) != 0 {
		t.Fatalf("a new ring holds room for %d entries; want none until the first", cap(r.entries))
	}
	for range 20 {
		r.append(LogEntry{Message: "m"})
	}
	if c := cap(r.entries); c > 32 {
		t.Errorf("20 entries take room for %d; want it to grow with the entries", c)
	}
	for range 2000 {
		r.append(LogEntry{Message: "m"})
	}
	if c := cap(r.entries); c != 1000 {
		t.Errorf("a full ring of 1000 has room for %d", c)
	}
	got, _ := r.since(0, 0)
	if len(got) != 1000 {
		t.Fatalf("since(0, 0) on a full ring returned %d entries, want 1000", len(got))
	}
	for i, e := range got {
		if want := uint64(1021 + i); e.Seq != want {
			t.Fatalf("entry %d has seq %d, want %d (the newest 1000 of 2020, in order)", i, e.Seq, want)
		}
	}
}

func TestLogRingWakesFollowers(t *testing.T) {
	r := newLogRing(4)
	_, more := r.since(0, 0)
	select {
	case <-more:
		t.Fatal("the channel is closed before anything was appended")
	default:
	}
	r.append(LogEntry{Message: "m"})
	select {
	case <-more:
	default:
		t.Fatal("appending did not close the channel of a follower waiting for more")
	}
	if _, again := r.since(1, 0); again == more {
		t.Error("since after the append returned the closed channel")
	}
}
