package engine

import (
	"context"
	"io"
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/wisphq/wisp/internal/meter"
)

// A pre-initialized reactor's instance is reused instead of built anew for
// every request when that is indistinguishable from a fresh instance.
// Instantiating is not free: wazero fills the module's function table from
// its element segments on every instantiation, which is most of a Go
// reactor's request (about 2,000 entries, 77% of ~450 µs; see
// docs/benchmarks.md). A reused instance is returned to the state a fresh
// one starts in:
//
//   - its linear memory is mapped from the snapshot's image again
//     (copy-on-write: the pages the request wrote are dropped; elsewhere the
//     image is copied back), so it must not have grown;
//   - every mutable global is set to its snapshot value: the snapshot
//     module exports them under preinit.GlobalExportPrefix names for this;
//   - its tables and passive segments are as instantiation made them,
//     because the module has no instruction that can change a table or drop
//     a segment (wasmscan.Summary.ChangesTables, DropsData: checked at
//     deploy; a module that has one is never reused), and no table is
//     reachable from outside (a reactor links only to host functions, and
//     wazero's API has no table access);
//   - its host-side state (WASI's descriptor table, file positions) is
//     unchanged, because the request called no WASI function that could
//     change it (reuse_wasi.go); its streams, arguments, environment, sleep
//     and host data are the request's, read through the call's context.
//
// An instance is reused only after a run that returned normally: a trap, an
// exit (proc_exit, even with 0), a kill at the deadline or cancellation, a
// closed engine, a grown memory or a dirtying WASI call discards it, and
// the next request instantiates afresh. tests/isolation proves no request
// observes another's memory, globals, memory size, table or files through
// this path.
//
// Idle instances are kept per Prepared, at most maxIdleInstances, each for
// at most idleInstanceTTL after its last run; Prepared.Close (an undeploy
// or a redeploy) releases them at once. An idle instance's memory is
// counted in Engine.OffHeap (the node's memory budget) by the pages it
// holds privately (on Linux, the pages its requests wrote, kept with the
// image's bytes read back: see mappedMemory.reset), and it keeps its module's compiled code resident (resident.go): while
// the code cache is over its budget, instances are not kept.

// idleInstanceTTL is how long an idle instance is kept after its last run.
const idleInstanceTTL = 10 * time.Second

// maxIdleInstances bounds the idle instances of one Prepared: enough for
// every processor to run one, at most 8.
var maxIdleInstances = min(max(goruntime.GOMAXPROCS(0), 2), 8)

// reusedInstance is an instance of a snapshot module that can be reused.
type reusedInstance struct {
	mod     api.Module
	handle  api.Function
	mem     resettableMemory
	release func() // unpins the compiled module
	globals []api.MutableGlobal
	initial []uint64          // their snapshot values
	fuel    api.MutableGlobal // the fuel counter (meter.go); nil if the module has none
	streams *callStreams
	mark    dirtyMark
}

// callStreams are a reused instance's stdin, stdout, stderr and sleep: the
// current request's, set before each run and cleared after.
type callStreams struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	ctx    context.Context
}

type streamReader struct{ s *callStreams }

func (r streamReader) Read(p []byte) (int, error) { return r.s.stdin.Read(p) }

type streamWriter struct {
	s   *callStreams
	err bool // stderr, not stdout
}

func (w streamWriter) Write(p []byte) (int, error) {
	if w.err {
		return w.s.stderr.Write(p)
	}
	return w.s.stdout.Write(p)
}

func (s *callStreams) sleep(ns int64) {
	t := time.NewTimer(time.Duration(ns))
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.ctx.Done():
	}
}

func (s *callStreams) set(ctx context.Context, c Call) {
	s.stdin, s.stdout, s.stderr, s.ctx = orEmpty(c.Stdin), orDiscard(c.Stdout), orDiscard(c.Stderr), ctx
}

func (s *callStreams) clear() {
	s.stdin, s.stdout, s.stderr, s.ctx = emptyReader{}, io.Discard, io.Discard, context.Background()
}

