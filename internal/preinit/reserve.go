package preinit

import (
	"errors"
	"fmt"

	"github.com/wisphq/wisp/internal/wasmbin"
)

// A memory reserve lets a snapshot include the pages its runs will grow
// the memory by, so that a run needs no real growth (a memory cannot
// shrink, so one that grew cannot be reset to the snapshot for another
// run). The memory starts larger than the program may see: its last page
// is a control page, whose last four bytes (little-endian) hold the
// number of reserved pages below it, which the program has not been given
// yet. Reserve rewrites a module so that it sees the memory as it would
// be without them:
//
//	memory.size  = real size - 1 - reserved
//	memory.grow n, n <= reserved:  reserved -= n; the old memory.size
//	memory.grow n, n > reserved:   a real memory.grow by n - reserved (or
//	                               -1, nothing changed); the old control
//	                               page becomes the program's and its
//	                               control word is cleared, the new last
//	                               page is the control page, reserved = 0
//
// The reserved pages and the control page are zero but for the control
// word, so pages handed out are zero, as grown pages are. Every module
// sharing the memory must be rewritten alike: the control word is their
// shared state. A program that keeps to its memory.size behaves exactly
// as it would on the original module; what differs is only beyond it:
// an access to a reserved or the control page does not trap, and the
// memory can grow to one page less than its (raised) maximum allows,
// since the control page counts.

// ReserveFuncs is the number of functions Reserve appends to a module
// that uses memory.size or memory.grow.
const ReserveFuncs = 2

// Reserve returns wasm with every memory.size and memory.grow replaced by
// a call to a function it appends (memory.size and memory.grow over the
// control page, above), and its memory's maximum, if declared, raised by
// the control page. A module without a memory is returned unchanged; one
// with more than one memory, a shared or 64-bit memory, or an instruction
// Reserve cannot read is an error (ErrUnsupported for the former).
// Function, type and global indices the module uses are unchanged: the
// added types and functions come after its own. An instance of the
// result must start with a memory whose last four bytes hold the number
// of reserved pages (the snapshot's memory, with that many zero pages and
// the control page added).
func Reserve(wasm []byte) ([]byte, error) {
	secs, err := wasmbin.Sections(wasm)
	if err != nil {
		return nil, err
	}
	var (
		memories    int
		funcImports uint32
		types       uint32
		funcs       uint32
		hasTypes    bool
		hasFuncs    bool
	)
	replace := map[byte][]byte{}
	for _, s := range secs {
		var err error
		switch s.ID {
		case secImport:
			var n int
			replace[secImport], funcImports, n, err = reserveImports(s.Body)
			memories += n
		case secMemory:
			var n int
			replace[secMemory], n, err = reserveMemories(s.Body)
			memories += n
		case secType:
			r := &wasmbin.Reader{B: s.Body}
			types, err = r.U32()
			hasTypes = true
		case secFunction:
			r := &wasmbin.Reader{B: s.Body}
			funcs, err = r.U32()
			hasFuncs = true
		}
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", s.ID, err)
		}
	}
	switch {
	case memories == 0:
		return wasm, nil
	case memories > 1:
		return nil, fmt.Errorf("%w: more than one memory", ErrUnsupported)
	}
	vsize := funcImports + funcs
	if vsize < funcs || vsize+ReserveFuncs < vsize || types+2 < types {
		return nil, errors.New("too many functions or types to add two")
	}
	for _, s := range secs {
		if s.ID != secCode {
			continue
		}
		body, found, err := reserveCode(s.Body, vsize)
		if err != nil {
			return nil, fmt.Errorf("code section: %w", err)
		}
		if found {
			if !hasTypes || !hasFuncs {
				return nil, errors.New("code without a type or function section")
			}
			replace[secCode] = body
			replace[secType] = appendAfterVec(find(secs, secType).Body, types, reserveTypes)
			replace[secFunction] = appendAfterVec(find(secs, secFunction).Body, funcs, binaryU32s(types, types+1))
		}
	}
	bodies := make(map[byte]*[]byte, len(replace))
	for id, body := range replace {
		bodies[id] = &body
	}
	return assemble(wasm, secs, bodies), nil
}

// More section ids.
const (
	secType     = 1
	secFunction = 3
	secCode     = 10
)

// reserveTypes are the added functions' types: [] -> [i32] (memory.size)
// and [i32] -> [i32] (memory.grow).
var reserveTypes = []byte{0x60, 0x00, 0x01, typeI32, 0x60, 0x01, typeI32, 0x01, typeI32}

