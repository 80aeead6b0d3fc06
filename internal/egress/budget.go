package egress

import (
	"context"
	"errors"
	"io"
	"sync"
)

// Budget bounds the outbound HTTP of one invocation: how many requests it
// sends (each redirect followed is one more) and how many bytes of request
// and response bodies cross the network. Time is bounded by the context
// given to Client.Do, which the node sets to the app's timeout. A Budget is
// safe for concurrent use; a nil *Budget sets no limit.
type Budget struct {
	mu          sync.Mutex
	requests    int
	maxRequests int
	bytes       int64
	maxBytes    int64
}

// NewBudget returns a budget of maxRequests requests and maxBytes bytes of
// bodies. A value of 0 or less allows nothing of that kind.
func NewBudget(maxRequests int, maxBytes int64) *Budget {
	return &Budget{maxRequests: maxRequests, maxBytes: maxBytes}
}

// Used returns the requests and body bytes used so far.
func (b *Budget) Used() (requests int, bytes int64) {
	if b == nil {
		return 0, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.requests, b.bytes
}

// takeRequest counts one request about to be sent with a body of n bytes,
// or fails with ErrLimit and counts nothing. what names the request in
// the message ("GET http://x/", "redirect 2 to http://y/").
func (b *Budget) takeRequest(what string, n int64) error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.requests >= b.maxRequests {
		return fail(ErrLimit, "%s would be outbound request %d of this invocation, over limits.outbound_requests (%d): make fewer requests or raise the limit",
			what, b.requests+1, b.maxRequests)
	}
	if n > b.maxBytes-b.bytes {
		return fail(ErrLimit, "%s: its %d-byte body is more than the %d bytes left of limits.outbound_bytes (%d bytes of bodies sent and received per invocation): send less or raise the limit",
			what, n, b.maxBytes-b.bytes, b.maxBytes)
	}
	b.requests++
	b.bytes += n
	return nil
}

// takeBytes counts up to n received bytes and returns how many fit.
func (b *Budget) takeBytes(n int64) int64 {
	if b == nil {
		return n
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	n = min(n, b.maxBytes-b.bytes)
	if n < 0 {
		n = 0
	}
	b.bytes += n
	return n
}

// left returns the bytes left, or -1 for no limit.
func (b *Budget) left() int64 {
	if b == nil {
		return -1
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.maxBytes - b.bytes
}

// budgetBody is a response body whose bytes count against a Budget. A read
// that would go past the budget returns the bytes that fit and an ErrLimit
// error; one that fails because the context ended returns ErrTimeout.
type budgetBody struct {
	rc     io.ReadCloser
	budget *Budget
	ctx    context.Context
	what   string // "GET http://x/"
	err    error  // sticky
}

func (r *budgetBody) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if left := r.budget.left(); left >= 0 && int64(len(p)) > left {
		// Ask for one byte more than fits, to tell "ends here" from
		// "goes on past the budget".
		p = p[:left+1]
	}
	n, err := r.rc.Read(p)
	got := r.budget.takeBytes(int64(n))
	if got < int64(n) {
		r.err = fail(ErrLimit, "reading the response of %s: the body goes past limits.outbound_bytes (%d bytes of bodies sent and received per invocation): read less or raise the limit", r.what, r.budget.maxBytes)
		r.rc.Close()
		return int(got), r.err
	}
	if err != nil && !errors.Is(err, io.EOF) {
		r.err = netFailure(r.ctx, "reading the response of "+r.what, err)
		return n, r.err
	}
	return n, err
}

func (r *budgetBody) Close() error { return r.rc.Close() }
