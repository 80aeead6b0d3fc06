// Package hostabitest holds fake platform services for tests that run
// guests against the guest ABI (internal/hostabi) without a node: the
// ABI's own tests and the SDKs' function-by-function tests share them, so
// a guest sees the same store, variables and upstream in each.
//
// The fake is deterministic and records what the guest did: the values and
// TTLs it set, its log entries, the outbound requests it sent. It is not
// safe for concurrent use (one instance runs on one goroutine).
package hostabitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/engine"
	"github.com/wisphq/wisp/internal/hostabi"
)

// The fake's errors, classified as the node classifies its own.
var (
	ErrNotFound = errors.New("not found")
	ErrDenied   = errors.New("denied")
	ErrInvalid  = errors.New("invalid")
)

// Upstream is the only host the fake sends requests to; it answers 203
// with Content-Type text/x-test, X-Up: 1 and the body "upstream body".
const Upstream = "upstream.test"

// Services is the fake: one store, "default"; the variables in Vars (and
// those in Unset, declared without a value); outbound requests to
// Upstream.
type Services struct {
	Data  map[string][]byte        // the store "default"
	TTLs  map[string]time.Duration // the TTL each Set gave its key
	Vars  map[string]string        // declared variables with a value
	Unset map[string]bool          // declared variables without one
	Logs  []string                 // each entry as `level [context] message ["k" "v"]`
	Sent  []string                 // each request as `METHOD URL X-Test=... X-Other=... body="..."`
	Gets  int                      // reads of the store (Get)
	// MaxValueSize and Room answer MaxValue and OutboundRoom.
	MaxValueSize, Room int64
}

// New returns the fake with an empty store, the variable greeting set to
// "hi there", unset declared without a value, a 1 MiB largest value and
// 1 MiB of outbound room.
func New() *Services {
	return &Services{
		Data: map[string][]byte{}, TTLs: map[string]time.Duration{},
		Vars: map[string]string{"greeting": "hi there"}, Unset: map[string]bool{"unset": true},
		MaxValueSize: 1 << 20, Room: 1 << 20,
	}
}

// OpenKV opens "default"; any other store is not declared.
func (s *Services) OpenKV(ctx context.Context, name string) (hostabi.Bucket, error) {
	if name != "default" {
		return nil, fmt.Errorf("store %q is not declared: %w", name, ErrDenied)
	}
	return bucket{s}, nil
}

// Variable answers from Vars and Unset.
func (s *Services) Variable(ctx context.Context, name string) (string, error) {
	if v, ok := s.Vars[name]; ok {
		return v, nil
	}
	if s.Unset[name] {
		return "", fmt.Errorf("variable %q has no value: %w", name, ErrNotFound)
	}
	return "", fmt.Errorf("variable %q is not declared: %w", name, ErrDenied)
}

// Log records the entry.
func (s *Services) Log(ctx context.Context, level hostabi.Level, c, msg string, fields []string) error {
	s.Logs = append(s.Logs, fmt.Sprintf("%s [%s] %s %q", level, c, msg, fields))
	return nil
}

// Send records the request and answers it if it is for Upstream.
func (s *Services) Send(ctx context.Context, req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	s.Sent = append(s.Sent, fmt.Sprintf("%s %s X-Test=%s X-Other=%s body=%q", req.Method, req.URL, req.Header.Get("X-Test"), req.Header.Get("X-Other"), body))
	if req.URL.Host != Upstream {
		return nil, fmt.Errorf("%s is not allowed: %w", req.URL, ErrDenied)
	}
	return &http.Response{StatusCode: 203, Header: http.Header{"Content-Type": {"text/x-test"}, "X-Up": {"1"}, "Content-Length": {"13"}},
		Body: io.NopCloser(strings.NewReader("upstream body"))}, nil
}

// MaxValue returns MaxValueSize.
func (s *Services) MaxValue() int64 { return s.MaxValueSize }

// OutboundRoom returns Room.
func (s *Services) OutboundRoom() int64 { return s.Room }

