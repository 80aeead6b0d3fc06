// Package sdktest tests the Go SDK (guest/go) in the engine, with the
// guest ABI's host functions (internal/hostabi) over fake services:
// testdata/sdkcheck calls every SDK function and prints what came back,
// and the tests build it with the real Go toolchain as a reactor
// (-buildmode=c-shared -tags wisp_reactor) and as a command, run it and
// compare its output. The SDK's own tests (guest/go) cover its logic on
// the host against a fake ABI; the links example is driven end to end
// against a real node by tests/sdk.
package sdktest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/engine"
	"github.com/wisphq/wisp/internal/hostabi"
)

// The fake services' errors, classified as the node classifies its own.
var (
	errNotFound = errors.New("not found")
	errDenied   = errors.New("denied")
	errInvalid  = errors.New("invalid")
)

// services is an invocation's fake platform services: one store
// "default" holding p:0000 to p:1499, the variables greeting (set) and
// unset (no value), an upstream.test that answers 203.
type services struct {
	data map[string][]byte
	ttls map[string]time.Duration
	logs []string
	sent []string
}

func newServices() *services {
	s := &services{data: map[string][]byte{}, ttls: map[string]time.Duration{}}
	for i := range 1500 {
		s.data[fmt.Sprintf("p:%04d", i)] = []byte("x")
	}
	return s
}

func (s *services) OpenKV(_ context.Context, name string) (hostabi.Bucket, error) {
	if name != "default" {
		return nil, fmt.Errorf("app does not declare key-value store %q: %w", name, errDenied)
	}
	return bucket{s}, nil
}

func (s *services) Variable(_ context.Context, name string) (string, error) {
	switch name {
	case "greeting":
		return "hi there", nil
	case "unset":
		return "", fmt.Errorf("variable %q has no value: %w", name, errNotFound)
	}
	return "", fmt.Errorf("app does not declare variable %q: %w", name, errDenied)
}

func (s *services) Log(_ context.Context, level hostabi.Level, c, msg string, fields []string) error {
	s.logs = append(s.logs, fmt.Sprintf("%s [%s] %s %q", level, c, msg, fields))
	return nil
}

func (s *services) Send(_ context.Context, req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	s.sent = append(s.sent, fmt.Sprintf("%s %s X-Test=%s X-Other=%s body=%q", req.Method, req.URL, req.Header.Get("X-Test"), req.Header.Get("X-Other"), body))
	if req.URL.Host != "upstream.test" {
		return nil, fmt.Errorf("denied: %s is not allowed by allowed_outbound_hosts: %w", req.URL, errDenied)
	}
	return &http.Response{StatusCode: 203, Header: http.Header{"Content-Type": {"text/x-test"}, "X-Up": {"1"}, "Content-Length": {"13"}},
		Body: io.NopCloser(strings.NewReader("upstream body"))}, nil
}

func (s *services) Classify(err error) hostabi.Status {
	switch {
	case errors.Is(err, errNotFound):
		return hostabi.NotFound
	case errors.Is(err, errDenied):
		return hostabi.Denied
	case errors.Is(err, errInvalid):
		return hostabi.Invalid
	}
	return hostabi.Unavailable
}

// bucket is the store "default" of services.
type bucket struct{ s *services }

func (b bucket) Get(_ context.Context, key string) ([]byte, error) {
	v, ok := b.s.data[key]
	if !ok {
		return nil, fmt.Errorf("key %q: %w", key, errNotFound)
	}
	return v, nil
}

func (b bucket) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	if key == "" {
		return fmt.Errorf("key-value key is empty: %w", errInvalid)
	}
	b.s.data[key], b.s.ttls[key] = value, ttl
	return nil
}

func (b bucket) Delete(_ context.Context, key string) error {
	delete(b.s.data, key)
	return nil
}

func (b bucket) Exists(_ context.Context, key string) (bool, error) {
	_, ok := b.s.data[key]
	return ok, nil
}

