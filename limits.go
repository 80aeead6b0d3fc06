package wisp

import "time"

// Limits bound what one app may use. A zero field means "use the default"
// (see [DefaultLimits]); [Limits.WithDefaults] fills them in, and every
// stored version has them filled in.
type Limits struct {
	// Memory caps each instance's linear memory. A module whose declared
	// minimum exceeds it is refused at deploy; growth past it fails inside
	// the guest (memory.grow returns -1).
	Memory ByteSize `json:"memory,omitempty"`
	// Timeout is the wall-clock limit of one invocation; past it the
	// instance is killed and the caller gets ErrTimeout (HTTP 504).
	Timeout Duration `json:"timeout,omitempty"`
	// CPU is the CPU time one invocation may use, counted as fuel by the
	// metering every module is instrumented with (docs/cpu.md): the same
	// request uses the same fuel on every node and run. Past it the
	// instance is stopped and the caller gets ErrCPULimit (HTTP 503).
	// The wall-clock Timeout applies as well.
	CPU Duration `json:"cpu,omitempty"`
	// MaxBody caps the request body (stdin); larger requests get HTTP 413.
	MaxBody ByteSize `json:"max_body,omitempty"`
	// MaxResponse caps the guest's stdout; past it the invocation fails
	// with ErrTooLarge (HTTP 500).
	MaxResponse ByteSize `json:"max_response,omitempty"`
	// MaxConcurrency caps instances of this app running at once on a node.
	// Up to as many again wait for a slot; further calls get ErrOverloaded
	// (HTTP 503) at once.
	MaxConcurrency int `json:"max_concurrency,omitempty"`
	// KVOps caps key-value operations in one invocation; past it they
	// fail with LIMIT (docs/guest-abi.md).
	KVOps int `json:"kv_ops,omitempty"`
	// OutboundRequests caps outbound HTTP requests in one invocation
	// (redirects followed count as requests).
	OutboundRequests int `json:"outbound_requests,omitempty"`
	// OutboundBytes caps the bytes of request and response bodies sent
	// and received by outbound HTTP in one invocation.
	OutboundBytes ByteSize `json:"outbound_bytes,omitempty"`
}

// DefaultLimits are the limits of an app that sets none.
var DefaultLimits = Limits{
	Memory:           128 << 20,
	Timeout:          Duration(10 * time.Second),
	CPU:              Duration(10 * time.Second),
	MaxBody:          10 << 20,
	MaxResponse:      10 << 20,
	MaxConcurrency:   64,
	KVOps:            1000,
	OutboundRequests: 32,
	OutboundBytes:    16 << 20,
}

// Upper bounds on limits a deploy may ask for.
const (
	MaxMemoryLimit           = ByteSize(4 << 30) // all of wasm32's address space
	MaxTimeoutLimit          = Duration(15 * time.Minute)
	MaxCPULimit              = Duration(15 * time.Minute)
	MaxBodyLimit             = ByteSize(1 << 30)
	MaxResponseLimit         = ByteSize(1 << 30)
	MaxConcurrencyLimit      = 4096
	MaxKVOpsLimit            = 1_000_000
	MaxOutboundRequestsLimit = 10_000
	MaxOutboundBytesLimit    = ByteSize(1 << 30)
	wasmPageSize             = 64 << 10
)

// WithDefaults returns l with every zero field set from [DefaultLimits].
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits
	if l.Memory == 0 {
		l.Memory = d.Memory
	}
	if l.Timeout == 0 {
		l.Timeout = d.Timeout
	}
	if l.CPU == 0 {
		l.CPU = d.CPU
	}
	if l.MaxBody == 0 {
		l.MaxBody = d.MaxBody
	}
	if l.MaxResponse == 0 {
		l.MaxResponse = d.MaxResponse
	}
	if l.MaxConcurrency == 0 {
		l.MaxConcurrency = d.MaxConcurrency
	}
	if l.KVOps == 0 {
		l.KVOps = d.KVOps
	}
	if l.OutboundRequests == 0 {
		l.OutboundRequests = d.OutboundRequests
	}
	if l.OutboundBytes == 0 {
		l.OutboundBytes = d.OutboundBytes
	}
	return l
}

// Validate checks that every set limit is within range, wrapping [ErrInvalid].
func (l Limits) Validate() error {
	switch {
	case l.Memory < 0 || l.Memory > MaxMemoryLimit:
		return errorf(ErrInvalid, "limits.memory %s is out of range: use at most %s", l.Memory, MaxMemoryLimit)
	case l.Memory%wasmPageSize != 0:
		return errorf(ErrInvalid, "limits.memory %d bytes is not a multiple of the 64KiB WebAssembly page: use a value like \"64MiB\"", int64(l.Memory))
	case l.Timeout < 0 || l.Timeout > MaxTimeoutLimit:
		return errorf(ErrInvalid, "limits.timeout %s is out of range: use at most %s", l.Timeout, MaxTimeoutLimit)
	case l.CPU < 0 || l.CPU > MaxCPULimit:
		return errorf(ErrInvalid, "limits.cpu %s is out of range: use at most %s", l.CPU, MaxCPULimit)
	case l.CPU > 0 && l.CPU < Duration(time.Millisecond):
		return errorf(ErrInvalid, "limits.cpu %s is below the smallest CPU limit of 1ms: use a duration like \"50ms\"", l.CPU)
	case l.MaxBody < 0 || l.MaxBody > MaxBodyLimit:
		return errorf(ErrInvalid, "limits.max_body %s is out of range: use at most %s", l.MaxBody, MaxBodyLimit)
	case l.MaxResponse < 0 || l.MaxResponse > MaxResponseLimit:
		return errorf(ErrInvalid, "limits.max_response %s is out of range: use at most %s", l.MaxResponse, MaxResponseLimit)
	case l.MaxConcurrency < 0 || l.MaxConcurrency > MaxConcurrencyLimit:
		return errorf(ErrInvalid, "limits.max_concurrency %d is out of range: use 1 to %d", l.MaxConcurrency, MaxConcurrencyLimit)
	case l.KVOps < 0 || l.KVOps > MaxKVOpsLimit:
		return errorf(ErrInvalid, "limits.kv_ops %d is out of range: use 1 to %d", l.KVOps, MaxKVOpsLimit)
	case l.OutboundRequests < 0 || l.OutboundRequests > MaxOutboundRequestsLimit:
		return errorf(ErrInvalid, "limits.outbound_requests %d is out of range: use 1 to %d", l.OutboundRequests, MaxOutboundRequestsLimit)
	case l.OutboundBytes < 0 || l.OutboundBytes > MaxOutboundBytesLimit:
		return errorf(ErrInvalid, "limits.outbound_bytes %s is out of range: use at most %s", l.OutboundBytes, MaxOutboundBytesLimit)
	}
	return nil
}
