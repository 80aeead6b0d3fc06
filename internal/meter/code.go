package meter

import (
	"errors"
	"fmt"

	"github.com/wisphq/wisp/internal/wasmbin"
)

// code returns the code section with every function body instrumented.
func (m *module) code(b []byte) ([]byte, error) {
	r := &reader{B: b}
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	if n != uint32(len(m.funcTypes)) {
		return nil, fmt.Errorf("%d bodies for %d functions", n, len(m.funcTypes))
	}
	out := make([]byte, 0, len(b)+len(b)/4+16)
	out = wasmbin.AppendU32(out, n)
	for i := uint32(0); i < n; i++ {
		body, err := r.Vec()
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", m.funcImports+i, err)
		}
		nb, err := m.body(body, m.typeParams[m.funcTypes[i]])
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", m.funcImports+i, err)
		}
		out = wasmbin.AppendVec(out, nb)
	}
	if !r.Done() {
		return nil, errors.New("bytes after the last function body")
	}
	return out, nil
}

// An edit changes a function body: it replaces b[pos:end] (nothing, for an
// insertion) with what its kind says.
type edit struct {
	pos, end int
	kind     editKind
	value    uint32 // editCharge: region; editFunc: new function index
	data     []byte // editBytes: what replaces b[pos:end]
}

type editKind byte

const (
	editCharge      editKind = iota // charge a region's cost
	editFunc                        // a renumbered function index
	editChargeMem                   // charge a bulk memory operation's size
	editChargeTable                 // charge a bulk table operation's size
	editBytes                       // replace with data
	editLoopClose                   // after a wrapped loop's end (see wrapOpen)
)

