package hostabi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/wisphq/wisp/internal/egress"
	"github.com/wisphq/wisp/internal/engine"
)

// WAGI's outbound HTTP, wasi_experimental_http (deislabs/wasi-experimental-
// http, the ABI of its wasmtime host): modules written for WAGI call out
// unchanged, through the same Services.Send as wisp:http/outgoing-handler@1,
// so under the same allowed_outbound_hosts, checks and budget
// (docs/outbound.md). Its functions return these error codes instead of the
// guest ABI's statuses.
const (
	wagiSuccess           = 0
	wagiInvalidHandle     = 1
	wagiMemoryNotFound    = 2
	wagiMemoryAccessError = 3
	wagiBufferTooSmall    = 4
	wagiHeaderNotFound    = 5
	wagiUTF8Error         = 6
	wagiNotAllowed        = 7
	wagiInvalidMethod     = 8
	wagiInvalidEncoding   = 9
	wagiInvalidURL        = 10
	wagiRequestError      = 11
	wagiRuntimeError      = 12
	wagiTooManySessions   = 13
)

// wagiCodeOf maps a guest ABI status to the nearest WAGI code.
func wagiCodeOf(st Status) uint32 {
	switch st {
	case OK:
		return wagiSuccess
	case NotFound:
		return wagiHeaderNotFound
	case BufferTooSmall:
		return wagiBufferTooSmall
	case Denied:
		return wagiNotAllowed
	case Invalid:
		return wagiInvalidURL
	case Fault:
		return wagiMemoryAccessError
	case Limit, Unavailable, Timeout:
		return wagiRequestError
	}
	return wagiRuntimeError
}

// wagiFn builds a wasi_experimental_http function of n i32 parameters. Its
// body returns a WAGI code, or 0 and an error whose kind picks the code; an
// error's message becomes the instance's last error either way, as for the
// guest ABI's functions. Without a Call (a reactor's _initialize) every
// function fails with runtime_error.
func wagiFn(name string, n int, body func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (uint32, error)) engine.HostFunc {
	return engine.HostFunc{
		Name: name, Params: i32s(n), Results: []engine.ValueType{engine.I32},
		Fn: func(ctx context.Context, mem engine.Memory, stack []uint64) {
			c := callOf(ctx)
			if c == nil {
				stack[0] = wagiRuntimeError
				return
			}
			code, err := body(ctx, c, mem, stack)
			if err != nil {
				c.lastErr = err.Error()
				if code == wagiSuccess {
					code = wagiCodeOf(c.classify(err))
				}
			}
			stack[0] = uint64(code)
		},
	}
}

// wagiString copies the UTF-8 string of len bytes at ptr.
func wagiString(mem engine.Memory, ptr, n uint64, what string) (string, uint32, error) {
	b, ok := mem.Read(u32(ptr), u32(n))
	if !ok {
		return "", wagiMemoryAccessError, fault{what}
	}
	if !utf8.Valid(b) {
		return "", wagiUTF8Error, invalidArg{what + " is not valid UTF-8"}
	}
	return string(b), wagiSuccess, nil
}

// wagiResponse returns the response a WAGI handle names.
func (c *Call) wagiResponse(h uint64) (*http.Response, uint32, error) {
	r, ok := c.wagi[u32(h)]
	if !ok {
		return nil, wagiInvalidHandle, invalidArg{fmt.Sprintf("wasi_experimental_http handle %d is not open: get one from req", u32(h))}
	}
	return r, wagiSuccess, nil
}

// wagiModule is wasi_experimental_http.
func wagiModule() engine.HostModule {
	return engine.HostModule{Name: "wasi_experimental_http", Funcs: []engine.HostFunc{
		// req(url_ptr, url_len, method_ptr, method_len, headers_ptr, headers_len, body_ptr, body_len, status_code_ptr, handle_ptr)
		wagiFn("req", 10, wagiReq),
		// close(handle): as WAGI's host, closing a handle that is not
		// open succeeds.
		wagiFn("close", 1, func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (uint32, error) {
			if r, ok := c.wagi[u32(stack[0])]; ok {
				r.Body.Close()
				delete(c.wagi, u32(stack[0]))
			}
			return wagiSuccess, nil
		}),
		// header_get(handle, name_ptr, name_len, value_ptr, value_len, written_ptr)
		wagiFn("header_get", 6, func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (uint32, error) {
			r, code, err := c.wagiResponse(stack[0])
			if err != nil {
				return code, err
			}
			name, code, err := wagiString(mem, stack[1], stack[2], "header name")
			if err != nil {
				return code, err
			}
			values := r.Header.Values(name)
			if len(values) == 0 {
				return wagiHeaderNotFound, nil
			}
			return wagiOutput(mem, stack[3], stack[4], stack[5], []byte(values[0]))
		}),
		// headers_get_all(handle, buf_ptr, buf_len, written_ptr)
		wagiFn("headers_get_all", 4, wagiHeadersGetAll),
		// header_get_all: the name the crates' generated bindings
		// (raw.rs, raw.ts) import for the same function.
		wagiFn("header_get_all", 4, wagiHeadersGetAll),
		// body_read(handle, buf_ptr, buf_len, written_ptr)
		wagiFn("body_read", 4, func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (uint32, error) {
			r, code, err := c.wagiResponse(stack[0])
			if err != nil {
				return code, err
			}
			buf, ok := mem.Read(u32(stack[1]), u32(stack[2]))
			if !ok {
				return wagiMemoryAccessError, fault{"body buffer"}
			}
			if _, ok := mem.Read(u32(stack[3]), 4); !ok {
				return wagiMemoryAccessError, fault{"written pointer"}
			}
			n, err := readSome(r.Body, buf)
			if err != nil {
				return wagiSuccess, err
			}
			if err := writeU32(mem, stack[3], uint32(n), "written pointer"); err != nil {
				return wagiMemoryAccessError, err
			}
			return wagiSuccess, nil
		}),
	}}
}

