package engine

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero"

	"github.com/wisphq/wisp/internal/wasmscan"
)

// Compiled code is kept in memory within a budget (Config.CodeCache). A
// node with thousands of apps, most of them idle, holds the recently used
// modules' native code and releases the rest; the first request to a
// released module loads it again from disk: wazero's native code cache
// (Config.CacheDir) has the code, and the engine's copy of the module's
// bytes (resident_source.go) lets wazero find it, so nothing is compiled
// again. For the examples a load costs from 50 µs (the WAT hello) to 1 ms
// (the 43 KB C echo); a 2 MB Go module takes about 30 ms, most of it
// wazero decoding and validating the module.
//
// Which modules stay: an approximation of least recently used, the CLOCK
// (second chance) algorithm. Each module has a "recent" bit that every run
// sets; when the budget is exceeded, a hand sweeps the resident modules,
// clearing set bits and releasing the first module whose bit is clear and
// that no instance is running on. A request touches only its own module's
// atomics (pin, set the bit, unpin): there is no lock on the request path
// unless the module has to be loaded or the budget is exceeded.
//
// A running instance pins its module, so released code is never under a
// running instance; a module pinned past the budget is released by its
// last instance to finish.
//
// Without a CacheDir nothing is released: the code could not be loaded
// without compiling the module again.

// DefaultCodeCache is the default of Config.CodeCache: 256 MiB, about
// 19,000 small modules like examples/hello, 850 like examples/echo (C) or
// 12 like examples/json (Go).
const DefaultCodeCache = 256 << 20

// evicted is Module.pins while the module's compiled code is not in memory.
const evicted = -1

// residentCost estimates the memory a compiled module holds, in bytes:
// native code (about 5.5 bytes per byte of WebAssembly code; the rest of
// the binary is data, which is not compiled), wazero's decoded module and
// metadata on the Go heap (about twice the binary), and two mapped pages
// per module (the code and its entry trampolines) with small structures
// around them.
//
// Measured with this engine on amd64 (RSS of N compiled modules, over N):
//
//	module                      .wasm    RSS/module   estimate
//	examples/hello (WAT)        170 B       13.2 KiB    13.3 KiB
//	bench/guests/hello-c        3.5 KiB     42.3 KiB    38.6 KiB
//	examples/echo (C)           42.1 KiB   295.0 KiB   312.3 KiB
//	bench/guests/hello-go       2.1 MiB     12.3 MiB    12.4 MiB
//	examples/json (Go)          3.4 MiB     19.9 MiB    20.2 MiB
//
// The size of wazero's cache file for the module would measure the native
// code exactly, but wazero does not say which file is whose.
func residentCost(wasmLen int, s wasmscan.Summary) int64 {
	code := int64(max(wasmLen-s.DataBytes-s.CustomSectionBytes, 0))
	return 2*int64(wasmLen) + code*11/2 + 12<<10
}

// residency tracks which modules' compiled code is in memory. Its mutex is
// taken to load, add, release or sweep, never to run.
type residency struct {
	budget  int64  // bytes; 0: no limit
	sources string // directory of the modules' bytes (resident_source.go); "": none, never release
	over    atomic.Bool
	idle    idlePools // reused instances, which pin their modules' code

	mu        sync.Mutex
	ring      []*Module // resident modules, in the order the hand visits them
	hand      int       // next index of ring the hand looks at
	bytes     int64     // sum of the ring's costs
	modules   int       // live modules, resident or not
	loads     uint64
	evictions uint64
	misses    atomic.Uint64 // runs that found their module's code released
}

// idlePools are the engine's pools of reused instances (reuse.go). An idle
// instance pins its module's code, which the cache then cannot release:
// whenever the cache is over its budget, every idle instance is discarded
// before it sweeps (relieve), and no new one is kept meanwhile (see
// runReused), so that only running instances hold code in memory beyond
// the budget.
type idlePools struct {
	mu       sync.Mutex
	pools    map[*instancePool[*reusedInstance]]struct{}
	draining atomic.Bool
}

func (ip *idlePools) add(pl *instancePool[*reusedInstance]) {
	ip.mu.Lock()
	defer ip.mu.Unlock()
	if ip.pools == nil {
		ip.pools = map[*instancePool[*reusedInstance]]struct{}{}
	}
	ip.pools[pl] = struct{}{}
}

func (ip *idlePools) remove(pl *instancePool[*reusedInstance]) {
	ip.mu.Lock()
	defer ip.mu.Unlock()
	delete(ip.pools, pl)
}