// body instruments one function body (locals and expression).
func (m *module) body(b []byte, params uint32) ([]byte, error) {
	r := &reader{B: b}
	groups, err := r.U32()
	if err != nil {
		return nil, err
	}
	localsStart := r.Pos // the count may be padded: re-encoded below
	locals := uint64(params)
	for i := uint32(0); i < groups; i++ {
		c, err := r.U32()
		if err != nil {
			return nil, err
		}
		if _, err := r.Byte(); err != nil {
			return nil, err
		}
		locals += uint64(c)
	}
	expr := r.Pos

	var edits []edit
	var regions []region
	newRegion := func(at int, checked bool) uint32 {
		id := uint32(len(regions))
		regions = append(regions, region{checked: checked})
		edits = append(edits, edit{pos: at, end: at, kind: editCharge, value: id})
		return id
	}
	frames := []frame{{kind: 0x00, cur: newRegion(expr, true)}} // the function's body
	bulk := false
	for len(frames) > 0 {
		start := r.Pos
		op, err := r.Byte()
		if err != nil {
			return nil, err
		}
		top := &frames[len(frames)-1]
		cur := top.cur
		regions[cur].cost += weight(op)
		switch {
		case op == 0x02: // block: its code runs on in the enclosing region
			if _, err := m.blockType(r); err != nil {
				return nil, err
			}
			frames = append(frames, frame{kind: op, cur: cur, wraps: top.wraps})
		case op == 0x04: // if: the then arm is a region
			if _, err := m.blockType(r); err != nil {
				return nil, err
			}
			frames = append(frames, frame{kind: op, cur: newRegion(r.Pos, false), wraps: top.wraps})
		case op == 0x05: // else: so is the else arm
			top.cur = newRegion(r.Pos, false)
		case op == 0x03: // loop: its body is a region, charged and checked at its start
			bt, err := m.blockType(r)
			if err != nil {
				return nil, err
			}
			// Only a loop without parameters can be wrapped: the blocks
			// around it take none.
			f := frame{kind: op, wrapped: bt < 0 || m.typeParams[bt] == 0, wraps: top.wraps}
			if f.wrapped { // see wrapOpen
				f.wraps++
				edits = append(edits, edit{pos: start, end: start, kind: editBytes, data: wrapOpen(b[start+1 : r.Pos])})
			}
			f.cur = newRegion(r.Pos, true)
			regions[f.cur].wrapped = f.wrapped
			frames = append(frames, f)
		case op == 0x0B: // end
			kind, wrapped := top.kind, top.wrapped
			frames = frames[:len(frames)-1]
			if wrapped {
				edits = append(edits, edit{pos: r.Pos, end: r.Pos, kind: editLoopClose})
			}
			// The code after a block's end is reached by branches to it as
			// well as from the block (a switch's cases): a region. After
			// an if or a loop, the enclosing region goes on.
			if kind == 0x02 && len(frames) > 0 {
				frames[len(frames)-1].cur = newRegion(r.Pos, false)
			}
		case op == 0x10 || op == 0xD2: // call, ref.func
			at := r.Pos
			f, err := r.U32()
			if err != nil {
				return nil, err
			}
			if op == 0x10 && f < m.funcImports {
				regions[cur].cost += HostCallCost
			}
			nf, err := m.fn(f)
			if err != nil {
				return nil, fmt.Errorf("instruction at offset %d: %w", start, err)
			}
			edits = append(edits, edit{pos: at, end: r.Pos, kind: editFunc, value: nf})
		case op == 0x23 || op == 0x24: // global.get, global.set: not the counter
			g, err := r.U32()
			if err != nil {
				return nil, err
			}
			if err := checkGlobal(g, m.globals); err != nil {
				return nil, fmt.Errorf("instruction at offset %d: %w", start, err)
			}
		case op == 0x11: // call_indirect: not the refuel function's type
			t, err := r.U32()
			if err != nil {
				return nil, err
			}
			if t >= m.refuelType {
				return nil, fmt.Errorf("instruction at offset %d: type %d does not exist", start, t)
			}
			if _, err := r.U32(); err != nil { // table
				return nil, err
			}
		case op == 0x0C || op == 0x0D || op == 0x0E: // br, br_if, br_table
			at := r.Pos
			n := uint32(1)
			if op == 0x0E {
				if n, err = r.U32(); err != nil {
					return nil, err
				}
				n++
			}
			moved := false
			var labels []byte
			if op == 0x0E {
				labels = wasmbin.AppendU32(labels, n-1)
			}
			for ; n > 0; n-- {
				l, err := r.U32()
				if err != nil {
					return nil, err
				}
				if l >= uint32(len(frames)) {
					return nil, fmt.Errorf("branch at offset %d to label %d of %d", start, l, len(frames))
				}
				// Each wrapped loop the branch leaves puts 3 labels
				// between it and its target.
				crossed := top.wraps - frames[len(frames)-1-int(l)].wraps
				moved = moved || crossed > 0
				labels = wasmbin.AppendU32(labels, l+3*uint32(crossed))
			}
			if moved {
				edits = append(edits, edit{pos: at, end: r.Pos, kind: editBytes, data: labels})
			}
		case op == 0xFC:
			sub, err := r.U32()
			if err != nil {
				return nil, err
			}
			switch sub {
			case 8, 10, 11: // memory.init, memory.copy, memory.fill
				edits = append(edits, edit{pos: start, end: start, kind: editChargeMem})
				bulk = true
			case 12, 14, 17: // table.init, table.copy, table.fill
				edits = append(edits, edit{pos: start, end: start, kind: editChargeTable})
				bulk = true
			}
			if err := wasmbin.SkipPrefixedFC(r, sub); err != nil {
				return nil, err
			}
		default:
			if err := wasmbin.SkipImmediates(r, op); err != nil {
				return nil, fmt.Errorf("instruction at offset %d: %w", start, err)
			}
		}
	}
	if !r.Done() {
		return nil, errors.New("bytes after the function's end")
	}
	// At least 1 on entry, so that an instance's first call finds the
	// counter (zero) below zero and calls refuel, and the host learns of
	// the instance before any fuel is spent.
	regions[0].cost = max(regions[0].cost, 1)

	// Locals are added: an i64 that checks keep the counter's new value
	// in, so they need not read the global back, and, for bulk charges, an
	// i32 that keeps the size.
	if locals >= 1<<32-2 {
		return nil, errors.New("too many locals to add two")
	}
	fuel, scratch := uint32(locals), uint32(locals)+1
	out := make([]byte, 0, len(b)+len(edits)*20+8)
	if bulk {
		out = wasmbin.AppendU32(out, groups+2)
		out = append(out, b[localsStart:expr]...)
		out = append(out, 0x01, 0x7E, 0x01, 0x7F) // one i64, one i32
	} else {
		out = wasmbin.AppendU32(out, groups+1)
		out = append(out, b[localsStart:expr]...)
		out = append(out, 0x01, 0x7E) // one i64
	}
	pos := expr
	for _, e := range edits {
		out = append(out, b[pos:e.pos]...)
		pos = e.end
		switch e.kind {
		case editCharge:
			out = m.charge(out, regions[e.value], fuel)
		case editFunc:
			out = wasmbin.AppendU32(out, e.value)
		case editBytes:
			out = append(out, e.data...)
		case editLoopClose:
			out = m.loopClose(out)
		case editChargeMem:
			out = m.chargeSize(out, scratch, fuel, memoryShift)
		case editChargeTable:
			out = m.chargeSize(out, scratch, fuel, -tableShift)
		}
	}
	return append(out, b[pos:]...), nil
}