func wagiReq(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (uint32, error) {
	if mem.Size() == 0 {
		return wagiMemoryNotFound, fault{"memory (the module exports none)"}
	}
	if c.openResponses() >= maxResponses {
		return wagiTooManySessions, limitErr{fmt.Sprintf("%d responses are open: close one before sending another", maxResponses)}
	}
	if err := c.checkRequestSizes(stack[3], stack[1], stack[5], stack[7]); err != nil {
		return wagiRequestError, err
	}
	rawURL, code, err := wagiString(mem, stack[0], stack[1], "url")
	if err != nil {
		return code, err
	}
	method, code, err := wagiString(mem, stack[2], stack[3], "method")
	if err != nil {
		return code, err
	}
	headers, code, err := wagiString(mem, stack[4], stack[5], "headers")
	if err != nil {
		return code, err
	}
	body, ok := mem.Read(u32(stack[6]), u32(stack[7]))
	if !ok {
		return wagiMemoryAccessError, fault{"body"}
	}
	body = bytes.Clone(body)
	if _, ok := mem.Read(u32(stack[8]), 2); !ok {
		return wagiMemoryAccessError, fault{"status code pointer"}
	}
	if _, ok := mem.Read(u32(stack[9]), 4); !ok {
		return wagiMemoryAccessError, fault{"handle pointer"}
	}
	if !validHeaderName(method) { // a method is a token, as a header name
		return wagiInvalidMethod, invalidArg{fmt.Sprintf("method %q is not a valid HTTP method: use a word like GET or POST", method)}
	}
	h, err := parseHeaderLines(headers)
	if err != nil {
		return wagiInvalidEncoding, err
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, bytes.NewReader(body))
	if err != nil {
		return wagiInvalidURL, invalidArg{fmt.Sprintf("outbound request %s %q: %v", method, egress.ShowURL(rawURL), cleanURLError(err))}
	}
	req.Header = h
	resp, err := c.svc.Send(ctx, req)
	if err != nil {
		// A WAGI module sees only a number; the node's session logs the
		// reason for the operator (and last keeps it).
		return wagiSuccess, err
	}
	handle := c.freeWAGIHandle()
	var status [2]byte
	status[0], status[1] = byte(resp.StatusCode), byte(resp.StatusCode>>8)
	if !mem.Write(u32(stack[8]), status[:]) || !mem.WriteUint32Le(u32(stack[9]), handle) {
		resp.Body.Close()
		return wagiMemoryAccessError, fault{"status code or handle pointer"}
	}
	if c.wagi == nil {
		c.wagi = map[uint32]*http.Response{}
	}
	c.wagi[handle] = resp
	return wagiSuccess, nil
}

// freeWAGIHandle returns the lowest handle not open; as WAGI's host, the
// first is 0.
func (c *Call) freeWAGIHandle() uint32 {
	for h := uint32(0); ; h++ {
		if _, ok := c.wagi[h]; !ok {
			return h
		}
	}
}

func wagiHeadersGetAll(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (uint32, error) {
	r, code, err := c.wagiResponse(stack[0])
	if err != nil {
		return code, err
	}
	return wagiOutput(mem, stack[1], stack[2], stack[3], wagiHeaderText(r.Header))
}

// wagiHeaderText writes h as WAGI's host does: "name:value\n" for every
// value, names in lower case (here sorted).
func wagiHeaderText(h http.Header) []byte {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, name := range names {
		for _, v := range h[name] {
			b.WriteString(strings.ToLower(name) + ":" + v + "\n")
		}
	}
	return b.Bytes()
}

// wagiOutput writes data to the guest's buffer and its size at
// writtenPtr. As WAGI's host, a buffer too small gets nothing written and
// buffer_too_small.
func wagiOutput(mem engine.Memory, buf, capacity, writtenPtr uint64, data []byte) (uint32, error) {
	if uint64(len(data)) > uint64(u32(capacity)) {
		return wagiBufferTooSmall, fmt.Errorf("the result is %d bytes, more than the %d-byte buffer: call again with a bigger one", len(data), u32(capacity))
	}
	if !mem.Write(u32(buf), data) {
		return wagiMemoryAccessError, fault{"value buffer"}
	}
	if err := writeU32(mem, writtenPtr, uint32(len(data)), "written pointer"); err != nil {
		return wagiMemoryAccessError, err
	}
	return wagiSuccess, nil
}