// discarder is an instance kept for reuse: a reactor's (reusedInstance) or
// a component graph's (ComponentInstance).
type discarder interface{ discard() }

// instancePool holds idle instances, most recently used last.
type instancePool[T discarder] struct {
	mu     sync.Mutex
	idle   []idleInstance[T]
	closed bool
	timer  *time.Timer   // releases expired instances; nil while none is idle
	ttl    time.Duration // idleInstanceTTL; shorter in tests

	reused atomic.Uint64 // runs on a reused instance
	fresh  atomic.Uint64 // runs on a new one
}

type idleInstance[T discarder] struct {
	inst  T
	since time.Time
}

// get returns an idle instance, or false.
func (pl *instancePool[T]) get() (T, bool) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	n := len(pl.idle)
	if n == 0 {
		var none T
		return none, false
	}
	inst := pl.idle[n-1].inst
	pl.idle[n-1] = idleInstance[T]{}
	pl.idle = pl.idle[:n-1]
	return inst, true
}

// put keeps inst for reuse, or discards it when the pool is closed or
// full.
func (pl *instancePool[T]) put(inst T) {
	pl.mu.Lock()
	if pl.closed || len(pl.idle) >= maxIdleInstances {
		pl.mu.Unlock()
		inst.discard()
		return
	}
	pl.idle = append(pl.idle, idleInstance[T]{inst: inst, since: time.Now()})
	if pl.timer == nil {
		pl.timer = time.AfterFunc(pl.ttl, pl.expire)
	}
	pl.mu.Unlock()
}

// expire discards the instances idle for ttl and rearms the timer for the
// rest.
func (pl *instancePool[T]) expire() {
	pl.mu.Lock()
	now := time.Now()
	keep := 0
	var expired []T
	for _, in := range pl.idle { // oldest first
		if now.Sub(in.since) >= pl.ttl {
			expired = append(expired, in.inst)
			continue
		}
		pl.idle[keep] = in
		keep++
	}
	clear(pl.idle[keep:])
	pl.idle = pl.idle[:keep]
	pl.timer = nil
	if keep > 0 && !pl.closed {
		pl.timer = time.AfterFunc(pl.ttl-now.Sub(pl.idle[0].since), pl.expire)
	}
	pl.mu.Unlock()
	for _, inst := range expired {
		inst.discard()
	}
}

// close discards every idle instance; instances running now are discarded
// when they finish.
func (pl *instancePool[T]) close() {
	pl.mu.Lock()
	pl.closed = true
	pl.mu.Unlock()
	pl.drain()
}

// drain discards every idle instance; the pool stays open.
func (pl *instancePool[T]) drain() {
	pl.mu.Lock()
	idle := pl.idle
	pl.idle = nil
	if pl.timer != nil {
		pl.timer.Stop()
		pl.timer = nil
	}
	pl.mu.Unlock()
	for _, in := range idle {
		in.inst.discard()
	}
}

// size returns the number of idle instances.
func (pl *instancePool[T]) size() int {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return len(pl.idle)
}

// discard closes the instance, frees its memory and unpins its module.
func (inst *reusedInstance) discard() {
	inst.mod.Close(context.Background())
	inst.mem.Free() // after the instance is closed: see instanceMemory
	inst.release()
}

// reset returns inst to its snapshot state, reporting false when it cannot
// be (see above).
func (inst *reusedInstance) reset() bool {
	if inst.mark.dirty || inst.mod.IsClosed() || !inst.mem.reset() {
		return false
	}
	for i, g := range inst.globals {
		g.Set(inst.initial[i])
	}
	return true
}