// The added functions' bodies, over memory 0 (see the comment at the top
// of the file).
var (
	// () -> i32: memory.size - 1 - load(last word).
	reserveSizeBody = []byte{0x00,
		0x3F, 0x00, 0x41, 0x01, 0x6B, // memory.size; i32.const 1; i32.sub
		0x3F, 0x00, 0x41, 0x10, 0x74, 0x41, 0x04, 0x6B, // memory.size << 16 - 4
		0x28, 0x02, 0x00, // i32.load
		0x6B, 0x0B} // i32.sub; end
	// (n) -> i32, locals r (1) and old (2).
	reserveGrowBody = []byte{0x01, 0x02, typeI32,
		0x3F, 0x00, 0x41, 0x10, 0x74, 0x41, 0x04, 0x6B, 0x28, 0x02, 0x00, 0x21, 0x01, // r = load(last word)
		0x3F, 0x00, 0x41, 0x01, 0x6B, 0x20, 0x01, 0x6B, 0x21, 0x02, // old = memory.size - 1 - r
		0x20, 0x00, 0x20, 0x01, 0x4D, 0x04, 0x40, // if n <= r (unsigned)
		0x3F, 0x00, 0x41, 0x10, 0x74, 0x41, 0x04, 0x6B, //   last word
		0x20, 0x01, 0x20, 0x00, 0x6B, 0x36, 0x02, 0x00, //   = r - n
		0x20, 0x02, 0x0F, 0x0B, //   return old
		0x20, 0x00, 0x20, 0x01, 0x6B, 0x40, 0x00, // memory.grow(n - r)
		0x41, 0x7F, 0x46, 0x04, 0x40, 0x41, 0x7F, 0x0F, 0x0B, // if -1: return -1
		0x20, 0x02, 0x20, 0x01, 0x6A, 0x41, 0x01, 0x6A, 0x41, 0x10, 0x74, 0x41, 0x04, 0x6B, // the old control word: (old + r + 1) << 16 - 4
		0x41, 0x00, 0x36, 0x02, 0x00, // = 0
		0x20, 0x02, 0x0B} // old; end
)

func binaryU32s(vs ...uint32) []byte {
	var out []byte
	for _, v := range vs {
		out = wasmbin.AppendU32(out, v)
	}
	return out
}

// appendAfterVec returns a vector section body of n entries with extra
// (two more entries) appended.
func appendAfterVec(body []byte, n uint32, extra []byte) []byte {
	r := &wasmbin.Reader{B: body}
	_, _ = r.U32() // read before: n
	out := wasmbin.AppendU32(nil, n+2)
	out = append(out, body[r.Pos:]...)
	return append(out, extra...)
}

// reserveLimits copies a memory's limits from r to out, its maximum, if
// any, raised by one page.
func reserveLimits(r *wasmbin.Reader, out []byte) ([]byte, error) {
	flags, err := r.Byte()
	if err != nil {
		return nil, err
	}
	if flags > 1 {
		return nil, fmt.Errorf("%w: shared or 64-bit memory (limits flags 0x%02x)", ErrUnsupported, flags)
	}
	min, err := r.U32()
	if err != nil {
		return nil, err
	}
	out = wasmbin.AppendU32(append(out, flags), min)
	if flags == 1 {
		max, err := r.U32()
		if err != nil {
			return nil, err
		}
		if max >= 65536 {
			return nil, fmt.Errorf("%w: memory maximum of %d pages leaves no room for the control page", ErrUnsupported, max)
		}
		out = wasmbin.AppendU32(out, max+1)
	}
	return out, nil
}

// reserveMemories rewrites the memory section's limits and counts its
// memories.
func reserveMemories(body []byte) ([]byte, int, error) {
	r := &wasmbin.Reader{B: body}
	n, err := r.U32()
	if err != nil {
		return nil, 0, err
	}
	out := wasmbin.AppendU32(nil, n)
	for i := uint32(0); i < n; i++ {
		if out, err = reserveLimits(r, out); err != nil {
			return nil, 0, err
		}
	}
	if !r.Done() {
		return nil, 0, errors.New("bytes after the last memory")
	}
	return out, int(n), nil
}

