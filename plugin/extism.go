package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/wisphq/wisp/internal/egress"
	"github.com/wisphq/wisp/internal/engine"
)

// The import modules of Extism's host ABI.
const (
	// EnvNamespace is Extism's own ABI (input, output, memory, config,
	// variables, logging, errors, HTTP), provided by this package.
	EnvNamespace = "extism:host/env"
	// UserNamespace is where Extism plugins import their host's
	// functions, and HostFunction's default namespace.
	UserNamespace = "extism:host/user"
)

// state is one call's view of Extism's ABI: what the extism:host/env
// functions read and write. It reaches them through the call's context
// (engine.WithHostData).
type state struct {
	p        *Plugin
	ctx      context.Context // the call's, set before each host function runs
	input    []byte
	inputOff uint64 // the input's block once input_offset copied it there
	k        *kernel
	lim      Limits
	output   []byte
	errMsg   string
	fault    error // the first host-side failure, which ends the call
	vars     *vars
	budget   *egress.Budget
	status   int32
	headers  map[string]string
}

var statePool = sync.Pool{New: func() any { return new(state) }}

func (p *Plugin) newState(input []byte, lim Limits, v *vars) *state {
	st := statePool.Get().(*state)
	*st = state{p: p, input: input, k: newKernel(lim.Memory), lim: lim, vars: v}
	return st
}

func (st *state) release() {
	st.k.release()
	*st = state{}
	statePool.Put(st)
}

// vars are the variables of an Instance (or of one fresh call).
type vars struct {
	m    map[string][]byte
	size int
}

// stateOf returns the call's state, failing the guest when a host function
// runs outside a call (a start section at load).
func stateOf(ctx context.Context) *state {
	st, ok := engine.HostData(ctx).(*state)
	if !ok {
		panic(fmt.Errorf("extism host function called outside a plugin call (from a start section?)"))
	}
	return st
}

// fail records err as the call's fault and traps the guest with it.
func (st *state) fail(err error) {
	if st.fault == nil {
		st.fault = err
	}
	panic(err)
}

// check fails the call with err, if not nil.
func (st *state) check(err error) {
	if err != nil {
		st.fail(err)
	}
}

// block is k.block, failing the call on error.
func (st *state) block(off uint64, what string) []byte {
	b, err := st.k.block(off, what)
	st.check(err)
	return b
}

// text reads a block as a string, taking ownership of it (freed), as
// Extism's config_get, var_get and log functions do.
func (st *state) text(off uint64, what string) string {
	b := st.block(off, what)
	s := string(b)
	st.k.free(off)
	return s
}

func (st *state) newBlock(b []byte) uint64 {
	off, err := st.k.store(b)
	st.check(err)
	return off
}

type env = func(st *state, stack []uint64)