// Classify maps the fake's errors to statuses.
func (s *Services) Classify(err error) hostabi.Status {
	switch {
	case errors.Is(err, ErrNotFound):
		return hostabi.NotFound
	case errors.Is(err, ErrDenied):
		return hostabi.Denied
	case errors.Is(err, ErrInvalid):
		return hostabi.Invalid
	}
	return hostabi.Unavailable
}

// bucket is the store "default".
type bucket struct{ s *Services }

func (b bucket) Get(ctx context.Context, key string) ([]byte, error) {
	b.s.Gets++
	v, ok := b.s.Data[key]
	if !ok {
		return nil, fmt.Errorf("key %q: %w", key, ErrNotFound)
	}
	return v, nil
}

func (b bucket) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if key == "" {
		return fmt.Errorf("a key is 1 to 512 bytes: %w", ErrInvalid)
	}
	b.s.Data[key], b.s.TTLs[key] = value, ttl
	return nil
}

func (b bucket) Delete(ctx context.Context, key string) error {
	delete(b.s.Data, key)
	return nil
}

func (b bucket) Exists(ctx context.Context, key string) (bool, error) {
	_, ok := b.s.Data[key]
	return ok, nil
}

func (b bucket) Keys(ctx context.Context, prefix, after string, limit int) ([]string, bool, error) {
	var keys []string
	for k := range b.s.Data {
		if strings.HasPrefix(k, prefix) && k > after {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if len(keys) > limit {
		return keys[:limit], true, nil
	}
	return keys, false, nil
}

func (b bucket) Increment(ctx context.Context, key string, delta int64) (int64, error) {
	n := int64(0)
	if v, ok := b.s.Data[key]; ok {
		var err error
		if n, err = strconv.ParseInt(string(v), 10, 64); err != nil {
			return 0, fmt.Errorf("the value of %q is not a decimal integer: %w", key, ErrInvalid)
		}
	}
	n += delta
	b.s.Data[key] = []byte(strconv.FormatInt(n, 10))
	return n, nil
}

func (b bucket) CompareAndSwap(ctx context.Context, key string, old []byte, absent bool, value []byte) (bool, error) {
	cur, ok := b.s.Data[key]
	if absent && ok || !absent && (!ok || !bytes.Equal(cur, old)) {
		return false, nil
	}
	b.s.Data[key] = value
	return true, nil
}

// Engine returns an engine with the guest ABI's host modules, closed when
// the test ends.
func Engine(t testing.TB) *engine.Engine {
	t.Helper()
	e, err := engine.New(engine.Config{HostModules: hostabi.Modules()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

// Prepare compiles wasm for instances of up to memory bytes of linear
// memory and prepares it (a reactor is pre-initialized); both are
// released when the test ends.
func Prepare(t testing.TB, e *engine.Engine, wasm []byte, memory uint64) *engine.Prepared {
	t.Helper()
	ctx := context.Background()
	m, err := e.Compile(ctx, wasm, memory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(ctx) })
	p, err := m.Prepare(ctx, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(ctx) })
	return p
}

// Run runs p once as Start does, and fails the test if the run fails.
func Run(t testing.TB, p *engine.Prepared, svc hostabi.Services, c engine.Call) (stdout, stderr string) {
	t.Helper()
	stdout, stderr, err := Start(p, svc, c)
	if err != nil {
		t.Fatalf("run: %v\nstdout: %s\nstderr: %s", err, stdout, stderr)
	}
	return stdout, stderr
}

// Start runs p once with c (its Stdout, Stderr and Host are set here) and
// svc as the invocation's services (nil: none, as during _initialize),
// for at most 30 seconds, and returns what it wrote to stdout and stderr
// and the engine's error.
func Start(p *engine.Prepared, svc hostabi.Services, c engine.Call) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	if svc != nil {
		call := hostabi.NewCall(svc)
		defer call.Close()
		c.Host = call
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = p.Run(ctx, c)
	return out.String(), errOut.String(), err
}