// drain discards the idle instances of every pool. Discarding unpins code;
// unpin leaves the sweep to the drain's caller meanwhile, and a drain
// started during another returns at once.
func (ip *idlePools) drain() {
	if !ip.draining.CompareAndSwap(false, true) {
		return
	}
	defer ip.draining.Store(false)
	ip.mu.Lock()
	pools := make([]*instancePool[*reusedInstance], 0, len(ip.pools))
	for pl := range ip.pools {
		pools = append(pools, pl)
	}
	ip.mu.Unlock()
	for _, pl := range pools {
		pl.drain()
	}
}

// relieve brings the cache back within its budget when it is over: it
// discards the idle instances first, then sweeps. In that order, a sweep
// never meets code pinned by an instance nobody runs (it would pass over
// it, clearing the recent bits of the modules in use, and release those
// instead).
func (r *residency) relieve() {
	if !r.over.Load() || r.sources == "" {
		return
	}
	r.idle.drain()
	r.mu.Lock()
	victims := r.sweep()
	r.mu.Unlock()
	closeAll(victims)
}

// reload is a load of a module's code in flight; callers that need the
// same module meanwhile wait for done.
type reload struct {
	done chan struct{}
	err  error // set before done is closed
}

// Stats is what an Engine holds in memory.
type Stats struct {
	Modules       int    // compiled modules not yet closed
	Resident      int    // of those, the ones whose code is in memory
	ResidentBytes int64  // their estimated size (see residentCost)
	Budget        int64  // Config.CodeCache in effect; 0: no limit
	Loads         uint64 // modules loaded back from disk since New
	Evictions     uint64 // modules released to stay within Budget since New
	// Reused counts the runs of reactors and component graphs that ran on
	// an instance an earlier run used, reset to its snapshot (reuse.go),
	// since New.
	Reused uint64
	// Runs since New that found their module's code in memory (Hits),
	// and that found it released and waited for a load (Misses; several
	// waiting for one load count one each, so Misses >= Loads).
	Hits, Misses uint64
}

// Stats reports the engine's compiled code. It is safe for concurrent use.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	hits := e.retiredHits
	for _, m := range e.modules {
		hits += m.hits.Load()
	}
	e.mu.Unlock()
	r := &e.resident
	r.mu.Lock()
	defer r.mu.Unlock()
	return Stats{
		Modules: r.modules, Resident: len(r.ring), ResidentBytes: r.bytes,
		Budget: r.budget, Loads: r.loads, Evictions: r.evictions, Reused: e.reused.Load(),
		Hits: hits, Misses: r.misses.Load(),
	}
}

// add makes m, whose code compiled has just been compiled, resident, and
// releases other modules if that exceeds the budget.
func (r *residency) add(m *Module, compiled wazero.CompiledModule) {
	r.mu.Lock()
	r.modules++
	m.compiled = compiled
	r.insert(m)
	m.pins.Store(0)
	r.mu.Unlock()
	r.relieve()
}

// insert puts m into the ring, marked recent. Called with r.mu held.
func (r *residency) insert(m *Module) {
	m.recent.Store(true)
	m.slot = len(r.ring)
	r.ring = append(r.ring, m)
	r.bytes += m.cost
	r.over.Store(r.budget > 0 && r.bytes > r.budget)
}

// remove takes m out of the ring. Called with r.mu held.
func (r *residency) remove(m *Module) {
	last := len(r.ring) - 1
	r.ring[m.slot] = r.ring[last]
	r.ring[m.slot].slot = m.slot
	r.ring[last] = nil
	r.ring = r.ring[:last]
	m.slot = -1
	r.bytes -= m.cost
	r.over.Store(r.budget > 0 && r.bytes > r.budget)
}

// sweep moves the hand over the ring while the budget is exceeded,
// releasing modules not used since its last pass and not running, and
// returns their code for the caller to close after unlocking. Two passes
// at most: the first may only clear recent bits. Called with r.mu held.
func (r *residency) sweep() (victims []wazero.CompiledModule) {
	if r.budget <= 0 || r.sources == "" {
		return nil
	}
	for steps := 2 * len(r.ring); r.bytes > r.budget && steps > 0 && len(r.ring) > 0; steps-- {
		if r.hand >= len(r.ring) {
			r.hand = 0
		}
		m := r.ring[r.hand]
		// Running modules are skipped and keep their bit; a module run
		// since the hand last passed loses its bit and gets another round.
		if m.pins.Load() > 0 || m.recent.Swap(false) || !m.pins.CompareAndSwap(0, evicted) {
			r.hand++
			continue
		}
		victims = append(victims, m.compiled)
		m.compiled = nil
		r.remove(m) // the hand now points at the module moved into the slot
		r.evictions++
	}
	return victims
}

func closeAll(victims []wazero.CompiledModule) {
	for _, c := range victims {
		c.Close(context.Background())
	}
}

