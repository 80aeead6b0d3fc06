package canon

import (
	"errors"
	"fmt"
)

// Trap is a violation of the canonical ABI: by the guest (an out-of-bounds
// or misaligned pointer, invalid UTF-8, a bad discriminant, a misused
// resource handle ...) or by the host (a Go value that does not match its
// type). The component instance that trapped must not run again.
type Trap struct {
	Msg string // what was violated
	Err error  // the cause, when a callback (realloc, a destructor) failed
}

// Error says what was violated, and the cause if there is one.
func (t *Trap) Error() string {
	if t.Err != nil {
		return "component trap: " + t.Msg + ": " + t.Err.Error()
	}
	return "component trap: " + t.Msg
}

// Unwrap returns the cause of the trap, if any.
func (t *Trap) Unwrap() error { return t.Err }

func trapf(format string, args ...any) error {
	return &Trap{Msg: fmt.Sprintf(format, args...)}
}

// IsTrap reports whether err is (or wraps) a *Trap.
func IsTrap(err error) bool {
	var t *Trap
	return errors.As(err, &t)
}

// Memory is a guest's linear memory. Read and Write are bounds-checked and
// return false when the range is out of bounds. The engine's Memory
// satisfies it. Read may return a view into the memory: the package copies
// what it keeps before calling back into the guest. Write must neither
// modify v nor keep it after it returns: v may be a string's bytes or the
// Context's scratch buffer.
type Memory interface {
	Read(offset, byteCount uint32) ([]byte, bool)
	Write(offset uint32, v []byte) bool
	Size() uint32
}

// Realloc calls the guest's realloc function: (old pointer, old size,
// alignment, new size) -> new pointer. An error (the guest trapped) aborts
// the lowering.
type Realloc func(old, oldSize, align, newSize uint32) (uint32, error)

// StringEncoding is the canonical option saying how the guest encodes
// strings.
type StringEncoding uint8

// The string encodings of the spec.
const (
	UTF8 StringEncoding = iota
	UTF16
	Latin1UTF16 // latin1+utf16: latin1, or UTF-16 when the length's top bit is set
)

// String returns the spec's name for the encoding.
func (e StringEncoding) String() string {
	switch e {
	case UTF8:
		return "utf8"
	case UTF16:
		return "utf16"
	case Latin1UTF16:
		return "latin1+utf16"
	}
	return "invalid"
}

// MaxStringByteLength and MaxListByteLength are the spec's limits on the
// bytes a string or a list may occupy in memory: a longer one traps.
const (
	MaxStringByteLength = 1<<28 - 1
	MaxListByteLength   = 1<<28 - 1
)

// Context is what lifting and lowering values for one call of one guest
// need: the canonical options of the function (memory, string encoding,
// realloc) and the component instance whose handles resources move through.
// A Context is used by one goroutine at a time.
type Context struct {
	Memory   Memory         // nil when the function's types need no memory
	Encoding StringEncoding // how the guest encodes strings
	Realloc  Realloc        // nil when nothing is lowered into memory

	// Instance holds the guest's resource handles; nil when the types
	// carry no handles.
	Instance *Instance
	// Task is the call into the guest (canon lift) that borrowed handles
	// lowered into the guest belong to.
	Task *Task
	// Subtask is the call out of the guest (canon lower) that lends the
	// borrowed handles lifted from the guest.
	Subtask *Subtask

	// LiftLimit is the most bytes of guest memory one lift (Load,
	// LiftFlat, LiftValues and the calls built on them) may copy out,
	// counting memory again each time lists or strings alias it; past it
	// the lift traps. Zero means twice the memory's size: a value that
	// does not alias memory never reaches that, while one that points
	// many list elements at the same bytes cannot make the host allocate
	// without bound.
	LiftLimit uint64

	liftLeft uint64 // what the current lift may still copy

	// scratch holds a pointer, a length or a scalar on its way into
	// memory: a local array would escape through Memory.Write.
	scratch [8]byte
}