// extismFuncs are the extism:host/env functions, with Extism's signatures
// (a u8 is passed as an i32, a u64 offset or length as an i64).
func extismFuncs() []engine.HostFunc {
	I32, I64 := engine.I32, engine.I64
	fns := []struct {
		name    string
		params  []engine.ValueType
		results []engine.ValueType
		fn      env
	}{
		{"input_length", nil, []engine.ValueType{I64}, func(st *state, s []uint64) { s[0] = uint64(len(st.input)) }},
		{"input_load_u8", []engine.ValueType{I64}, []engine.ValueType{I32}, func(st *state, s []uint64) {
			if s[0] >= uint64(len(st.input)) {
				st.fail(fmt.Errorf("input_load_u8: offset %d is past the input's %d bytes: %w", s[0], len(st.input), ErrInvalidPointer))
			}
			s[0] = uint64(st.input[s[0]])
		}},
		{"input_load_u64", []engine.ValueType{I64}, []engine.ValueType{I64}, func(st *state, s []uint64) {
			if s[0] > uint64(len(st.input)) || uint64(len(st.input))-s[0] < 8 {
				st.fail(fmt.Errorf("input_load_u64: 8 bytes at offset %d are past the input's %d bytes: %w", s[0], len(st.input), ErrInvalidPointer))
			}
			b := st.input[s[0]:]
			s[0] = uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 | uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		}},
		{"input_offset", nil, []engine.ValueType{I64}, func(st *state, s []uint64) {
			if st.inputOff == 0 {
				engine.ChargeHost(st.ctx, uint64(len(st.input))) // the copy
				st.inputOff = st.newBlock(st.input)
			}
			s[0] = st.inputOff
		}},
		{"length", []engine.ValueType{I64}, []engine.ValueType{I64}, func(st *state, s []uint64) { s[0] = st.k.length(s[0]) }},
		{"length_unsafe", []engine.ValueType{I64}, []engine.ValueType{I64}, func(st *state, s []uint64) { s[0] = st.k.length(s[0]) }},
		{"alloc", []engine.ValueType{I64}, []engine.ValueType{I64}, func(st *state, s []uint64) {
			engine.ChargeHost(st.ctx, s[0]) // zeroing, growing
			off, err := st.k.alloc(s[0])
			st.check(err)
			s[0] = off
		}},
		{"free", []engine.ValueType{I64}, nil, func(st *state, s []uint64) {
			engine.ChargeHost(st.ctx, st.k.length(s[0])) // zeroing
			st.k.free(s[0])
		}},
		{"load_u8", []engine.ValueType{I64}, []engine.ValueType{I32}, func(st *state, s []uint64) {
			v, err := st.k.loadU8(s[0])
			st.check(err)
			s[0] = uint64(v)
		}},
		{"load_u64", []engine.ValueType{I64}, []engine.ValueType{I64}, func(st *state, s []uint64) {
			v, err := st.k.loadU64(s[0])
			st.check(err)
			s[0] = v
		}},
		{"store_u8", []engine.ValueType{I64, I32}, nil, func(st *state, s []uint64) {
			if err := st.k.storeU8(s[0], byte(s[1])); err != nil {
				st.fail(err)
			}
		}},
		{"store_u64", []engine.ValueType{I64, I64}, nil, func(st *state, s []uint64) {
			if err := st.k.storeU64(s[0], s[1]); err != nil {
				st.fail(err)
			}
		}},
		{"output_set", []engine.ValueType{I64, I64}, nil, outputSet},
		{"error_set", []engine.ValueType{I64}, nil, func(st *state, s []uint64) {
			if s[0] == 0 {
				st.errMsg = ""
				return
			}
			st.errMsg = string(st.block(s[0], "error_set"))
		}},
		{"config_get", []engine.ValueType{I64}, []engine.ValueType{I64}, func(st *state, s []uint64) {
			v, ok := st.p.config[st.text(s[0], "config_get")]
			s[0] = 0
			if ok {
				s[0] = st.newBlock([]byte(v))
			}
		}},
		{"var_get", []engine.ValueType{I64}, []engine.ValueType{I64}, func(st *state, s []uint64) {
			key := st.text(s[0], "var_get")
			s[0] = 0
			if st.vars != nil {
				if v, ok := st.vars.m[key]; ok {
					s[0] = st.newBlock(v)
				}
			}
		}},
		{"var_set", []engine.ValueType{I64, I64}, nil, varSet},
		{"http_request", []engine.ValueType{I64, I64}, []engine.ValueType{I64}, httpRequest},
		{"http_status_code", nil, []engine.ValueType{I32}, func(st *state, s []uint64) { s[0] = uint64(uint32(st.status)) }},
		{"http_headers", nil, []engine.ValueType{I64}, func(st *state, s []uint64) {
			s[0] = 0
			if st.headers != nil {
				b, _ := json.Marshal(st.headers)
				s[0] = st.newBlock(b)
			}
		}},
		{"log_trace", []engine.ValueType{I64}, nil, logAt(LogTrace)},
		{"log_debug", []engine.ValueType{I64}, nil, logAt(LogDebug)},
		{"log_info", []engine.ValueType{I64}, nil, logAt(LogInfo)},
		{"log_warn", []engine.ValueType{I64}, nil, logAt(LogWarn)},
		{"log_error", []engine.ValueType{I64}, nil, logAt(LogError)},
		{"get_log_level", nil, []engine.ValueType{I32}, func(st *state, s []uint64) {
			level := int32(logOff)
			if st.p.cfg.Log != nil {
				level = int32(st.p.cfg.LogLevel) - 1 // Extism's numbering
			}
			s[0] = uint64(uint32(level))
		}},
	}
	out := make([]engine.HostFunc, len(fns))
	for i, f := range fns {
		fn := f.fn
		out[i] = engine.HostFunc{Name: f.name, Params: f.params, Results: f.results, Fn: func(ctx context.Context, _ engine.Memory, stack []uint64) {
			st := stateOf(ctx)
			st.ctx = ctx
			fn(st, stack)
		}}
	}
	return out
}