// compiledModule returns m's compiled code, loading it from disk if it was
// released, pinned in memory until the returned release is called (once,
// after the instance made from it is closed).
func (m *Module) compiledModule(ctx context.Context) (wazero.CompiledModule, func(), error) {
	missed := false
	for {
		p := m.pins.Load()
		if p == evicted {
			if !missed {
				missed = true
				m.e.resident.misses.Add(1)
			}
			compiled, err := m.load(ctx)
			if err != nil {
				return nil, nil, err
			}
			if compiled != nil { // loaded by this call, and pinned for it
				return compiled, m.unpinFunc, nil
			}
			continue // loaded by another call: pin it
		}
		if m.pins.CompareAndSwap(p, p+1) {
			if !missed {
				m.hits.Add(1) // beside pins: no cache line of its own to contend for
			}
			if !m.recent.Load() { // a load, not a store, when already set: no cache line ping-pong
				m.recent.Store(true)
			}
			return m.compiled, m.unpinFunc, nil
		}
	}
}

// unpin ends one instance's use of m's code. The last instance to finish
// releases it if m was closed meanwhile, and sweeps if the budget is
// exceeded.
func (m *Module) unpin() {
	r := &m.e.resident
	if m.pins.Add(-1) != 0 || !m.dead.Load() && !r.over.Load() {
		return
	}
	var victims []wazero.CompiledModule
	r.mu.Lock()
	if m.dead.Load() && m.pins.CompareAndSwap(0, evicted) {
		victims = append(victims, m.compiled)
		m.compiled = nil
		r.remove(m)
	}
	r.mu.Unlock()
	closeAll(victims)
	if !r.idle.draining.Load() { // else the drain sweeps once it is done
		r.relieve()
	}
}

// load loads m's released code, or waits for the load another call
// started. It returns the code pinned for the caller if this call loaded
// it, nil if another did (the caller then pins it as usual).
func (m *Module) load(ctx context.Context) (wazero.CompiledModule, error) {
	e, r := m.e, &m.e.resident
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	r.mu.Lock()
	switch {
	case m.dead.Load():
		r.mu.Unlock()
		return nil, ErrClosed
	case m.pins.Load() != evicted: // loaded since the caller looked
		r.mu.Unlock()
		return nil, nil
	case m.loading != nil:
		l := m.loading
		r.mu.Unlock()
		select {
		case <-l.done:
			return nil, l.err
		case <-ctx.Done():
			return nil, fmt.Errorf("load compiled module %x: %w", m.key.sum[:6], ctx.Err())
		}
	}
	l := &reload{done: make(chan struct{})}
	m.loading = l
	r.mu.Unlock()

	// Not cancelled with the caller: other calls may be waiting for it,
	// and a load ends by itself in milliseconds.
	compiled, err := m.compileFromSource(context.WithoutCancel(ctx))

	r.mu.Lock()
	m.loading = nil
	var victims []wazero.CompiledModule
	switch {
	case err != nil:
	case m.dead.Load():
		victims, compiled, err = append(victims, compiled), nil, ErrClosed
	default:
		m.compiled = compiled
		r.insert(m)
		m.pins.Store(1) // the caller's pin, before a sweep can see it
		r.loads++
	}
	l.err = err
	close(l.done)
	r.mu.Unlock()
	closeAll(victims)
	r.relieve()
	return compiled, err
}

// source returns the bytes m was compiled from: the copy on disk, or
// without one, a reactor's copy in memory.
func (m *Module) source() ([]byte, error) {
	if m.wasm != nil {
		return m.wasm, nil
	}
	return readSource(m.e.resident.sources, m.key.sum)
}

// compileFromSource compiles m again from its bytes (see source). wazero
// finds the native code in its cache, so this only decodes the module and
// maps the code.
func (m *Module) compileFromSource(ctx context.Context) (wazero.CompiledModule, error) {
	wasm, err := m.source()
	if err != nil {
		return nil, err
	}
	wasm, err = compiledForm(wasm, m.key.snapshot)
	if err != nil {
		return nil, err
	}
	compiled, err := m.rt.rt.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("load compiled module %x from the native code cache: %w", m.key.sum[:6], err)
	}
	return compiled, nil
}

// release is Close's part for the last reference: m's code is released
// now, or by the last instance running on it. Called with e.mu held.
func (m *Module) release() {
	r := &m.e.resident
	r.mu.Lock()
	m.dead.Store(true)
	r.modules--
	var victim wazero.CompiledModule
	if m.pins.CompareAndSwap(0, evicted) {
		victim, m.compiled = m.compiled, nil
		r.remove(m)
	}
	// Otherwise released already (evicted), or running: see unpin.
	r.mu.Unlock()
	if victim != nil && !m.e.closed { // Engine.Close closes every runtime's code
		victim.Close(context.Background())
	}
}
