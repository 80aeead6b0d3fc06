package wisp

import (
	"math"
	"slices"
	"sync"
	"time"
)

// StatsWindow is how far back RequestStats look: the last minute.
const StatsWindow = 60 * time.Second

// RateWindow is the span RequestStats.Rate averages over.
const RateWindow = 10 * time.Second

// statsSlot is the width of one latency histogram in the window; the
// per-second request and error counts are kept at one second.
const (
	statsSeconds     = int(StatsWindow / time.Second)
	statsSlotSeconds = 10
	statsSlots       = statsSeconds / statsSlotSeconds
	// latency buckets: bucket i holds durations up to statsBase·2^(i/2),
	// from 16µs to about 4.6 minutes; the last one holds everything
	// longer. A percentile read from them is within a factor √2.
	statsBuckets = 48
	statsBase    = 16 * time.Microsecond
)

// RequestStats summarize the requests an app's gateway served on this
// node over the last StatsWindow (the admin API's GET /v1/stats, the
// dashboard's live figures). Latencies are from the gateway's arrival to
// the answer written, as in the request log; percentiles are the upper
// bound of a histogram bucket (within a factor √2 of the true value).
type RequestStats struct {
	Requests int64 `json:"requests"` // in the window
	Errors   int64 `json:"errors"`   // answered 5xx (the app or the node failed)
	// Rate is requests per second over the last RateWindow (the current
	// second included): what "live" means on a dashboard. ErrorRate is
	// Errors/Requests over the whole window (0 without requests).
	Rate      float64 `json:"rate"`
	ErrorRate float64 `json:"error_rate"`
	// MeanMS, P50MS, P95MS and P99MS are request durations in
	// milliseconds; zero without requests.
	MeanMS float64 `json:"mean_ms"`
	P50MS  float64 `json:"p50_ms"`
	P95MS  float64 `json:"p95_ms"`
	P99MS  float64 `json:"p99_ms"`
	// PerSecond holds the requests of each second of the window, oldest
	// first (the current second last, still counting); ErrorsPerSecond
	// the same for errors.
	PerSecond       []int64 `json:"per_second"`
	ErrorsPerSecond []int64 `json:"errors_per_second"`
}

// requestStats holds every app's recent request counts. Each app's
// record is made on its first request and costs about 2.7 KiB; a record
// without requests in the window is dropped when the stats are read.
// Safe for concurrent use.
type requestStats struct {
	mu     sync.RWMutex
	apps   map[string]*appStats
	now    func() time.Time
	bounds [statsBuckets]time.Duration // the latency histogram's, from newBucketBounds
}

type appStats struct {
	mu     sync.Mutex
	second [statsSeconds]int64 // unix second each of counts and errors is for
	counts [statsSeconds]int64
	errors [statsSeconds]int64
	slot   [statsSlots]int64 // unix second / statsSlotSeconds of each histogram
	sum    [statsSlots]time.Duration
	hist   [statsSlots][statsBuckets]uint32
}

func newRequestStats(now func() time.Time) *requestStats {
	if now == nil {
		now = time.Now
	}
	return &requestStats{apps: map[string]*appStats{}, now: now, bounds: newBucketBounds()}
}

// record counts one request of app answered with status after d.
func (s *requestStats) record(app string, status int, d time.Duration) {
	s.mu.RLock()
	a := s.apps[app]
	s.mu.RUnlock()
	if a == nil {
		s.mu.Lock()
		if a = s.apps[app]; a == nil {
			a = &appStats{}
			s.apps[app] = a
		}
		s.mu.Unlock()
	}
	sec := s.now().Unix()
	i := int(sec % int64(statsSeconds))
	slot := sec / statsSlotSeconds
	j := int(slot % int64(statsSlots))
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.second[i] != sec {
		a.second[i], a.counts[i], a.errors[i] = sec, 0, 0
	}
	a.counts[i]++
	if status >= 500 {
		a.errors[i]++
	}
	if a.slot[j] != slot {
		a.slot[j], a.sum[j], a.hist[j] = slot, 0, [statsBuckets]uint32{}
	}
	a.sum[j] += d
	a.hist[j][s.latencyBucket(d)]++
}