// CallCost is the fuel of a call or call_indirect instruction (the frame
// set-up), on top of the callee's own code; BranchCost that of br, br_if
// and br_table (with the check a loop iteration passes, about a
// nanosecond's work: a one-branch loop is charged about what it costs).
const (
	CallCost   = 5
	BranchCost = 3
)

// weight is the fuel of one instruction: 0 for those that compile to
// nothing or a register move (locals, constants, structure, drop, nop),
// CallCost for calls, BranchCost for branches, 1 for any other.
func weight(op byte) int64 {
	switch op {
	case 0x01, 0x02, 0x03, 0x05, 0x0B, 0x1A, 0x20, 0x21, 0x22, 0x41, 0x42, 0x43, 0x44:
		return 0
	case 0x10, 0x11:
		return CallCost
	case 0x0C, 0x0D, 0x0E:
		return BranchCost
	}
	return 1
}

// charge appends: fuel -= cost, and for a checked region
// if fuel < 0 { refuel() }, with local the function's i64 scratch local.
func (m *module) charge(out []byte, rg region, local uint32) []byte {
	if rg.wrapped { // if fuel < 0 { br $brk } (see wrapOpen)
		out = wasmbin.AppendU32(append(out, 0x23), m.globals) // global.get fuel
		out = append(out, 0x42, 0x00, 0x53)                   // i64.const 0; i64.lt_s
		out = append(out, 0x0D, 0x01)                         // br_if 1
		rg.checked = false
	}
	out = wasmbin.AppendU32(append(out, 0x23), m.globals) // global.get fuel
	out = wasmbin.AppendS64(append(out, 0x42), rg.cost)   // i64.const cost
	out = append(out, 0x7D)                               // i64.sub
	if !rg.checked {
		return wasmbin.AppendU32(append(out, 0x24), m.globals) // global.set fuel
	}
	return m.check(out, local)
}

// A region is code that runs at most once between two charges of it.
type region struct {
	cost    int64
	checked bool // a function's entry or a loop's body: refuel when out of fuel
	wrapped bool // a wrapped loop's body: leave the loop to refuel
}

// frame is an open block, loop, if or the function body.
type frame struct {
	kind    byte   // opcode: 0x02 block, 0x03 loop, 0x04 if; 0x00 the body
	cur     uint32 // the region its code is being counted into
	wrapped bool   // a loop wrapped by wrapOpen and loopClose
	wraps   int    // wrapped loops open, this one included
}

