package wisp

import (
	"fmt"
	"testing"
	"time"
)

// latencyBucket and bound are the histogram's, for the tables.
func latencyBucket(d time.Duration) int { return newRequestStats(nil).latencyBucket(d) }
func bound(b int) time.Duration         { return newBucketBounds()[b] }

func TestRequestStats(t *testing.T) {
	type req struct {
		at     int64 // seconds after the start
		status int
		d      time.Duration
	}
	tests := []struct {
		name      string
		reqs      []req
		readAt    int64
		requests  int64
		errors    int64
		p50, p99  time.Duration // expected upper bucket bounds
		lastCount int64         // requests in the current second
	}{
		{name: "none", readAt: 0},
		{
			name:     "one second",
			reqs:     []req{{0, 200, time.Millisecond}, {0, 200, time.Millisecond}, {0, 500, 100 * time.Millisecond}},
			requests: 3, errors: 1, p50: bound(latencyBucket(time.Millisecond)), p99: bound(latencyBucket(100 * time.Millisecond)),
			lastCount: 3,
		},
		{
			name:     "old seconds fall out of the window",
			reqs:     []req{{0, 503, time.Millisecond}, {30, 200, 2 * time.Millisecond}, {61, 200, 2 * time.Millisecond}},
			readAt:   61,
			requests: 2, errors: 0, p50: bound(latencyBucket(2 * time.Millisecond)), p99: bound(latencyBucket(2 * time.Millisecond)),
			lastCount: 1,
		},
		{
			name:     "nothing left after a quiet minute",
			reqs:     []req{{0, 200, time.Millisecond}},
			readAt:   200,
			requests: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Unix(1_800_000_000, 0)
			now := start
			s := newRequestStats(func() time.Time { return now })
			for _, r := range tt.reqs {
				now = start.Add(time.Duration(r.at) * time.Second)
				s.record("a", r.status, r.d)
			}
			now = start.Add(time.Duration(tt.readAt) * time.Second)
			st := s.get("a", now.Unix())
			if st.Requests != tt.requests || st.Errors != tt.errors {
				t.Fatalf("requests, errors = %d, %d, want %d, %d", st.Requests, st.Errors, tt.requests, tt.errors)
			}
			if len(st.PerSecond) != statsSeconds || st.PerSecond[statsSeconds-1] != tt.lastCount {
				t.Fatalf("per second %v: want %d entries ending in %d", st.PerSecond, statsSeconds, tt.lastCount)
			}
			if got, want := st.P50MS, ms(tt.p50); tt.requests > 0 && got != want {
				t.Errorf("p50 = %vms, want %vms", got, want)
			}
			if got, want := st.P99MS, ms(tt.p99); tt.requests > 0 && got != want {
				t.Errorf("p99 = %vms, want %vms", got, want)
			}
			var recent int64
			for _, r := range tt.reqs {
				if r.at > tt.readAt-10 && r.at <= tt.readAt {
					recent++
				}
			}
			if want := float64(recent) / 10; st.Rate != want {
				t.Errorf("rate = %v, want %v (the last 10 s)", st.Rate, want)
			}
			if tt.requests > 0 {
				if want := float64(tt.errors) / float64(tt.requests); st.ErrorRate != want {
					t.Errorf("error rate = %v, want %v", st.ErrorRate, want)
				}
			}
			all := s.snapshot()
			if _, ok := all["a"]; ok != (tt.requests > 0) {
				t.Errorf("snapshot has the app: %v, want %v", ok, tt.requests > 0)
			}
		})
	}
}

func TestLatencyBucketBounds(t *testing.T) {
	for _, d := range []time.Duration{0, statsBase, statsBase + 1, time.Millisecond, 3 * time.Second, time.Hour} {
		b := latencyBucket(d)
		if d > bound(b) && b != statsBuckets-1 {
			t.Errorf("%v in bucket %d bounded by %v", d, b, bound(b))
		}
		if b > 0 && d <= bound(b-1) {
			t.Errorf("%v in bucket %d, but bucket %d (up to %v) holds it", d, b, b-1, bound(b-1))
		}
	}
}

// BenchmarkRequestStatsRecord is the cost the gateway pays per request for
// the dashboard's figures, alone and with every core recording for the
// same app.
func BenchmarkRequestStatsRecord(b *testing.B) {
	s := newRequestStats(nil)
	b.Run("serial", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			s.record("app", 200, time.Duration(i%5000)*time.Microsecond)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				s.record("app", 200, time.Duration(i%5000)*time.Microsecond)
			}
		})
	})
}

func TestRequestStatsConcurrent(t *testing.T) {
	s := newRequestStats(nil)
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 500 {
				s.record(fmt.Sprintf("app%d", g%2), 200+i%2*300, time.Millisecond)
				if i%50 == 0 {
					s.snapshot()
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
	all := s.snapshot()
	if all["app0"].Requests+all["app1"].Requests != 2000 {
		t.Fatalf("counted %d and %d requests, want 2000 in all", all["app0"].Requests, all["app1"].Requests)
	}
}