func (b bucket) Keys(_ context.Context, prefix, after string, limit int) ([]string, bool, error) {
	var keys []string
	for k := range b.s.data {
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

func (b bucket) Increment(_ context.Context, key string, delta int64) (int64, error) {
	n := int64(0)
	if v, ok := b.s.data[key]; ok {
		var err error
		if n, err = strconv.ParseInt(string(v), 10, 64); err != nil {
			return 0, fmt.Errorf("the value of %q is not a decimal integer: %w", key, errInvalid)
		}
	}
	n += delta
	b.s.data[key] = []byte(strconv.FormatInt(n, 10))
	return n, nil
}

func (b bucket) CompareAndSwap(_ context.Context, key string, old []byte, absent bool, new []byte) (bool, error) {
	cur, ok := b.s.data[key]
	if absent && ok || !absent && (!ok || !bytes.Equal(cur, old)) {
		return false, nil
	}
	b.s.data[key] = new
	return true, nil
}

// servicesWant is what sdkcheck answers to /services.
const servicesWant = `Status: 200 OK
Content-Type: text/plain

request POST /app/services q="a b" x-test=yes type=text/plain body="payload" <nil>
path info /services
open other wisp: open key-value store "other": app does not declare key-value store "other": denied denied=true
open default <nil> default
set k <nil>
get k "v1" <nil>
get nope wisp: kv get "nope" in store "default": not found notfound=true
exists k true <nil>
delete k <nil>
exists k false <nil>
set empty key wisp: kv set "" in store "default": key-value key is empty: invalid invalid=true
set big <nil>
get big 5000 <nil>
set ttl <nil>
set ttl 0 wisp: kv set "t" in store "default": ttl 0s is not positive: use Set for a value that does not expire
incr n 5 <nil>
incr n 2 <nil>
incr s wisp: kv increment "s" in store "default": the value of "s" is not a decimal integer: invalid invalid=true
set if absent c true <nil>
set if absent c false <nil>
cas c true <nil>
cas c false <nil>
get c "v2"
list p: 1000 more=true p:0000..p:0999 <nil>
list p: after p:0999 500 more=false p:1000..p:1499 <nil>
keys p: 1500 p:0000..p:1499
list zz 0 more=false <nil>
var greeting "hi there" <nil>
var unset wisp: variable "unset": not found notfound=true
var undeclared wisp: variable "undeclared": app does not declare variable "undeclared": denied denied=true
logged
send 203 text/x-test x-up=1 len=13 body="upstream body" <nil> close=<nil>
client get 203 "upstream body"
client get other denied=true message="denied: http://other.test/ is not allowed by allowed_outbound_hosts: denied"
`

// TestGoSDK builds sdkcheck as a reactor and as a command and checks
// every SDK call and the responses Serve writes.
func TestGoSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go module for wasip1 twice")
	}
	e, err := engine.New(engine.Config{HostModules: hostabi.Modules()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	for _, variant := range []struct {
		name    string
		flags   []string
		reactor bool
	}{
		{"reactor", []string{"-buildmode=c-shared", "-tags", "wisp_reactor"}, true},
		{"command", nil, false},
	} {
		t.Run(variant.name, func(t *testing.T) {
			p := prepare(t, e, build(t, variant.flags))
			if p.Reactor() != variant.reactor {
				t.Fatalf("Reactor() = %v", p.Reactor())
			}
			t.Run("services", func(t *testing.T) {
				svc := newServices()
				out, errOut, err := run(t, p, svc, "/services")
				if err != nil || out != servicesWant {
					t.Errorf("/services: %v\ngot:\n%s\nwant:\n%s\nstderr: %s", err, out, servicesWant, errOut)
				}
				if svc.ttls["t"] != time.Minute || svc.ttls["k"] != 0 {
					t.Errorf("ttls %v, want t 1m0s and k 0", svc.ttls)
				}
				wantLogs := []string{`info [] saved ["code" "abc" "n" "1"]`, `warn [ctx] careful ["g.k" "v"]`}
				if !slices.Equal(svc.logs, wantLogs) {
					t.Errorf("logs %q\nwant %q", svc.logs, wantLogs)
				}
				wantSent := []string{
					`POST http://upstream.test/x X-Test=yes X-Other=2 body="payload"`,
					`GET http://upstream.test/y X-Test= X-Other= body=""`,
					`GET http://other.test/ X-Test= X-Other= body=""`,
				}
				if !slices.Equal(svc.sent, wantSent) {
					t.Errorf("sent %q\nwant %q", svc.sent, wantSent)
				}
			})
			big := new(strings.Builder)
			big.WriteString("Status: 200 OK\nContent-Type: text/plain\n\n")
			for i := range 20000 {
				fmt.Fprintf(big, "%05d\n", i)
			}
			for _, tt := range []struct {
				path, stdout, stderr string
				fails                bool
			}{
				{path: "/response", stdout: "Status: 201 Created\nContent-Type: application/json\nSet-Cookie: a=1\nSet-Cookie: b=2\n\n{\"ok\":true}"},
				{path: "/redirect", stdout: "Status: 307 Temporary Redirect\nLocation: /elsewhere\n\n"}, // no HTML body for a POST, as net/http
				{path: "/silent", stdout: "Status: 200 OK\n\n"},
				{path: "/panic", stdout: "Status: 500 Internal Server Error\nContent-Type: text/plain; charset=utf-8\nX-Content-Type-Options: nosniff\n\nInternal Server Error\n",
					stderr: "wisp: panic serving POST /app/panic: sdkcheck panics\n"},
				{path: "/stream-panic", stdout: "Status: 200 OK\nContent-Type: text/plain; charset=utf-8\n\nstreamed",
					stderr: "wisp: panic serving POST /app/stream-panic: after the header\n", fails: true},
				{path: "/big", stdout: big.String()},
			} {
				t.Run(tt.path, func(t *testing.T) {
					out, errOut, err := run(t, p, newServices(), tt.path)
					var exit *engine.ExitError
					if tt.fails != (errors.As(err, &exit) && exit.Code == 2) || !tt.fails && err != nil {
						t.Errorf("run: %v; want an exit with code 2: %v", err, tt.fails)
					}
					if out != tt.stdout || !strings.HasPrefix(errOut, tt.stderr) || tt.stderr == "" && errOut != "" {
						t.Errorf("got stdout %.300q\nstderr %.300q\nwant stdout %.300q\nstderr starting %q", out, errOut, tt.stdout, tt.stderr)
					}
				})
			}
		})
	}
}

// run runs one POST to /app+pathInfo on p and returns its stdout, stderr
// and the engine's error.
func run(t *testing.T, p *engine.Prepared, svc *services, pathInfo string) (string, string, error) {
	t.Helper()
	body := "payload"
	env := []string{"REQUEST_METHOD=POST", "SCRIPT_NAME=/app", "PATH_INFO=" + pathInfo, "QUERY_STRING=q=a%20b",
		"HTTP_X_TEST=yes", "CONTENT_TYPE=text/plain", "CONTENT_LENGTH=" + strconv.Itoa(len(body)), "REMOTE_ADDR=127.0.0.1"}
	var out, errOut bytes.Buffer
	call := hostabi.NewCall(svc)
	defer call.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := p.Run(ctx, engine.Call{Args: []string{"sdkcheck"}, Env: env, Stdin: strings.NewReader(body),
		Stdout: &out, Stderr: &errOut, Host: call})
	return out.String(), errOut.String(), err
}

// build compiles testdata/sdkcheck with the extra go build flags.
func build(t *testing.T, flags []string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "sdkcheck.wasm")
	args := append([]string{"build", "-trimpath", "-o", out}, flags...)
	cmd := exec.Command("go", append(args, "./testdata/sdkcheck")...)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, b)
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return wasm
}

// prepare compiles and prepares (pre-initializes, for a reactor) a module
// with 128 MiB of memory, room for Go's runtime.
func prepare(t *testing.T, e *engine.Engine, wasm []byte) *engine.Prepared {
	t.Helper()
	ctx := context.Background()
	m, err := e.Compile(ctx, wasm, 128<<20)
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
