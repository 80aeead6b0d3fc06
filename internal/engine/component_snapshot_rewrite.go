package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A component graph's steps that define no memory (the shim, the preview 1
// adapter, the fixup) are rewritten here for a snapshot: their start
// section dropped and their mutable globals' initial values replaced by
// the recorded ones. preinit.Apply does the same for the step that defines
// the memory, and more (data segments, memory size); it refuses modules
// without a memory, hence this smaller rewrite.

var errSnapshotTruncated = errors.New("unexpected end of module")

// wasmSection is one section: its id and where it is in the module.
type wasmSection struct {
	id         byte
	start, end int // the whole section, id included
	body       []byte
}

// readU32 reads an unsigned LEB128 of at most 32 bits at b[*pos:].
func readU32(b []byte, pos *int) (uint32, error) {
	var v uint32
	for shift := uint(0); shift < 35; shift += 7 {
		if *pos >= len(b) {
			return 0, errSnapshotTruncated
		}
		c := b[*pos]
		*pos++
		v |= uint32(c&0x7F) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errors.New("integer too long")
}

// wasmSections splits a module into its sections.
func wasmSections(wasm []byte) ([]wasmSection, error) {
	if len(wasm) < 8 || string(wasm[:8]) != "\x00asm\x01\x00\x00\x00" {
		return nil, errors.New("not a WebAssembly 1.0 module")
	}
	var secs []wasmSection
	for pos := 8; pos < len(wasm); {
		start := pos
		id := wasm[pos]
		pos++
		n, err := readU32(wasm, &pos)
		if err != nil {
			return nil, fmt.Errorf("section %d at offset %d: %w", id, start, err)
		}
		if uint64(len(wasm)-pos) < uint64(n) {
			return nil, fmt.Errorf("section %d at offset %d: %w", id, start, errSnapshotTruncated)
		}
		secs = append(secs, wasmSection{id: id, start: start, end: pos + int(n), body: wasm[pos : pos+int(n)]})
		pos += int(n)
	}
	return secs, nil
}

// skipConstExpr skips a constant expression of one instruction and end.
func skipConstExpr(b []byte, pos *int) error {
	if *pos >= len(b) {
		return errSnapshotTruncated
	}
	op := b[*pos]
	*pos++
	var err error
	switch op {
	case 0x41, 0x42: // i32.const, i64.const: a signed LEB128 of at most 10 bytes
		err = errors.New("integer too long")
		for n := 0; n < 10 && *pos < len(b); n++ {
			c := b[*pos]
			*pos++
			if c&0x80 == 0 {
				err = nil
				break
			}
		}
	case 0x43, 0x44: // f32.const, f64.const
		n := 4
		if op == 0x44 {
			n = 8
		}
		if len(b)-*pos < n {
			return errSnapshotTruncated
		}
		*pos += n
	case 0x23, 0xD2: // global.get, ref.func
		_, err = readU32(b, pos)
	case 0xD0: // ref.null
		if *pos >= len(b) {
			return errSnapshotTruncated
		}
		*pos++
	default:
		return fmt.Errorf("unsupported instruction 0x%02x in a constant expression", op)
	}
	if err != nil {
		return err
	}
	if *pos >= len(b) || b[*pos] != 0x0B {
		return errors.New("constant expression of more than one instruction")
	}
	*pos++
	return nil
}

// rewriteStepForSnapshot returns wasm without its start section and with
// each defined global whose index (imports first, importedGlobals of them)
// is in values starting at that value (bits as api.Global.Get returns
// them). Only number globals are rewritten; values for others are an
// error.
func rewriteStepForSnapshot(wasm []byte, importedGlobals uint32, values map[uint32]uint64) ([]byte, error) {
	secs, err := wasmSections(wasm)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(wasm)+32)
	out = append(out, wasm[:8]...)
	for _, s := range secs {
		switch s.id {
		case 8: // start
			continue
		case 6: // global
			body, err := rewriteGlobals(s.body, importedGlobals, values)
			if err != nil {
				return nil, fmt.Errorf("global section: %w", err)
			}
			out = append(out, 6)
			out = binary.AppendUvarint(out, uint64(len(body)))
			out = append(out, body...)
		default:
			out = append(out, wasm[s.start:s.end]...)
		}
	}
	return out, nil
}

