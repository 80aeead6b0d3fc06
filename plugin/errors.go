package plugin

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wisphq/wisp/internal/engine"
)

// Errors a call may match with errors.Is. A call that ran out of time or
// whose context was canceled matches context.DeadlineExceeded or
// context.Canceled instead (a Limits.Timeout included).
var (
	// ErrNoFunction: the plugin exports no callable function of that name
	// (callable: taking nothing and returning nothing or an i32).
	ErrNoFunction = errors.New("no such function")
	// ErrMemoryLimit: the call asked for more memory than Limits.Memory
	// allows, as linear memory (memory.grow refused) or Extism memory
	// (alloc refused).
	ErrMemoryLimit = errors.New("memory limit reached")
	// ErrOutputTooLarge: the plugin set an output longer than
	// Limits.Output.
	ErrOutputTooLarge = errors.New("output too large")
	// ErrInvalidPointer: the plugin passed a host function an offset or
	// length outside the memory it owns, or a handle it never allocated.
	ErrInvalidPointer = errors.New("invalid pointer")
	// ErrCPULimit: the call used more CPU than Limits.CPU and was
	// stopped (the error is a *CPULimitError).
	ErrCPULimit = errors.New("cpu limit exceeded")
	// ErrInvalidModule: Load refused the module (not WebAssembly, imports
	// the host does not provide, over the memory limit).
	ErrInvalidModule = errors.New("invalid plugin module")
	// ErrClosed: the Plugin or Instance was closed.
	ErrClosed = errors.New("plugin closed")
)

// Error is a call whose function reported failure: it set an error
// message (Extism's error_set), returned a non-zero code, or exited (WASI
// proc_exit) with a non-zero code.
type Error struct {
	Function string
	// Message is what the plugin passed to error_set; empty if it set
	// none.
	Message string
	// Code is the function's return code or exit code; 0 when the plugin
	// set an error message and returned 0 or nothing.
	Code int32
}

func (e *Error) Error() string {
	switch {
	case e.Message != "" && e.Code != 0:
		return fmt.Sprintf("plugin function %s failed: %s (code %d)", e.Function, e.Message, e.Code)
	case e.Message != "":
		return fmt.Sprintf("plugin function %s failed: %s", e.Function, e.Message)
	}
	return fmt.Sprintf("plugin function %s failed with code %d", e.Function, e.Code)
}

// TrapError is a call stopped by a WebAssembly trap (unreachable, an
// out-of-bounds access, a stack overflow, a division by zero) or by a
// host function that failed (Msg then says which and why). It matches the
// more specific error the host recorded, if any (ErrInvalidPointer,
// ErrMemoryLimit, ErrOutputTooLarge, an embedder's host function error).
type TrapError struct {
	Function string
	Msg      string
	cause    error
}

func (e *TrapError) Error() string {
	return fmt.Sprintf("plugin function %s trapped: %s", e.Function, e.Msg)
}

func (e *TrapError) Unwrap() error { return e.cause }

// firstLine drops wazero's stack trace from a trap message.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSuffix(strings.TrimSpace(s), "(recovered by wazero)")
	return strings.TrimSpace(strings.TrimPrefix(s, "module trapped: "))
}

// CPULimitError is a call stopped because its guest used more CPU than
// Limits.CPU allowed. It matches ErrCPULimit. The same call with the same
// input uses the same fuel on every run, so it would be stopped again:
// raise Limits.CPU or make the call cheaper.
type CPULimitError struct {
	Function string
	Limit    time.Duration // Limits.CPU
	Fuel     int64         // fuel used when stopped, just over FuelFor(Limit)
}

func (e *CPULimitError) Error() string {
	return fmt.Sprintf("plugin: call %s: stopped at its CPU limit of %s (Limits.CPU; %d fuel used at %d fuel per ms): raise the limit or make the call cheaper", e.Function, e.Limit, e.Fuel, FuelPerMillisecond)
}

func (e *CPULimitError) Is(target error) bool { return target == ErrCPULimit }

// FuelPerMillisecond is the fixed rate between fuel, the unit the guest's
// work is counted in, and CPU time (docs/cpu.md): Limits.CPU of d allows
// d in milliseconds times this much fuel, and Usage.CPU is Usage.Fuel
// at this rate.
const FuelPerMillisecond = engine.FuelPerMillisecond

// Usage is what one call's guest used: its fuel and the CPU time that
// stands for (Config.OnUsage).
type Usage struct {
	Fuel int64
	CPU  time.Duration
}
