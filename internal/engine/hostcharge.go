package engine

import (
	"context"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wisphq/wisp/internal/meter"
)

// Host calls and the limits (docs/cpu.md). The rewriter charges each call
// to a host function a flat meter.HostCallCost, and refuel, the only
// place a guest used to be stopped, runs only when the guest's own code
// checks its counter: a guest calling a slow host function in a loop
// (random_get of 16 MiB, a large fd_write) spent almost all its time in
// the host, never ran out of fuel and never met its deadline. Every host
// function the engine provides therefore starts with hostEnter (the
// deadline) and charges the work that grows with its operands by bytes
// (ChargeHost), at the rate of the bulk memory instructions.

// freeHostBytes is how many bytes of host work the flat
// meter.HostCallCost pays for: smaller operands are not charged again.
const freeHostBytes = meter.HostCallCost * meter.MemoryBytesPerFuel

// hostEnter stops the call, as refuel does, when its context has ended
// (deadline, cancellation, engine closed) or the calling instance was
// closed. It runs at the start of every host function.
//
// It asks ctx.Err, which a context may answer without reading the clock
// (the node's per-invocation context reports its deadline only once Done
// was called: wisp's runContext). That is enough on entry: a loop of host
// calls pays meter.HostCallCost for each and reaches refuel within a
// quantum, and host work that grows with its operands goes through
// ChargeHost; both check with ended, which arms the deadline. Host
// functions that wait arm it themselves: a sleep or a poll waits on Done,
// an outbound request derives its context, and the node's platform
// services arm it before calling a store (wisp's armDeadline).
func hostEnter(ctx context.Context, mod api.Module) {
	if ctx.Err() != nil {
		panic(sys.NewExitError(sys.ExitCodeDeadlineExceeded))
	}
	if mod != nil && mod.IsClosed() {
		panic(sys.NewExitError(sys.ExitCodeContextCanceled))
	}
}

// ended reports whether ctx has ended, by selecting on its Done channel
// rather than asking Err: a context that sets its deadline up lazily arms
// it on Done (wisp's runContext). Where the guest may run on for long, at
// refuel and before large host work, the deadline must be armed.
func ended(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	default:
		return false
	}
}

// ChargeHost is called by a host function, on the calling guest's
// goroutine with the context it was called with, before work that grows
// with n bytes of operands (copying, filling, zeroing, hashing them): it
// charges n / meter.MemoryBytesPerFuel fuel, beyond the first
// freeHostBytes, to the account ctx carries (StartMeter, a Prepared.Run),
// and stops the call, by panicking as refuel does, when the context has
// ended or the account is now over its budget (the run then ends with a
// *CPULimitError). Without an account it only checks the context.
func ChargeHost(ctx context.Context, n uint64) {
	hostEnter(ctx, nil)
	if n > freeHostBytes {
		chargeHost(ctx, n)
	}
}

// chargeHost is ChargeHost after hostEnter, for n above freeHostBytes.
func chargeHost(ctx context.Context, n uint64) {
	if ended(ctx) { // the work is large: arm a lazy deadline (hostEnter did not)
		panic(sys.NewExitError(sys.ExitCodeDeadlineExceeded))
	}
	st := runValuesOf(ctx).meter
	if st == nil {
		return
	}
	st.used += int64(min(n/meter.MemoryBytesPerFuel, 1<<60))
	if st.budget > 0 && st.used > st.budget {
		st.settle()
		st.exceeded = true
		panic(errOverBudget)
	}
}

// wasiBytes returns the bytes of work a WASI function does for its
// operands beyond a constant: what it reads, writes or fills in guest
// memory. Functions whose work is bounded by a constant return 0.
func wasiBytes(name string, mod api.Module, stack []uint64) uint64 {
	switch name {
	case "random_get":
		return uint64(uint32(stack[1]))
	case "fd_read", "fd_write", "fd_pread", "fd_pwrite":
		return iovecBytes(mod, uint32(stack[1]), uint32(stack[2]))
	case "fd_readdir":
		return uint64(uint32(stack[2]))
	case "path_readlink":
		return uint64(uint32(stack[4]))
	case "poll_oneoff":
		return 48 * uint64(uint32(stack[2])) // a subscription is 48 bytes
	}
	return 0
}

// iovecBytes returns the bytes of n iovecs at iovs in mod's memory, and 8
// for each iovec itself. An iovec past the memory ends the sum: the WASI
// function fails on it.
func iovecBytes(mod api.Module, iovs, n uint32) uint64 {
	mem := mod.Memory()
	if mem == nil {
		return 0
	}
	total := 8 * uint64(n)
	for i := uint64(0); i < uint64(n); i++ {
		at := uint64(iovs) + 8*i + 4
		if at+4 > uint64(mem.Size()) {
			break
		}
		l, _ := mem.ReadUint32Le(uint32(at))
		total += uint64(l)
	}
	return total
}
