package hostabi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/wisphq/wisp/internal/egress"
	"github.com/wisphq/wisp/internal/engine"
)

// maxResponses bounds the outbound responses one invocation holds open at
// once, through this module and WAGI's together: each holds a connection.
const maxResponses = 16

// openResponses is how many responses the invocation holds open.
func (c *Call) openResponses() int { return len(c.responses) + len(c.wagi) }

// checkRequestSizes refuses an outbound request's parts over their limits
// before they are copied out of guest memory.
func (c *Call) checkRequestSizes(method, url, headers, body uint64) error {
	if err := sizeOK(method, maxName, "method"); err != nil {
		return err
	}
	if err := sizeOK(url, maxURL, "url"); err != nil {
		return err
	}
	if err := sizeOK(headers, maxHeaders, "request headers"); err != nil {
		return err
	}
	if room := c.svc.OutboundRoom(); int64(u32(body)) > room {
		return limitErr{fmt.Sprintf("request body of %d bytes is more than the %d bytes left of this request's limits.outbound_bytes", u32(body), room)}
	}
	if c.openResponses() >= maxResponses {
		return limitErr{fmt.Sprintf("%d responses are open: close one before sending another", maxResponses)}
	}
	return nil
}

// response returns the response a handle names.
func (c *Call) response(h uint64) (*http.Response, error) {
	r, ok := c.responses[u32(h)]
	if !ok {
		return nil, invalidArg{fmt.Sprintf("response handle %d is not open: get one from send", u32(h))}
	}
	return r, nil
}

// parseHeaderLines parses "Name: value" lines separated by "\n" (a "\r"
// before it is dropped).
func parseHeaderLines(text string) (http.Header, error) {
	h := http.Header{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !validHeaderName(name) {
			return nil, invalidArg{fmt.Sprintf("request header line %q: write it as \"Name: value\"", line)}
		}
		value = strings.TrimSpace(value)
		if strings.ContainsAny(value, "\r\n\x00") {
			return nil, invalidArg{fmt.Sprintf("request header %s: the value holds a control character", name)}
		}
		h.Add(name, value)
	}
	return h, nil
}

func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		if b <= ' ' || b >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", b) >= 0 {
			return false
		}
	}
	return true
}

// headerText writes h as "Name: value\n" lines, names sorted.
func headerText(h http.Header) []byte {
	var b bytes.Buffer
	h.Write(&b) // canonical order, "\r\n" line ends
	return bytes.ReplaceAll(b.Bytes(), []byte("\r\n"), []byte("\n"))
}

// httpModule is wisp:http/outgoing-handler@1.
func httpModule() engine.HostModule {
	return engine.HostModule{Name: "wisp:http/outgoing-handler@1", Funcs: []engine.HostFunc{
		// send(method_ptr, method_len, url_ptr, url_len, headers_ptr, headers_len, body_ptr, body_len, response_ptr)
		fn("send", i32s(9), func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (Status, error) {
			if err := c.checkRequestSizes(stack[1], stack[3], stack[5], stack[7]); err != nil {
				return OK, err
			}
			method, err := stringAt(mem, stack[0], stack[1], "method")
			if err != nil {
				return OK, err
			}
			rawURL, err := stringAt(mem, stack[2], stack[3], "url")
			if err != nil {
				return OK, err
			}
			headers, err := stringAt(mem, stack[4], stack[5], "headers")
			if err != nil {
				return OK, err
			}
			body, err := bytesAt(mem, stack[6], stack[7], "body")
			if err != nil {
				return OK, err
			}
			if _, ok := mem.Read(u32(stack[8]), 4); !ok {
				return OK, fault{"response pointer"}
			}
			if method == "" {
				method = http.MethodGet
			}
			h, err := parseHeaderLines(headers)
			if err != nil {
				return OK, err
			}
			req, err := http.NewRequestWithContext(ctx, method, rawURL, bytes.NewReader(body))
			if err != nil {
				return OK, invalidArg{fmt.Sprintf("outbound request %s %q: %v", method, egress.ShowURL(rawURL), cleanURLError(err))}
			}
			req.Header = h
			resp, err := c.svc.Send(ctx, req)
			if err != nil {
				return OK, err
			}
			if c.responses == nil {
				c.responses = map[uint32]*http.Response{}
			}
			c.nextResp++
			c.responses[c.nextResp] = resp
			return OK, writeU32(mem, stack[8], c.nextResp, "response pointer")
		}),
		// status(response, status_ptr)
		fn("status", i32s(2), func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (Status, error) {
			r, err := c.response(stack[0])
			if err != nil {
				return OK, err
			}
			return OK, writeU32(mem, stack[1], uint32(r.StatusCode), "status pointer")
		}),
		// header(response, name_ptr, name_len, buf_ptr, cap, len_ptr)
		fn("header", i32s(6), func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (Status, error) {
			r, err := c.response(stack[0])
			if err != nil {
				return OK, err
			}
			if err := sizeOK(stack[2], maxName, "header name"); err != nil {
				return OK, err
			}
			name, err := stringAt(mem, stack[1], stack[2], "header name")
			if err != nil {
				return OK, err
			}
			if err := checkOut(mem, stack[3], stack[4], stack[5]); err != nil {
				return OK, err
			}
			values := r.Header.Values(name)
			if len(values) == 0 {
				return NotFound, nil
			}
			return output(mem, stack[3], stack[4], stack[5], []byte(values[0]))
		}),
		// headers(response, buf_ptr, cap, len_ptr)
		fn("headers", i32s(4), func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (Status, error) {
			r, err := c.response(stack[0])
			if err != nil {
				return OK, err
			}
			return output(mem, stack[1], stack[2], stack[3], headerText(r.Header))
		}),
		// read(response, buf_ptr, cap, n_ptr)
		fn("read", i32s(4), func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (Status, error) {
			r, err := c.response(stack[0])
			if err != nil {
				return OK, err
			}
			buf, ok := mem.Read(u32(stack[1]), u32(stack[2]))
			if !ok {
				return OK, fault{"read buffer"}
			}
			if _, ok := mem.Read(u32(stack[3]), 4); !ok {
				return OK, fault{"count pointer"}
			}
			n, err := readSome(r.Body, buf)
			if err != nil {
				return OK, err
			}
			return OK, writeU32(mem, stack[3], uint32(n), "count pointer")
		}),
		// close(response)
		fn("close", i32s(1), func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (Status, error) {
			r, err := c.response(stack[0])
			if err != nil {
				return OK, err
			}
			delete(c.responses, u32(stack[0]))
			r.Body.Close()
			return OK, nil
		}),
	}}
}

// readSome reads into buf directly (it is a view of guest memory: the
// body is copied once), returning 0 only at the end of the body.
func readSome(body io.Reader, buf []byte) (int, error) {
	if len(buf) == 0 {
		return 0, nil
	}
	for {
		n, err := body.Read(buf)
		if n > 0 {
			return n, nil
		}
		if errors.Is(err, io.EOF) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// limitErr is a limit of the ABI itself (not of a service).
type limitErr struct{ msg string }

func (e limitErr) Error() string { return e.msg }

// cleanURLError drops net/url's repetition of the operation and URL.
func cleanURLError(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		return ue.Unwrap()
	}
	return err
}