func outputSet(st *state, s []uint64) {
	off, n := s[0], s[1]
	if n > uint64(st.lim.Output) {
		st.fail(fmt.Errorf("output_set: %d bytes: %w: the call's output is limited to %d bytes", n, ErrOutputTooLarge, st.lim.Output))
	}
	b, err := st.k.span(off, n, "output_set")
	st.check(err)
	engine.ChargeHost(st.ctx, n) // the copy
	st.output = append(st.output[:0], b...)
}

func varSet(st *state, s []uint64) {
	if st.p.cfg.MaxVarBytes < 0 {
		st.fail(fmt.Errorf("var_set: variables are disabled by this host (Config.MaxVarBytes is negative)"))
	}
	key := string(st.block(s[0], "var_set key"))
	if st.vars == nil {
		st.vars = &vars{m: map[string][]byte{}}
	}
	others := st.vars.size // the store's size without key's present value
	if old, ok := st.vars.m[key]; ok {
		others -= len(key) + len(old)
	}
	st.k.free(s[0])
	if s[1] == 0 { // Extism: a zero value offset removes the variable
		delete(st.vars.m, key)
		st.vars.size = others
		return
	}
	v := st.block(s[1], "var_set value")
	engine.ChargeHost(st.ctx, uint64(len(v))) // the copy
	// Checked before anything changes: a refused var_set leaves the
	// variable as it was.
	if size := others + len(key) + len(v); size > st.p.cfg.MaxVarBytes {
		st.fail(fmt.Errorf("var_set %q: the variable store is full: %d bytes of variables would exceed the limit of %d (Config.MaxVarBytes)", key, size, st.p.cfg.MaxVarBytes))
	}
	st.vars.m[key] = append([]byte(nil), v...)
	st.vars.size = others + len(key) + len(v)
	st.k.free(s[1])
}

func logAt(level LogLevel) env {
	return func(st *state, s []uint64) {
		msg := st.text(s[0], "log_"+level.String())
		if st.p.cfg.Log != nil && level >= st.p.cfg.LogLevel {
			st.p.cfg.Log(st.ctx, level, msg)
		}
	}
}

// httpRequest is Extism's http_request: a JSON request
// ({"url", "method", "headers"}) and an optional body block in, the
// response body's block out (its status and headers kept for
// http_status_code and http_headers). Requests go through internal/egress
// with the plugin's allowed hosts and the call's HTTP budget.
func httpRequest(st *state, s []uint64) {
	var req struct {
		URL     string            `json:"url"`
		Method  string            `json:"method"`
		Headers map[string]string `json:"headers"`
	}
	raw := st.block(s[0], "http_request")
	if err := json.Unmarshal(raw, &req); err != nil {
		st.fail(fmt.Errorf("http_request: the request is not Extism's JSON {\"url\", \"method\", \"headers\"}: %w", err))
	}
	st.k.free(s[0])
	var body []byte
	if s[1] != 0 {
		body = append([]byte(nil), st.block(s[1], "http_request body")...)
		st.k.free(s[1])
	}
	if req.Method == "" {
		req.Method = "GET"
	}
	req.Method = strings.ToUpper(req.Method)
	st.status, st.headers = 0, nil
	if st.p.policy == nil {
		st.fail(fmt.Errorf("http_request: HTTP request to %s is not allowed: the plugin has no allowed hosts (Config.AllowedHosts, wisp call --allow-host)", req.URL))
	}
	if st.budget == nil {
		st.budget = egress.NewBudget(st.lim.HTTPRequests, st.lim.HTTPBytes)
	}
	hreq, err := egress.NewRequest(req.Method, req.URL, body)
	st.check(err)
	for k, v := range req.Headers {
		hreq.Header.Set(k, v)
	}
	resp, err := st.p.client.Do(st.ctx, st.p.policy, st.budget, hreq)
	if err != nil {
		st.fail(fmt.Errorf("http_request: %w", err))
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		st.fail(fmt.Errorf("http_request: read the response of %s %s: %w", req.Method, req.URL, err))
	}
	st.status = int32(resp.StatusCode)
	st.headers = map[string]string{}
	for k, v := range resp.Header {
		st.headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	s[0] = st.newBlock(out)
}
