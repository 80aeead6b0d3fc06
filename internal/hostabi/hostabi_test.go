package hostabi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/engine"
	"github.com/wisphq/wisp/internal/hostabi"
)

// Errors of the fake services, classified as the node classifies its own.
var (
	errNotFound = errors.New("not found")
	errDenied   = errors.New("denied")
)

// fakeServices keeps one in-memory store, "default", and records logs.
type fakeServices struct {
	gets int // Get calls on the store
	data map[string][]byte
	vars map[string]string
	logs []string
	sent []*http.Request
}

func (f *fakeServices) OpenKV(ctx context.Context, name string) (hostabi.Bucket, error) {
	if name != "default" {
		return nil, fmt.Errorf("store %q is not declared: %w", name, errDenied)
	}
	return fakeBucket{f}, nil
}

func (f *fakeServices) Variable(ctx context.Context, name string) (string, error) {
	v, ok := f.vars[name]
	if !ok {
		return "", fmt.Errorf("variable %q has no value: %w", name, errNotFound)
	}
	return v, nil
}

func (f *fakeServices) Log(ctx context.Context, level hostabi.Level, c, msg string, fields []string) error {
	f.logs = append(f.logs, fmt.Sprintf("%s %s %s %q", level, c, msg, fields))
	return nil
}

func (f *fakeServices) Send(ctx context.Context, req *http.Request) (*http.Response, error) {
	f.sent = append(f.sent, req)
	if req.URL.Host != "upstream.test" {
		return nil, fmt.Errorf("%s is not allowed: %w", req.URL, errDenied)
	}
	return &http.Response{StatusCode: 203, Header: http.Header{"Content-Type": {"text/x-test"}},
		Body: io.NopCloser(strings.NewReader("upstream body " + req.Header.Get("X-Test")))}, nil
}

func (f *fakeServices) MaxValue() int64     { return 64 }
func (f *fakeServices) OutboundRoom() int64 { return 1 << 10 }

func (f *fakeServices) Classify(err error) hostabi.Status {
	switch {
	case errors.Is(err, errNotFound):
		return hostabi.NotFound
	case errors.Is(err, errDenied):
		return hostabi.Denied
	}
	return hostabi.Unavailable
}

type fakeBucket struct{ f *fakeServices }