// startLift sets the budget of a lift that begins.
func (cx *Context) startLift() {
	cx.liftLeft = cx.LiftLimit
	if cx.liftLeft == 0 && cx.Memory != nil {
		cx.liftLeft = 2*uint64(cx.Memory.Size()) + 64<<10
	}
}

// charge takes n bytes from the lift's budget, trapping when it runs out.
func (cx *Context) charge(n uint64, what string) error {
	if n > cx.liftLeft {
		return trapf("lifting %s copies more than %d bytes out of guest memory in total (lists or strings alias the same memory)", what, cx.liftLimit())
	}
	cx.liftLeft -= n
	return nil
}

func (cx *Context) liftLimit() uint64 {
	if cx.LiftLimit != 0 || cx.Memory == nil {
		return cx.LiftLimit
	}
	return 2*uint64(cx.Memory.Size()) + 64<<10
}

func (cx *Context) memory() (Memory, error) {
	if cx.Memory == nil {
		return nil, trapf("the function has no memory option but its types need linear memory")
	}
	return cx.Memory, nil
}

// read returns n bytes at ptr, or a trap naming what was read.
func (cx *Context) read(ptr, n uint32, what string) ([]byte, error) {
	m, err := cx.memory()
	if err != nil {
		return nil, err
	}
	b, ok := m.Read(ptr, n)
	if !ok || uint32(len(b)) != n {
		return nil, trapf("%s at %#x (%d bytes) is outside linear memory (%d bytes)", what, ptr, n, m.Size())
	}
	return b, nil
}

func (cx *Context) write(ptr uint32, b []byte, what string) error {
	m, err := cx.memory()
	if err != nil {
		return err
	}
	if !m.Write(ptr, b) {
		return trapf("%s at %#x (%d bytes) is outside linear memory (%d bytes)", what, ptr, len(b), m.Size())
	}
	return nil
}

// checkRange traps unless [ptr, ptr+n) is in memory and ptr is aligned.
func (cx *Context) checkRange(ptr uint32, n uint64, align uint32, what string) error {
	m, err := cx.memory()
	if err != nil {
		return err
	}
	if ptr&(align-1) != 0 {
		return trapf("%s pointer %#x is not aligned to %d bytes", what, ptr, align)
	}
	if uint64(ptr)+n > uint64(m.Size()) {
		return trapf("%s at %#x (%d bytes) is outside linear memory (%d bytes)", what, ptr, n, m.Size())
	}
	return nil
}

// realloc calls the guest's realloc with the instance barred from calling
// out, and checks the result is aligned and in bounds for newSize bytes.
func (cx *Context) realloc(old, oldSize, align, newSize uint32, what string) (uint32, error) {
	if cx.Realloc == nil {
		return 0, trapf("lowering %s needs the realloc option, and the function has none", what)
	}
	if cx.Instance != nil {
		cx.Instance.noLeave++
		defer func() { cx.Instance.noLeave-- }()
	}
	ptr, err := cx.Realloc(old, oldSize, align, newSize)
	if err != nil {
		return 0, &Trap{Msg: "realloc failed while lowering " + what, Err: err}
	}
	if err := cx.checkRange(ptr, uint64(newSize), align, ""); err != nil {
		// The message is built only for the trap: realloc runs for every
		// string and list lowered.
		return 0, cx.checkRange(ptr, uint64(newSize), align, "memory realloc returned for "+what)
	}
	return ptr, nil
}

// PostReturn calls the guest's post-return function, if any, with the flat
// results of the call, once the host has lifted them: from here on the
// guest may free what the results pointed to. The instance may not call
// out while it runs.
func (cx *Context) PostReturn(postReturn func(flatResults []uint64) error, flatResults []uint64) error {
	if postReturn == nil {
		return nil
	}
	if cx.Instance != nil {
		cx.Instance.noLeave++
		defer func() { cx.Instance.noLeave-- }()
	}
	if err := postReturn(flatResults); err != nil {
		return &Trap{Msg: "post-return failed", Err: err}
	}
	return nil
}
