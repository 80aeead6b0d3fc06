package meter

import (
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
		op, index, err := wasmbin.ConstInstr(r)
		if err != nil {
			return nil, err
		}
		switch op {
		case 0x0B: // end
			return append(out, op), nil
		case 0x23: // global.get
			if err := checkGlobal(index, globals); err != nil {
				return nil, err
			}
		case 0xD2: // ref.func
			f, err := m.fn(index)
			if err != nil {
				return nil, err
			}
			out = wasmbin.AppendU32(append(out, op), f)
			continue
		}
		out = append(out, r.B[start:r.Pos]...)
	}
}
