package wisp

import (
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/wisphq/wisp/internal/engine"
)

// CPU accounting (docs/cpu.md). Every module runs instrumented to count
// its work in fuel, at a fixed rate of FuelPerMillisecond per millisecond
// of CPU time: the same request uses the same fuel on every node and run,
// so fuel is what limits.cpu enforces and what a bill can count.

// FuelPerMillisecond is the fixed rate between fuel and CPU time.
const FuelPerMillisecond = engine.FuelPerMillisecond

// Usage is what one invocation used.
type Usage struct {
	Fuel int64    `json:"fuel"` // work done, counted by the metering
	CPU  Duration `json:"cpu"`  // Fuel at FuelPerMillisecond
}

// usageWindow is how many of an app's latest invocations its CPU
// percentiles are computed from.
const usageWindow = 1024

// AppUsage is an app's CPU use on one node since the node started,
// modules and components alike.
type AppUsage struct {
	App        string   `json:"app"`
	Requests   int64    `json:"requests"`    // metered invocations
	Fuel       int64    `json:"fuel"`        // their total fuel
	CPU        Duration `json:"cpu"`         // Fuel at FuelPerMillisecond
	OverBudget int64    `json:"over_budget"` // invocations stopped at limits.cpu
	// Percentiles of the CPU time per invocation over the latest Window
	// invocations (Window is at most 1024).
	Window int      `json:"window"`
	P50    Duration `json:"p50"`
	P90    Duration `json:"p90"`
	P99    Duration `json:"p99"`
	Max    Duration `json:"max"`
}

// usageStats accumulates one app's usage. Safe for concurrent use.
type usageStats struct {
	mu       sync.Mutex
	requests int64
	fuel     int64
	over     int64
	recent   []int64 // fuel of the latest invocations, a ring of usageWindow made on first use
	n        int     // invocations in recent
	next     int     // where the next one goes
}

func (s *usageStats) record(fuel int64, over bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	s.fuel += fuel
	if over {
		s.over++
	}
	if s.recent == nil { // an app never invoked costs nothing here
		s.recent = make([]int64, usageWindow)
	}
	s.recent[s.next] = fuel
	s.next = (s.next + 1) % usageWindow
	s.n = min(s.n+1, usageWindow)
}

func (s *usageStats) snapshot(app string) AppUsage {
	s.mu.Lock()
	u := AppUsage{App: app, Requests: s.requests, Fuel: s.fuel, CPU: cpuOf(s.fuel), OverBudget: s.over, Window: s.n}
	recent := slices.Clone(s.recent[:s.n])
	s.mu.Unlock()
	if len(recent) == 0 {
		return u
	}
	slices.Sort(recent)
	at := func(q float64) Duration { return cpuOf(recent[int(q*float64(len(recent)-1)+0.5)]) }
	u.P50, u.P90, u.P99, u.Max = at(0.50), at(0.90), at(0.99), cpuOf(recent[len(recent)-1])
	return u
}

func cpuOf(fuel int64) Duration { return Duration(engine.CPUTime(fuel)) }

// usage returns the app's usage accumulator, creating it.
func (n *Node) usage(app string) *usageStats {
	n.logsMu.Lock()
	defer n.logsMu.Unlock()
	s, ok := n.usages[app]
	if !ok {
		s = &usageStats{}
		n.usages[app] = s
	}
	return s
}

// AppUsage returns the CPU use of the named app on this node since the
// node started (or the app was first deployed on it): totals, and
// percentiles per invocation over the latest ones. ErrNotFound if the
// node has served no version of the app and does not serve it now.
func (n *Node) AppUsage(app string) (AppUsage, error) {
	n.logsMu.Lock()
	s, ok := n.usages[app]
	n.logsMu.Unlock()
	if !ok {
		if _, err := n.current(app); err != nil {
			return AppUsage{}, err
		}
		return AppUsage{App: app}, nil
	}
	return s.snapshot(app), nil
}

// String formats u for logs: "371µs cpu, 1483k fuel" (FormatCPU).
func (u Usage) String() string {
	var buf [48]byte
	return string(u.appendTo(buf[:0]))
}

// appendTo appends u as String formats it.
func (u Usage) appendTo(b []byte) []byte {
	b = append(appendCPU(b, time.Duration(u.CPU)), " cpu, "...)
	return append(appendFuel(b, u.Fuel), " fuel"...)
}

// FormatCPU formats a CPU time as logs, the CLI and the dashboard show it:
// in µs below a millisecond ("0.1µs", "2.5µs", "371µs"), in ms below a
// second ("1.48ms", "52.30ms"), in seconds above ("2.500s"). A request's
// CPU is mostly microseconds: time.Duration's own format rounds those to
// "0s" or prints nanoseconds nobody meters.
func FormatCPU(d time.Duration) string {
	var buf [24]byte
	return string(appendCPU(buf[:0], d))
}

// appendCPU appends d as FormatCPU formats it.
func appendCPU(b []byte, d time.Duration) []byte {
	switch {
	case d < 10*time.Microsecond-50: // not "10.0µs"
		return append(strconv.AppendFloat(b, float64(d)/float64(time.Microsecond), 'f', 1, 64), "µs"...)
	case d < time.Millisecond-time.Microsecond/2: // not "1000µs"
		return append(strconv.AppendInt(b, int64((d+time.Microsecond/2)/time.Microsecond), 10), "µs"...)
	case d < time.Second-5*time.Microsecond: // not "1000.00ms"
		return append(strconv.AppendFloat(b, float64(d)/float64(time.Millisecond), 'f', 2, 64), "ms"...)
	}
	return append(strconv.AppendFloat(b, d.Seconds(), 'f', 3, 64), 's')
}

func appendFuel(b []byte, f int64) []byte {
	switch {
	case f >= 10_000_000:
		return append(strconv.AppendInt(b, f/1_000_000, 10), 'M')
	case f >= 10_000:
		return append(strconv.AppendInt(b, f/1_000, 10), 'k')
	}
	return strconv.AppendInt(b, f, 10)
}