func (b fakeBucket) Get(ctx context.Context, key string) ([]byte, error) {
	b.f.gets++
	v, ok := b.f.data[key]
	if !ok {
		return nil, errNotFound
	}
	return v, nil
}
func (b fakeBucket) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	b.f.data[key] = value
	return nil
}
func (b fakeBucket) Delete(ctx context.Context, key string) error { delete(b.f.data, key); return nil }
func (b fakeBucket) Exists(ctx context.Context, key string) (bool, error) {
	_, ok := b.f.data[key]
	return ok, nil
}
func (b fakeBucket) Keys(ctx context.Context, prefix, after string, limit int) ([]string, bool, error) {
	var keys []string
	for k := range b.f.data {
		if strings.HasPrefix(k, prefix) && k > after {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) > limit {
		return keys[:limit], true, nil
	}
	return keys, false, nil
}
func (b fakeBucket) Increment(ctx context.Context, key string, delta int64) (int64, error) {
	n, _ := strconv.ParseInt(string(b.f.data[key]), 10, 64)
	n += delta
	b.f.data[key] = []byte(strconv.FormatInt(n, 10))
	return n, nil
}
func (b fakeBucket) CompareAndSwap(ctx context.Context, key string, old []byte, absent bool, new []byte) (bool, error) {
	cur, ok := b.f.data[key]
	if absent && ok || !absent && (!ok || !bytes.Equal(cur, old)) {
		return false, nil
	}
	b.f.data[key] = new
	return true, nil
}

// run runs testdata/wasm/services.wasm with script and svc.
func run(t *testing.T, e *engine.Engine, svc hostabi.Services, script string) string {
	t.Helper()
	wasm, err := os.ReadFile("../../testdata/wasm/services.wasm")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m, err := e.Compile(ctx, wasm, 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(ctx)
	p, err := m.Prepare(ctx, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	var out bytes.Buffer
	var host any
	if svc != nil {
		call := hostabi.NewCall(svc)
		defer call.Close()
		host = call
	}
	if err := p.Run(ctx, engine.Call{Args: []string{"services"}, Env: []string{"SCRIPT=" + script}, Stdout: &out, Host: host}); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	return strings.TrimPrefix(out.String(), "Content-Type: text/plain\r\n\r\n")
}

func TestServicesThroughTheABI(t *testing.T) {
	e, err := engine.New(engine.Config{HostModules: hostabi.Modules()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	tests := []struct {
		name   string
		script string
		want   string
	}{
		{"set and get", "open default;set k hello;get k", "open 0 1\nset 0\nget 0 hello\n"},
		{"opening again gives the same handle", "open default;open default", "open 0 1\nopen 0 1\n"},
		{"absent key", "open default;get nope;exists nope", "open 0 1\nget 1\nexists 1\n"},
		{"buffer too small, then the same value", "open default;set k hello;getsmall k", "open 0 1\nset 0\nsmall 2 needs 5\ngetsmall 0 hello\n"},
		{"increment", "open default;incr n 5;incr n -2", "open 0 1\nincr 0 5\nincr 0 3\n"},
		{"list keys in order", "open default;set b 1;set a2 1;set a1 1;keys;keys a;keys a a1", "open 0 1\nset 0\nset 0\nset 0\nkeys 0 more=0 a1,a2,b,\nkeys 0 more=0 a1,a2,\nkeys 0 more=0 a2,\n"},
		{"compare and swap", "open default;cas k - v1;cas k - v2;cas k v1 v3;get k", "open 0 1\ncas 0 swapped=1\ncas 0 swapped=0\ncas 0 swapped=1\nget 0 v3\n"},
		{"undeclared store is denied with the message", "open other", "open 3: store \"other\" is not declared: denied\n"},
		{"a retry after another call reads again", "open default;set k old;peek k;set k newer;get k", "open 0 1\nset 0\npeek 2 needs 3\nset 0\nget 0 newer\n"},
		{"ttl out of range", "open default;set k v 9999999999999999", "open 0 1\nset 4: ttl_ms 9999999999999999 is out of range: use 0 for no expiry, or up to 3153600000000 (100 years)\n"},
		{"key too long, refused before it is copied", "open default;longkey 513", "open 0 1\nlongkey 4: key of 513 bytes is longer than the 512 bytes allowed\n"},
		{"value over the node's limit", "open default;set k 0123456789012345678901234567890123456789012345678901234567890123456789", "open 0 1\nset 5: value of 70 bytes is larger than the node's limit of 64 bytes (wisp serve --kv-max-value)\n"},
		{"handle never opened", "handle 7;get k", "handle 0\nget 4: key-value handle 7 is not open: get one from open\n"},
		{"pointer outside memory", "open default;set k v;fault", "open 0 1\nset 0\nfault 8: result buffer: pointer and length lie outside linear memory\n"},
		{"variable", "var greeting;var missing", "var 0 hi there\nvar 1\n"},
		{"log", "log 2 saved code abc", "log 0\n"},
		{"bad log level", "log 9 x", "log 4: log level 9 is not one of 0 (trace) to 5 (critical)\n"},
		{"send", "send GET http://upstream.test/x X-Test=yes", "send 0 203 text/x-test upstream body yes\n"},
		{"send refused", "send GET http://other.test/", "send 3: http://other.test/ is not allowed: denied\n"},
		{"bad header line", "send GET http://upstream.test/ nocolon", "send 4: request header line \"nocolon\": write it as \"Name: value\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &fakeServices{data: map[string][]byte{}, vars: map[string]string{"greeting": "hi there"}}
			if got := run(t, e, svc, tt.script); got != tt.want {
				t.Errorf("script %q:\ngot  %q\nwant %q", tt.script, got, tt.want)
			}
		})
	}
	t.Run("a get that would fault reads nothing from the store", func(t *testing.T) {
		svc := &fakeServices{data: map[string][]byte{}}
		run(t, e, svc, "open default;set k v;fault")
		if svc.gets != 0 {
			t.Errorf("the store was read %d times", svc.gets)
		}
	})
	t.Run("log reaches the services with level and fields", func(t *testing.T) {
		svc := &fakeServices{data: map[string][]byte{}}
		run(t, e, svc, "log 3 saved code abc")
		if want := `warn fixture saved ["code" "abc"]`; len(svc.logs) != 1 || svc.logs[0] != want {
			t.Errorf("logs = %q, want [%q]", svc.logs, want)
		}
	})
	t.Run("without a call every service is unavailable", func(t *testing.T) {
		got := run(t, e, nil, "open default;var x")
		want := "open 6: services are not available during _initialize: call them while handling a request\nvar 6: services are not available during _initialize: call them while handling a request\n"
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

func TestUnknownImportIsNamed(t *testing.T) {
	e, err := engine.New(engine.Config{}) // no host modules: the services are unknown
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	wasm, err := os.ReadFile("../../testdata/wasm/services.wasm")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Compile(context.Background(), wasm, 16<<20)
	if err == nil || !strings.Contains(err.Error(), "wisp:keyvalue/store@1.get, which this node does not provide") {
		t.Fatalf("compile error = %v", err)
	}
}
