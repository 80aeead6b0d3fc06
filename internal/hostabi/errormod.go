package hostabi

import (
	"context"

	"github.com/wisphq/wisp/internal/engine"
)

// errorModule is wisp:host/error@1.
func errorModule() engine.HostModule {
	return engine.HostModule{Name: "wisp:host/error@1", Funcs: []engine.HostFunc{
		// last(buf_ptr, cap, len_ptr)
		{
			Name: "last", Params: i32s(3), Results: []engine.ValueType{engine.I32},
			Fn: func(ctx context.Context, mem engine.Memory, stack []uint64) {
				msg := errNoServices.Error()
				if c := callOf(ctx); c != nil {
					msg = c.lastErr
				}
				st, err := output(mem, stack[0], stack[1], stack[2], []byte(msg))
				if err != nil {
					st = Fault
				}
				stack[0] = uint64(st)
			},
		},
	}}
}
