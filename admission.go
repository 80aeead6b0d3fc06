package wisp

import (
	"fmt"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// admission decides whether the node may start one more instance: at most
// maxInstances at once, and the memory limits of running instances and the
// buffers of requests summed within budget, of which one app may hold at
// most half (appShare): whatever one app's clients do, the other half
// stays for the other apps. A sampler also watches the memory the process
// really holds (what the Go runtime holds, guest stacks included, and the
// linear memories the engine maps outside it), so a guest using more than
// its reservation (deep recursion grows wazero's stack on the Go heap)
// cannot take the process past the ceiling either.
type admission struct {
	maxInstances int64
	budget       int64        // bytes; 0: none
	ceiling      int64        // MemoryCeiling(budget)
	offHeap      func() int64 // memory outside the Go runtime's figures (linear memories)

	instances atomic.Int64
	reserved  atomic.Int64
	pressure  atomic.Bool // sampled process memory is over the ceiling

	mu     sync.Mutex
	perApp map[string]int64 // held by each app's running instances and requests; no zero entries

	stopOnce sync.Once
	done     chan struct{}
}

// MemoryCeiling is the memory the process may hold (what the Go runtime
// holds and the linear memories the engine maps outside it) with a memory
// budget of budget bytes: the budget plus a quarter, room for what
// reservations do not count (collectable garbage, guest call stacks, the
// runtime's own, the pages free memory regions keep). Past it, sampled,
// the node refuses every new invocation until it is back below. `wisp
// serve` also sets Go's soft memory limit (debug.SetMemoryLimit) there, so
// the collector works hard only past what the reservations allow. 0 for
// no budget.
func MemoryCeiling(budget int64) int64 {
	if budget <= 0 {
		return 0
	}
	return budget + budget/4
}

// appShare is the part of the memory budget one app may hold: 1/appShare.
const appShare = 2

// samplePeriod is how often the process's memory is read. Reading
// runtime/metrics costs a few microseconds.
const samplePeriod = 50 * time.Millisecond

func newAdmission(maxInstances int, budget int64, offHeap func() int64) *admission {
	a := &admission{maxInstances: int64(maxInstances), budget: budget, ceiling: MemoryCeiling(budget), offHeap: offHeap, perApp: map[string]int64{}, done: make(chan struct{})}
	go a.sample()
	return a
}

// admit reserves room for one instance whose linear memory may grow to
// memory bytes and for which extra more bytes are held (the node's own
// bookkeeping), or returns an error wrapping ErrOverloaded. It never
// waits. The caller calls the returned release once, when the instance is
// gone.
func (a *admission) admit(app string, memory, extra int64) (release func(), err error) {
	if n := a.instances.Add(1); n > a.maxInstances {
		a.instances.Add(-1)
		return nil, rejected(RejectInstances, errorf(ErrOverloaded, "node is at its limit of %d running instances; app %q was not started (retry shortly, or raise the node's instance limit)", a.maxInstances, app))
	}
	releaseMemory, err := a.hold(app, memory+extra, func() string {
		return fmt.Sprintf("app %q (limits.memory %s) was not started", app, ByteSize(memory))
	})
	if err != nil {
		a.instances.Add(-1)
		return nil, err
	}
	return func() {
		releaseMemory()
		a.instances.Add(-1)
	}, nil
}

// hold reserves n bytes of the budget for app (app "": the node's budget
// only), or returns an error wrapping ErrOverloaded whose message ends
// with refused(). It never waits. The returned release is idempotent.
func (a *admission) hold(app string, n int64, refused func() string) (release func(), err error) {
	if a.budget <= 0 || n <= 0 {
		return func() {}, nil
	}
	if a.pressure.Load() {
		return nil, rejected(RejectMemory, errorf(ErrOverloaded, "node memory is over %s, its budget of %s and a quarter; %s (retry shortly)", ByteSize(a.ceiling).Approx(), ByteSize(a.budget), refused()))
	}
	if app != "" {
		if err := a.takeAppShare(app, n, refused); err != nil {
			return nil, err
		}
	}
	if r := a.reserved.Add(n); r > a.budget {
		a.reserved.Add(-n)
		if app != "" {
			a.releaseAppShare(app, n)
		}
		return nil, rejected(RejectMemory, errorf(ErrOverloaded, "node memory budget of %s is reserved by running instances and requests; %s (retry shortly)", ByteSize(a.budget), refused()))
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			a.reserved.Add(-n)
			if app != "" {
				a.releaseAppShare(app, n)
			}
		})
	}, nil
}

// requestHeadroom is the room an app's instance must leave in the app's
// share of the budget for its request's buffers (Node.Reserve: the
// gateway's take 144 KiB).
const requestHeadroom = 1 << 20

// fits returns an error wrapping ErrInvalid if no instance with a memory
// limit of memory bytes could ever start on this node: one would need more
// than one app's share of the budget, its request's buffers included.
func (a *admission) fits(memory int64) error {
	if a.budget <= 0 {
		return nil
	}
	if share := a.budget / appShare; memory+instanceOverhead+requestHeadroom > share {
		return errorf(ErrInvalid, "limits.memory of %s is more than one app's share of this node's memory budget (%s, 1/%d of %s), so no instance of it could ever start: lower limits.memory, or start the node with a larger --memory-budget", ByteSize(memory), ByteSize(share).Approx(), appShare, ByteSize(a.budget))
	}
	return nil
}