// A loop whose block type is empty, one value type or a type without
// parameters is wrapped so that the refuel call is outside it: a call inside a loop, even
// one never taken, makes wazero keep the loop's values in memory (about a
// tenth slower on compute-bound code). The loop L becomes
//
//	block $done (result of L)
//	  loop $outer
//	    block $brk
//	      loop L
//	        if fuel < 0: br $brk     ;; before the charge: re-entering charges once
//	        fuel -= cost
//	        body                     ;; branches leaving L: 3 more labels out
//	      end
//	      br $done
//	    end
//	    refuel()
//	    br $outer
//	  end
//	  unreachable
//	end
//
// The check is at the top of the body, before any of it runs, so leaving
// and entering L again there changes nothing but the fuel.
func wrapOpen(blockType []byte) []byte {
	out := append([]byte{0x02}, blockType...)
	return append(out, 0x03, 0x40, 0x02, 0x40)
}

// loopClose appends what follows a wrapped loop's end (see wrapOpen).
func (m *module) loopClose(out []byte) []byte {
	out = append(out, 0x0C, 0x02, 0x0B)                       // br $done; end $brk
	out = wasmbin.AppendU32(append(out, 0x10), m.funcImports) // call refuel
	return append(out, 0x0C, 0x00, 0x0B, 0x00, 0x0B)          // br $outer; end; unreachable; end
}

// chargeSize appends, before a bulk instruction whose size operand is on
// top of the stack: fuel -= size >> shift (size << -shift for a negative
// shift); if fuel < 0 { refuel() }. The size stays on the stack for the
// instruction.
func (m *module) chargeSize(out []byte, scratch, local uint32, shift int64) []byte {
	out = wasmbin.AppendU32(append(out, 0x22), scratch)   // local.tee scratch
	out = wasmbin.AppendU32(append(out, 0x23), m.globals) // global.get fuel
	out = wasmbin.AppendU32(append(out, 0x20), scratch)   // local.get scratch
	out = append(out, 0xAD)                               // i64.extend_i32_u
	switch {
	case shift > 0:
		out = wasmbin.AppendS64(append(out, 0x42), shift) // i64.const shift
		out = append(out, 0x88)                           // i64.shr_u
	case shift < 0:
		out = wasmbin.AppendS64(append(out, 0x42), -shift) // i64.const -shift
		out = append(out, 0x86)                            // i64.shl
	}
	out = append(out, 0x7D) // i64.sub
	return m.check(out, local)
}

// check appends, with the counter's new value on the stack: fuel = it;
// if fuel < 0 { refuel() }, keeping the value in local.
func (m *module) check(out []byte, local uint32) []byte {
	out = wasmbin.AppendU32(append(out, 0x22), local)     // local.tee
	out = wasmbin.AppendU32(append(out, 0x24), m.globals) // global.set fuel
	out = wasmbin.AppendU32(append(out, 0x20), local)     // local.get
	out = append(out, 0x42, 0x00, 0x53)                   // i64.const 0; i64.lt_s
	out = append(out, 0x04, 0x40)                         // if
	out = wasmbin.AppendU32(append(out, 0x10), m.funcImports)
	return append(out, 0x0B) // end
}

// blockType reads a block type: empty or a value type (-1 is returned), or
// a type index, which must be one of the module's own types, not the
// refuel function's (a valid module cannot name it; a rewritten one
// could).
func (m *module) blockType(r *reader) (int64, error) {
	if r.Pos >= len(r.B) {
		return 0, wasmbin.ErrTruncated
	}
	switch r.B[r.Pos] {
	case 0x40, 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x70, 0x6F:
		r.Pos++
		return -1, nil
	}
	var v int64
	var shift uint
	for {
		c, err := r.Byte()
		if err != nil {
			return 0, err
		}
		v |= int64(c&0x7F) << shift
		shift += 7
		if c&0x80 == 0 {
			if c&0x40 != 0 && shift < 64 {
				v |= -1 << shift
			}
			break
		}
		if shift >= 35 {
			return 0, errors.New("block type too long")
		}
	}
	if v < 0 || v >= int64(m.refuelType) {
		return 0, fmt.Errorf("block type %d does not exist", v)
	}
	return v, nil
}
