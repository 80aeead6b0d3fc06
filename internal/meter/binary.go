package meter

import (
	"fmt"

	"github.com/wisphq/wisp/internal/wasmbin"
)

// reader and section are wasmbin's, which internal/preinit shares.
type (
	reader  = wasmbin.Reader
	section = wasmbin.Section
)

// constExpr copies a constant expression from r to out, renumbering the
// functions ref.func names, up to and including its end. globals is the
// number of globals it may read: a global.get past them is an error.
func (m *module) constExpr(r *reader, out []byte, globals uint32) ([]byte, error) {
	for {
		start := r.Pos
		op, err := r.Byte()
		if err != nil {
			return nil, err
		}
		switch op {
		case 0x0B: // end
			return append(out, op), nil
		case 0x41: // i32.const
			err = r.Signed(32)
		case 0x42: // i64.const
			err = r.Signed(64)
		case 0x43: // f32.const
			err = r.Skip(4)
		case 0x44: // f64.const
			err = r.Skip(8)
		case 0x23: // global.get
			var g uint32
			if g, err = r.U32(); err == nil {
				err = checkGlobal(g, globals)
			}
		case 0xD0: // ref.null
			_, err = r.Byte()
		case 0xD2: // ref.func
			var f uint32
			if f, err = r.U32(); err == nil {
				if f, err = m.fn(f); err == nil {
					out = wasmbin.AppendU32(append(out, op), f)
					continue
				}
			}
		case 0xFD: // v128.const
			var sub uint32
			if sub, err = r.U32(); err == nil && sub != 12 {
				err = fmt.Errorf("unsupported instruction 0xFD %d in a constant expression", sub)
			} else if err == nil {
				err = r.Skip(16)
			}
		case 0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E: // extended constant arithmetic
		default:
			err = fmt.Errorf("unsupported instruction 0x%02x in a constant expression", op)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r.B[start:r.Pos]...)
	}
}