// takeAppShare adds need to app's reservations unless that takes it past
// its share of the budget.
func (a *admission) takeAppShare(app string, need int64, refused func() string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	share := a.budget / appShare
	if held := a.perApp[app]; held+need > share {
		return rejected(RejectAppShare, errorf(ErrOverloaded, "app %q holds %s of the node memory budget, with its share of %s (1/%d of %s) taken by its running instances and requests; %s (retry shortly)", app, ByteSize(held).Approx(), ByteSize(share).Approx(), appShare, ByteSize(a.budget), refused()))
	}
	a.perApp[app] += need
	return nil
}

func (a *admission) releaseAppShare(app string, n int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.perApp[app] -= n; a.perApp[app] <= 0 {
		delete(a.perApp, app)
	}
}

// Reserve holds n bytes of the node's memory budget (Config.MemoryBudget)
// for buffers the caller keeps for a request to app outside its instance,
// such as a request body read before the app runs or a response held
// before it is sent; they count in the app's share of the budget too (app
// "": in the node's only). what names the buffers in the error. It never
// waits: past the budget or the app's share it fails at once with an error
// wrapping ErrOverloaded. The caller calls release (idempotent) when the
// buffers are gone. Without a budget it always succeeds. Safe for
// concurrent use.
func (n *Node) Reserve(app string, bytes int64, what string) (release func(), err error) {
	release, err = n.admission.hold(app, bytes, func() string { return what + " was refused" })
	if err != nil && n.obs != nil {
		if d, ok := n.table.Load().apps[app]; ok && d.obs != nil {
			d.obs.Rejected(rejectionOf(err))
		}
	}
	return release, err
}

// Reclaiming what the Go heap holds beyond its live data. Linear memories
// live outside the heap (engine/memregion_linux.go), but a guest's call
// stack is on it: a deep recursion grows one to ~140 MiB, and the last
// collection before the guest ended counted it as live, so the collector,
// pacing itself by that, keeps it for minutes on an idle node.
const (
	reclaimAbove = 64 << 20        // live heap above the last reclaim's that triggers one
	reclaimEvery = 2 * time.Second // at most one reclaim this often
)

// sample watches the memory the process holds. With a budget it sets
// pressure when that is over the ceiling. Always, once no instance runs,
// it reclaims (a forced collection that returns the freed memory to the
// OS, at most every reclaimEvery) if the last collection found more than
// reclaimAbove more live heap than the last reclaim did: data that was
// live only while a guest ran. A reclaim that finds the data still live
// raises the mark, so it does not repeat.
func (a *admission) sample() {
	// Everything the runtime has mapped, less the heap it has already
	// returned to the OS (which stays counted in total:bytes); and the heap
	// the last collection found live.
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}, {Name: "/gc/heap/live:bytes"}}
	read := func() bool {
		metrics.Read(s)
		return !slices.ContainsFunc(s, func(m metrics.Sample) bool { return m.Value.Kind() != metrics.KindUint64 })
	}
	t := time.NewTicker(samplePeriod)
	defer t.Stop()
	var lastReclaim time.Time
	mark := int64(-1) // live heap after the last reclaim
	for {
		select {
		case <-a.done:
			return
		case <-t.C:
		}
		if !read() {
			continue
		}
		if a.budget > 0 {
			held := int64(s[0].Value.Uint64()-s[1].Value.Uint64()) + a.offHeap()
			a.pressure.Store(held > a.ceiling)
		}
		live := int64(s[2].Value.Uint64())
		if mark < 0 {
			mark = live
		}
		if a.instances.Load() == 0 && live-mark > reclaimAbove && time.Since(lastReclaim) > reclaimEvery {
			lastReclaim = time.Now()
			debug.FreeOSMemory() // on this goroutine: the next sample sees its effect
			if read() {
				mark = int64(s[2].Value.Uint64())
			}
		}
	}
}

func (a *admission) stop() { a.stopOnce.Do(func() { close(a.done) }) }

// Stats is a snapshot of what a node is running and holding.
type Stats struct {
	Instances      int      `json:"instances"`       // instances running now
	MemoryReserved ByteSize `json:"memory_reserved"` // their memory limits and the buffers of requests, summed (counted only with a budget)

	// Compiled code (see Config.CodeCache): the modules compiled for the
	// apps, how many of them have their code in memory and its estimated
	// size, and how often code was loaded back from disk or released
	// since the node started.
	CodeModules   int      `json:"code_modules"`
	CodeResident  int      `json:"code_resident"`
	CodeBytes     ByteSize `json:"code_bytes"`
	CodeLoads     uint64   `json:"code_loads"`
	CodeEvictions uint64   `json:"code_evictions"`
	// Runs that found their code in memory, and that waited for it to
	// be loaded from disk.
	CodeHits   uint64 `json:"code_hits"`
	CodeMisses uint64 `json:"code_misses"`
}

// Stats returns what the node is running and holding now.
func (n *Node) Stats() Stats {
	code := n.engine.Stats()
	return Stats{
		Instances: int(n.admission.instances.Load()), MemoryReserved: ByteSize(n.admission.reserved.Load()),
		CodeModules: code.Modules, CodeResident: code.Resident, CodeBytes: ByteSize(code.ResidentBytes),
		CodeLoads: code.Loads, CodeEvictions: code.Evictions, CodeHits: code.Hits, CodeMisses: code.Misses,
	}
}
