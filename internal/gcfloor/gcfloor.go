// Package gcfloor keeps Go's collector from running for less than a given
// amount of garbage: a floor under the heap's growth between collections.
//
// A Wisp node's Go heap is small: guests' linear memories live outside it,
// so it holds the node's own bookkeeping and each request's short-lived
// buffers. With Go's default (GOGC=100) the collector starts again once
// the heap has grown by what is live, a few MiB on a node with few apps,
// so at tens of thousands of requests a second it runs dozens of times a
// second, each time with its fixed costs (every goroutine's stack, the
// globals, the sweep), and takes about a fifth of a tiny request's CPU
// (docs/benchmarks.md). A higher GOGC for every node would double the
// memory of a node with many apps, whose heap is large, for no gain.
//
// The floor does both: after every collection the collector's percentage
// is set so the next one starts at the larger of GOGC=100's goal and the
// live heap plus the floor. A node with a small heap spends at most the
// floor on garbage; one whose live heap is past the floor runs as with
// GOGC=100. The memory limit (debug.SetMemoryLimit) still bounds both.
//
// This is what Go's runtime offers no knob for (a minimum heap goal); it
// works as Uber's and CockroachDB's tuners do, from a finalizer that runs
// once per collection.
package gcfloor

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// basePercent is the collector's percentage with the floor met: Go's
// default.
const basePercent = 100

// minLive is the least live heap the percentage is computed for: Go's own
// minimum heap goal (4 MiB at GOGC=100). Before the first collection the
// live heap reads 0, and at GOGC=p Go's minimum goal is 4 MiB * p/100.
const minLive = 4 << 20

// Floor adjusts the collector after every collection until Stop.
type Floor struct {
	floor uint64

	mu      sync.Mutex // adjust (the finalizer goroutine) against Stop
	stopped bool
	sample  []metrics.Sample
	percent int // the percentage last set
}

// sentinel is the object whose finalizer runs once per collection. It is
// large enough not to share a tiny allocation block with other objects,
// which would delay its finalizer.
type sentinel struct {
	f *Floor
	_ [16]byte
}

// Start sets the collector's percentage for a floor of floor bytes now and
// after every collection, until Stop. It returns nil for a floor of 0 or
// less. Don't start it when the operator set GOGC: it overrides it.
func Start(floor int64) *Floor {
	if floor <= 0 {
		return nil
	}
	debug.SetGCPercent(basePercent)
	f := &Floor{floor: uint64(floor), sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}, percent: basePercent}
	f.adjust()
	f.arm()
	return f
}

// arm makes a new sentinel for the next collection to find.
func (f *Floor) arm() {
	runtime.SetFinalizer(&sentinel{f: f}, func(s *sentinel) {
		if s.f.adjust() {
			s.f.arm()
		}
	})
}

// adjust sets the percentage for the heap now live, and reports whether
// f still runs.
func (f *Floor) adjust() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return false
	}
	metrics.Read(f.sample)
	if f.sample[0].Value.Kind() != metrics.KindUint64 {
		return true
	}
	if p := Percent(f.sample[0].Value.Uint64(), f.floor); p != f.percent {
		debug.SetGCPercent(p)
		f.percent = p
	}
	return true
}

// Percent returns the collector's percentage that starts the next
// collection at the larger of twice live and live plus floor. A live heap
// under minLive is taken as minLive: the goal is then about floor (Go's
// goal never goes under minLive * percent/100).
func Percent(live, floor uint64) int {
	live = max(live, minLive)
	floor = min(floor, 1<<50) // no overflow below
	return max(basePercent, int(min(floor*100/live, math.MaxInt32)))
}

// Stop ends the adjustments and sets the collector back to GOGC=100. Safe
// on a nil Floor.
func (f *Floor) Stop() {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.stopped {
		f.stopped = true
		debug.SetGCPercent(basePercent)
	}
}