// newBucketBounds returns the histogram's bounds: bounds[b] is the
// largest duration bucket b holds (the last one holds everything longer
// too).
func newBucketBounds() (bounds [statsBuckets]time.Duration) {
	for b := range bounds {
		bounds[b] = time.Duration(float64(statsBase) * math.Pow(2, float64(b)/2))
	}
	return bounds
}

// latencyBucket returns the index of the histogram bucket holding d: a
// binary search of the bounds, cheaper than a logarithm on every request.
func (s *requestStats) latencyBucket(d time.Duration) int {
	b, _ := slices.BinarySearch(s.bounds[:], d)
	return min(b, statsBuckets-1)
}

// snapshot returns the stats of every app with requests in the window,
// and forgets the others.
func (s *requestStats) snapshot() map[string]RequestStats {
	now := s.now().Unix()
	out := map[string]RequestStats{}
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, a := range s.apps {
		st := a.read(now, &s.bounds)
		if st.Requests == 0 {
			delete(s.apps, name)
			continue
		}
		out[name] = st
	}
	return out
}

// get returns one app's stats (zero without requests in the window).
func (s *requestStats) get(app string, now int64) RequestStats {
	s.mu.RLock()
	a := s.apps[app]
	s.mu.RUnlock()
	if a == nil {
		a = &appStats{}
	}
	return a.read(now, &s.bounds)
}

func (a *appStats) read(now int64, bounds *[statsBuckets]time.Duration) RequestStats {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := RequestStats{PerSecond: make([]int64, statsSeconds), ErrorsPerSecond: make([]int64, statsSeconds)}
	for k := range statsSeconds {
		sec := now - int64(statsSeconds-1-k)
		i := int(sec % int64(statsSeconds))
		if a.second[i] == sec {
			st.PerSecond[k], st.ErrorsPerSecond[k] = a.counts[i], a.errors[i]
			st.Requests += a.counts[i]
			st.Errors += a.errors[i]
		}
	}
	if st.Requests == 0 {
		return st
	}
	var recent int64
	for _, c := range st.PerSecond[statsSeconds-int(RateWindow/time.Second):] {
		recent += c
	}
	st.Rate = float64(recent) / RateWindow.Seconds()
	st.ErrorRate = float64(st.Errors) / float64(st.Requests)
	// The histograms cover the slots that overlap the window: up to one
	// slot more than the per-second counts, so their total is counted
	// from them.
	var hist [statsBuckets]uint64
	var total uint64
	var sum time.Duration
	oldest := (now - int64(statsSeconds) + 1) / statsSlotSeconds
	for j := range statsSlots {
		if a.slot[j] < oldest || a.slot[j] > now/statsSlotSeconds {
			continue
		}
		sum += a.sum[j]
		for b, c := range a.hist[j] {
			hist[b] += uint64(c)
			total += uint64(c)
		}
	}
	if total == 0 {
		return st
	}
	st.MeanMS = ms(sum / time.Duration(total))
	st.P50MS = ms(percentile(hist, total, 0.50, bounds))
	st.P95MS = ms(percentile(hist, total, 0.95, bounds))
	st.P99MS = ms(percentile(hist, total, 0.99, bounds))
	return st
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func percentile(hist [statsBuckets]uint64, total uint64, q float64, bounds *[statsBuckets]time.Duration) time.Duration {
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for b, c := range hist {
		seen += c
		if seen >= rank {
			return bounds[b]
		}
	}
	return bounds[statsBuckets-1]
}

// RequestStats returns the request stats of every app that served a
// request through the gateway on this node within the last StatsWindow
// (apps without requests are left out), by app name.
func (n *Node) RequestStats() map[string]RequestStats {
	return n.stats.snapshot()
}

// AppRequestStats returns one app's request stats on this node; zero
// counts if it served nothing within the last StatsWindow.
func (n *Node) AppRequestStats(app string) RequestStats {
	return n.stats.get(app, n.stats.now().Unix())
}