func rewriteGlobals(body []byte, imported uint32, values map[uint32]uint64) ([]byte, error) {
	pos := 0
	n, err := readU32(body, &pos)
	if err != nil {
		return nil, err
	}
	out := binary.AppendUvarint(nil, uint64(n))
	for i := uint32(0); i < n; i++ {
		if len(body)-pos < 2 {
			return nil, errSnapshotTruncated
		}
		typ, mut := body[pos], body[pos+1]
		pos += 2
		start := pos
		if err := skipConstExpr(body, &pos); err != nil {
			return nil, fmt.Errorf("global %d: %w", imported+i, err)
		}
		out = append(out, typ, mut)
		bits, ok := values[imported+i]
		if !ok {
			out = append(out, body[start:pos]...)
			continue
		}
		switch typ {
		case 0x7F: // i32
			out = appendSLEB(append(out, 0x41), int64(int32(uint32(bits))))
		case 0x7E: // i64
			out = appendSLEB(append(out, 0x42), int64(bits))
		case 0x7D: // f32
			out = binary.LittleEndian.AppendUint32(append(out, 0x43), uint32(bits))
		case 0x7C: // f64
			out = binary.LittleEndian.AppendUint64(append(out, 0x44), bits)
		default:
			return nil, fmt.Errorf("global %d is of type 0x%02x, not a number", imported+i, typ)
		}
		out = append(out, 0x0B)
	}
	if pos != len(body) {
		return nil, errors.New("bytes after the last global")
	}
	return out, nil
}

// appendSLEB appends v as a signed LEB128.
func appendSLEB(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7F)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// importedGlobalCount counts the globals wasm imports.
func importedGlobalCount(wasm []byte) (uint32, error) {
	secs, err := wasmSections(wasm)
	if err != nil {
		return 0, err
	}
	for _, s := range secs {
		if s.id != 2 {
			continue
		}
		b, pos := s.body, 0
		n, err := readU32(b, &pos)
		if err != nil {
			return 0, err
		}
		globals := uint32(0)
		for i := uint32(0); i < n; i++ {
			for range 2 { // module and name
				l, err := readU32(b, &pos)
				if err != nil {
					return 0, err
				}
				if uint64(len(b)-pos) < uint64(l) {
					return 0, errSnapshotTruncated
				}
				pos += int(l)
			}
			if pos >= len(b) {
				return 0, errSnapshotTruncated
			}
			kind := b[pos]
			pos++
			switch kind {
			case 0: // function
				_, err = readU32(b, &pos)
			case 1: // table: reference type, limits
				if pos >= len(b) {
					return 0, errSnapshotTruncated
				}
				pos++
				err = skipLimits(b, &pos)
			case 2: // memory
				err = skipLimits(b, &pos)
			case 3: // global: value type, mutability
				if len(b)-pos < 2 {
					return 0, errSnapshotTruncated
				}
				pos += 2
				globals++
			default:
				return 0, fmt.Errorf("import %d of unsupported kind %d", i, kind)
			}
			if err != nil {
				return 0, err
			}
		}
		return globals, nil
	}
	return 0, nil
}

func skipLimits(b []byte, pos *int) error {
	if *pos >= len(b) {
		return errSnapshotTruncated
	}
	flags := b[*pos]
	*pos++
	if flags > 3 {
		return fmt.Errorf("unsupported limits flags 0x%02x", flags)
	}
	if _, err := readU32(b, pos); err != nil {
		return err
	}
	if flags&1 != 0 {
		_, err := readU32(b, pos)
		return err
	}
	return nil
}
