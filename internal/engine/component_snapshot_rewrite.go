package engine

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/wisphq/wisp/internal/wasmbin"
)

// A component graph's steps that define no memory (the shim, the preview 1
// adapter, the fixup) are rewritten here for a snapshot: their start
// section dropped and their mutable globals' initial values replaced by
// the recorded ones. preinit.Apply does the same for the step that defines
// the memory, and more (data segments, memory size); it refuses modules
// without a memory, hence this smaller rewrite.

// rewriteStepForSnapshot returns wasm without its start section and with
// each defined global whose index (imports first, importedGlobals of them)
// is in values starting at that value (bits as api.Global.Get returns
// them). Only number globals are rewritten; values for others are an
// error.
func rewriteStepForSnapshot(wasm []byte, importedGlobals uint32, values map[uint32]uint64) ([]byte, error) {
	secs, err := wasmbin.Sections(wasm)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(wasm)+32)
	out = append(out, wasmbin.Magic...)
	for _, s := range secs {
		switch s.ID {
		case 8: // start
			continue
		case 6: // global
			body, err := rewriteGlobals(s.Body, importedGlobals, values)
			if err != nil {
				return nil, fmt.Errorf("global section: %w", err)
			}
			out = wasmbin.AppendVec(append(out, 6), body)
		default:
			out = append(out, wasm[s.Start:s.End]...)
		}
	}
	return out, nil
}

func rewriteGlobals(body []byte, imported uint32, values map[uint32]uint64) ([]byte, error) {
	r := &wasmbin.Reader{B: body}
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out := wasmbin.AppendU32(nil, n)
	for i := uint32(0); i < n; i++ {
		typ, err := r.Byte()
		if err != nil {
			return nil, err
		}
		mut, err := r.Byte()
		if err != nil {
			return nil, err
		}
		init, err := wasmbin.SingleConstExpr(r)
		if err != nil {
			return nil, fmt.Errorf("global %d: %w", imported+i, err)
		}
		out = append(out, typ, mut)
		bits, ok := values[imported+i]
		if !ok {
			out = append(out, init...)
			continue
		}
		switch typ {
		case 0x7F: // i32
			out = wasmbin.AppendS64(append(out, 0x41), int64(int32(uint32(bits))))
		case 0x7E: // i64
			out = wasmbin.AppendS64(append(out, 0x42), int64(bits))
		case 0x7D: // f32
			out = binary.LittleEndian.AppendUint32(append(out, 0x43), uint32(bits))
		case 0x7C: // f64
			out = binary.LittleEndian.AppendUint64(append(out, 0x44), bits)
		default:
			return nil, fmt.Errorf("global %d is of type 0x%02x, not a number", imported+i, typ)
		}
		out = append(out, 0x0B)
	}
	if !r.Done() {
		return nil, errors.New("bytes after the last global")
	}
	return out, nil
}

// importedGlobalCount counts the globals wasm imports.
func importedGlobalCount(wasm []byte) (uint32, error) {
	secs, err := wasmbin.Sections(wasm)
	if err != nil {
		return 0, err
	}
	return wasmbin.ImportedGlobals(secs)
}