// newReusedInstance instantiates the snapshot for reuse. ctx is the first
// request's: instantiation runs no guest code (the snapshot module has no
// start section), but host data and the memory allocator travel in it.
func (p *Prepared) newReusedInstance(ctx context.Context) (*reusedInstance, error) {
	compiled, release, err := p.snap.module.compiledModule(ctx)
	if err != nil {
		return nil, err
	}
	var image *memoryImage
	if p.snap.entry != CommandEntry {
		image = p.snap.image
	} else if image, err = p.commandImage(ctx, compiled); err != nil {
		release()
		return p.newReusedInstanceFailed()
	}
	em := image.instanceMemory(&p.m.e.memory, uint64(p.m.key.pages)*pageSize)
	mem, ok := em.(resettableMemory)
	if !ok { // every image memory is resettable; this guards instanceMemory's choices
		em.Free()
		release()
		return p.newReusedInstanceFailed()
	}
	inst := &reusedInstance{mem: mem, release: release, streams: &callStreams{}}
	inst.streams.clear()
	cfg := p.withFS(p.base.
		WithStdin(streamReader{inst.streams}).
		WithStdout(streamWriter{s: inst.streams}).
		WithStderr(streamWriter{s: inst.streams, err: true}).
		WithNanosleep(inst.streams.sleep).
		WithStartFunctions())
	mod, err := p.m.rt.rt.InstantiateModule(withMemory(ctx, mem), compiled, cfg)
	if err != nil {
		mem.Free()
		release()
		return nil, err
	}
	inst.mod = mod
	inst.handle = mod.ExportedFunction(p.snap.entry)
	inst.fuel, _ = mod.ExportedGlobal(meter.FuelExport).(api.MutableGlobal) // looked up once, not per run
	for _, g := range p.snap.globals {
		mg, ok := mod.ExportedGlobal(g.Export).(api.MutableGlobal)
		if !ok {
			inst.discard()
			return p.newReusedInstanceFailed()
		}
		inst.globals = append(inst.globals, mg)
		inst.initial = append(inst.initial, mg.Get())
	}
	return inst, nil
}

// newReusedInstanceFailed turns reuse off for p: its snapshot is not what
// reuse needs (which compile and preinitialize rule out), so every request
// instantiates afresh as before.
func (p *Prepared) newReusedInstanceFailed() (*reusedInstance, error) {
	p.reuseOff.Store(true)
	p.pool.close()
	return nil, nil
}

// runReused runs the handler on an idle instance, or on a new one kept for
// reuse, and returns the instance to the pool if its run allows.
// run is the block of ctx's runValues, Run's: its args and dirty mark are
// set here, for this instance.
func (p *Prepared) runReused(ctx context.Context, c Call, run *runBlock) error {
	inst, ok := p.pool.get()
	if ok {
		inst.mem.resume()
		p.pool.reused.Add(1)
		p.m.e.reused.Add(1)
		p.m.hits.Add(1) // the idle instance holds the code in memory: a run served from it
	} else {
		var err error
		if inst, err = p.newReusedInstance(ctx); err != nil {
			return classify(ctx, err)
		}
		if inst == nil { // reuse turned off
			return p.runFresh(ctx, c)
		}
		p.pool.fresh.Add(1)
	}
	if c.Hooks != nil {
		c.Hooks.Instantiated() // taken from the pool, or made for it
	}
	inst.streams.set(ctx, c)
	if inst.fuel != nil {
		inst.fuel.Set(0) // the fuel left from the last call is not this one's (ResetMeter)
	}
	inst.mark.dirty = false
	run.args.call = c.Args // laid out at the guest's first read, if any (environ.layout)
	run.values.args, run.values.mark = &run.args, &inst.mark
	_, err := inst.handle.Call(ctx)
	if inst.fuel != nil {
		// Counted before the instance can go back to the pool: from
		// there another run may take it, and write its counter, before
		// this run's account is settled at the end of Run.
		resetMeterIn(ctx, inst.mod, inst.fuel)
	}
	inst.streams.clear()
	if p.snap.entry == CommandEntry {
		p.commandEnded(ctx, err)
	}
	if c.Hooks != nil {
		c.Hooks.Ended(inst.mem.grown())
	}
	// Over the code cache's budget, an idle instance would keep its
	// module's code from being released (it pins it): discard it.
	if err == nil && ctx.Err() == nil && !p.m.e.resident.over.Load() && inst.reset() {
		p.pool.put(inst)
	} else {
		inst.discard()
	}
	return classify(ctx, err)
}
