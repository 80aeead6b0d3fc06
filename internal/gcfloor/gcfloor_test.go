package gcfloor_test

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/gcfloor"
)

func TestPercent(t *testing.T) {
	const MiB = 1 << 20
	for _, tc := range []struct {
		name        string
		live, floor uint64
		want        int
	}{
		{"small heap: the floor sets the goal", 8 * MiB, 16 * MiB, 200},
		{"heap past the floor: GOGC=100", 64 * MiB, 16 * MiB, 100},
		{"heap at the floor: GOGC=100", 16 * MiB, 16 * MiB, 100},
		{"before the first collection: Go's minimum heap", 0, 16 * MiB, 400},
		{"tiny heap: counted as Go's minimum heap", 1 * MiB, 16 * MiB, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := gcfloor.Percent(tc.live, tc.floor); got != tc.want {
				t.Errorf("Percent(%d MiB, %d MiB) = %d, want %d", tc.live/MiB, tc.floor/MiB, got, tc.want)
			}
		})
	}
}

// percent returns the collector's percentage, read without setting it
// (which would race with the floor's own adjustments).
func percent() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

// collectUntil runs collections until cond holds, or fails after a few
// seconds. The floor's finalizer runs after a collection, on its own
// goroutine.
func collectUntil(t *testing.T, what string, cond func(int) bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		runtime.GC()
		if cond(percent()) {
			return
		}
		runtime.Gosched()
	}
	t.Fatalf("percentage %d: timed out waiting for %s", percent(), what)
}

// TestFloor follows the live heap across collections: a floor far above
// this test's heap raises the percentage; a live heap half the floor
// brings it down to about 200; freeing that heap raises it again; Stop
// sets it back to 100 for good.
func TestFloor(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	const MiB = 1 << 20
	f := gcfloor.Start(128 * MiB)
	if p := percent(); p <= 1000 {
		t.Fatalf("percentage %d after Start with a floor far above the heap, want over 1000", p)
	}
	live := make([]byte, 64*MiB)
	collectUntil(t, "the percentage to follow a 64 MiB live heap", func(p int) bool { return p >= 150 && p <= 200 })
	runtime.KeepAlive(live)
	live = nil
	collectUntil(t, "the percentage to rise again once the heap is freed", func(p int) bool { return p > 1000 })
	f.Stop()
	if p := percent(); p != 100 {
		t.Fatalf("percentage %d after Stop, want 100", p)
	}
	for range 3 {
		runtime.GC()
	}
	if p := percent(); p != 100 {
		t.Fatalf("percentage %d after Stop and collections, want 100: the floor still adjusts", p)
	}
	if gcfloor.Start(0) != nil {
		t.Error("Start(0) returned a floor")
	}
	(*gcfloor.Floor)(nil).Stop() // safe
}
