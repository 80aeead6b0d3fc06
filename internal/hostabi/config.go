package hostabi

import (
	"context"
	"fmt"
	"strings"

	"github.com/wisphq/wisp/internal/engine"
)

// configModule is wisp:config/store@1.
func configModule() engine.HostModule {
	return engine.HostModule{Name: "wisp:config/store@1", Funcs: []engine.HostFunc{
		// get(name_ptr, name_len, buf_ptr, cap, len_ptr)
		fn("get", i32s(5), func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (Status, error) {
			if err := sizeOK(stack[1], maxName, "variable name"); err != nil {
				return OK, err
			}
			name, err := stringAt(mem, stack[0], stack[1], "variable name")
			if err != nil {
				return OK, err
			}
			if err := checkOut(mem, stack[2], stack[3], stack[4]); err != nil {
				return OK, err
			}
			value, ok := c.retry.take("config", 0, name)
			if !ok {
				v, err := c.svc.Variable(ctx, name)
				if err != nil {
					return OK, err
				}
				value = []byte(v)
			}
			st, err := output(mem, stack[2], stack[3], stack[4], value)
			if st == BufferTooSmall {
				c.pending = pendingGet{kind: "config", key: name, value: value}
			}
			return st, err
		}),
	}}
}

// Limits of one log call's text (as for a stderr line).
const (
	maxLogText   = 4096
	maxLogFields = 64
)

// loggingModule is wisp:logging/logging@1.
func loggingModule() engine.HostModule {
	return engine.HostModule{Name: "wisp:logging/logging@1", Funcs: []engine.HostFunc{
		// log(level, context_ptr, context_len, msg_ptr, msg_len, fields_ptr, fields_len)
		fn("log", i32s(7), func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (Status, error) {
			level := Level(u32(stack[0]))
			if level > Critical {
				return OK, invalidArg{fmt.Sprintf("log level %d is not one of 0 (trace) to 5 (critical)", uint32(level))}
			}
			logCtx, err := textAt(mem, stack[1], stack[2], "log context")
			if err != nil {
				return OK, err
			}
			msg, err := textAt(mem, stack[3], stack[4], "log message")
			if err != nil {
				return OK, err
			}
			raw, ok := mem.Read(u32(stack[5]), u32(stack[6]))
			if !ok {
				return OK, fault{"log fields"}
			}
			fields, err := splitFields(raw)
			if err != nil {
				return OK, err
			}
			return OK, c.svc.Log(ctx, level, logCtx, msg, fields)
		}),
	}}
}

// textAt copies log text, cut at maxLogText bytes; invalid UTF-8 is
// replaced rather than refused, so a log call never loses its entry.
func textAt(mem engine.Memory, ptr, n uint64, what string) (string, error) {
	b, ok := mem.Read(u32(ptr), u32(n))
	if !ok {
		return "", fault{what}
	}
	if len(b) > maxLogText {
		b = b[:maxLogText]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), nil
}

// splitFields splits NUL-terminated alternating keys and values.
func splitFields(raw []byte) ([]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	if raw[len(raw)-1] != 0 {
		return nil, invalidArg{"log fields must each end with a NUL byte: \"key\\0value\\0\""}
	}
	parts := strings.Split(string(raw[:len(raw)-1]), "\x00")
	if len(parts)%2 != 0 {
		return nil, invalidArg{fmt.Sprintf("log fields hold %d strings: they must alternate keys and values", len(parts))}
	}
	if len(parts) > 2*maxLogFields {
		return nil, invalidArg{fmt.Sprintf("log call has %d fields: at most %d", len(parts)/2, maxLogFields)}
	}
	for i, p := range parts {
		if len(p) > maxLogText {
			p = p[:maxLogText]
		}
		parts[i] = strings.ToValidUTF8(p, "\uFFFD")
	}
	return parts, nil
}