// reserveImports rewrites the import section's memory limits and counts
// its functions and memories.
func reserveImports(body []byte) ([]byte, uint32, int, error) {
	r := &wasmbin.Reader{B: body}
	n, err := r.U32()
	if err != nil {
		return nil, 0, 0, err
	}
	out := wasmbin.AppendU32(nil, n)
	var funcs uint32
	memories := 0
	for i := uint32(0); i < n; i++ {
		start := r.Pos
		for range 2 { // module and name
			if _, err := r.Vec(); err != nil {
				return nil, 0, 0, err
			}
		}
		kind, err := r.Byte()
		if err != nil {
			return nil, 0, 0, err
		}
		switch kind {
		case 0: // function
			funcs++
			_, err = r.U32()
		case 1: // table: reference type, limits
			if _, err = r.Byte(); err == nil {
				err = skipTableLimits(r)
			}
		case 2: // memory
			memories++
			out = append(out, body[start:r.Pos]...)
			if out, err = reserveLimits(r, out); err != nil {
				return nil, 0, 0, err
			}
			continue
		case 3: // global: value type, mutability
			err = r.Skip(2)
		default:
			return nil, 0, 0, fmt.Errorf("import %d of unsupported kind %d", i, kind)
		}
		if err != nil {
			return nil, 0, 0, err
		}
		out = append(out, body[start:r.Pos]...)
	}
	if !r.Done() {
		return nil, 0, 0, errors.New("bytes after the last import")
	}
	return out, funcs, memories, nil
}

func skipTableLimits(r *wasmbin.Reader) error {
	flags, err := r.Byte()
	if err != nil {
		return err
	}
	if flags > 1 {
		return fmt.Errorf("unsupported table limits flags 0x%02x", flags)
	}
	if _, err := r.U32(); err != nil {
		return err
	}
	if flags == 1 {
		_, err = r.U32()
	}
	return err
}

// reserveCode rewrites every function body's memory.size and memory.grow
// into calls of functions vsize and vsize+1, and appends their bodies if
// there was any (found).
func reserveCode(body []byte, vsize uint32) ([]byte, bool, error) {
	r := &wasmbin.Reader{B: body}
	n, err := r.U32()
	if err != nil {
		return nil, false, err
	}
	out := make([]byte, 0, len(body)+len(reserveGrowBody)+32)
	out = wasmbin.AppendU32(out, n+ReserveFuncs)
	found := false
	for i := uint32(0); i < n; i++ {
		fb, err := r.Vec()
		if err != nil {
			return nil, false, err
		}
		nb, changed, err := reserveBody(fb, vsize)
		if err != nil {
			return nil, false, fmt.Errorf("function body %d: %w", i, err)
		}
		found = found || changed
		out = wasmbin.AppendVec(out, nb)
	}
	if !r.Done() {
		return nil, false, errors.New("bytes after the last function body")
	}
	out = wasmbin.AppendVec(out, reserveSizeBody)
	out = wasmbin.AppendVec(out, reserveGrowBody)
	return out, found, nil
}

// reserveBody rewrites one function body; changed reports whether it had
// a memory.size or memory.grow.
func reserveBody(b []byte, vsize uint32) ([]byte, bool, error) {
	r := &wasmbin.Reader{B: b}
	groups, err := r.U32()
	if err != nil {
		return nil, false, err
	}
	for i := uint32(0); i < groups; i++ {
		if _, err := r.U32(); err != nil {
			return nil, false, err
		}
		if _, err := r.Byte(); err != nil {
			return nil, false, err
		}
	}
	var out []byte
	copied := 0
	for depth := 1; depth > 0; {
		start := r.Pos
		op, err := r.Byte()
		if err != nil {
			return nil, false, err
		}
		switch op {
		case 0x02, 0x03, 0x04: // block, loop, if: a block type
			depth++
			err = r.Signed(33)
		case 0x0B: // end
			depth--
		case 0x10, 0xD2: // call, ref.func
			_, err = r.U32()
		case 0xFC:
			var sub uint32
			if sub, err = r.U32(); err == nil {
				err = wasmbin.SkipPrefixedFC(r, sub)
			}
		case 0x3F, 0x40: // memory.size, memory.grow
			var mem uint32
			if mem, err = r.U32(); err == nil && mem != 0 {
				err = fmt.Errorf("%w: names memory %d", ErrUnsupported, mem)
			}
			if err == nil {
				f := vsize
				if op == 0x40 {
					f++
				}
				if out == nil {
					out = make([]byte, 0, len(b)+16)
				}
				out = append(out, b[copied:start]...)
				out = wasmbin.AppendU32(append(out, 0x10), f) // call
				copied = r.Pos
			}
		default:
			err = wasmbin.SkipImmediates(r, op)
		}
		if err != nil {
			return nil, false, fmt.Errorf("instruction at offset %d: %w", start, err)
		}
	}
	if !r.Done() {
		return nil, false, errors.New("bytes after the function's end")
	}
	if out == nil {
		return b, false, nil
	}
	return append(out, b[copied:]...), true, nil
}
