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
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/engine"
	"github.com/wisphq/wisp/internal/hostabi/hostabitest"
)

// newServices returns the fake services with p:0000 to p:1499 in the
// store, for the listing checks.
func newServices() *hostabitest.Services {
	s := hostabitest.New()
	for i := range 1500 {
		s.Data[fmt.Sprintf("p:%04d", i)] = []byte("x")
	}
	return s
}

// servicesWant is what sdkcheck answers to /services.
const servicesWant = `Status: 200 OK
Content-Type: text/plain

request POST /app/services q="a b" x-test=yes type=text/plain body="payload" <nil>
path info /services
open other wisp: open key-value store "other": store "other" is not declared: denied denied=true
open default <nil> default
set k <nil>
get k "v1" <nil>
get nope wisp: kv get "nope" in store "default": not found notfound=true
exists k true <nil>
delete k <nil>
exists k false <nil>
set empty key wisp: kv set "" in store "default": a key is 1 to 512 bytes: invalid invalid=true
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
var undeclared wisp: variable "undeclared": variable "undeclared" is not declared: denied denied=true
logged
send 203 text/x-test x-up=1 len=13 body="upstream body" <nil> close=<nil>
client get 203 "upstream body"
client get other denied=true message="http://other.test/ is not allowed: denied"
`

// TestGoSDK builds sdkcheck as a reactor and as a command and checks
// every SDK call and the responses Serve writes.
func TestGoSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go module for wasip1 twice")
	}
	e := hostabitest.Engine(t)
	for _, variant := range []struct {
		name    string
		flags   []string
		reactor bool
	}{
		{"reactor", []string{"-buildmode=c-shared", "-tags", "wisp_reactor"}, true},
		{"command", nil, false},
	} {
		t.Run(variant.name, func(t *testing.T) {
			p := hostabitest.Prepare(t, e, build(t, variant.flags), 128<<20) // room for Go's runtime
			if p.Reactor() != variant.reactor {
				t.Fatalf("Reactor() = %v", p.Reactor())
			}
			t.Run("services", func(t *testing.T) {
				svc := newServices()
				out, errOut, err := run(t, p, svc, "/services")
				if err != nil || out != servicesWant {
					t.Errorf("/services: %v\ngot:\n%s\nwant:\n%s\nstderr: %s", err, out, servicesWant, errOut)
				}
				if svc.TTLs["t"] != time.Minute || svc.TTLs["k"] != 0 {
					t.Errorf("ttls %v, want t 1m0s and k 0", svc.TTLs)
				}
				wantLogs := []string{`info [] saved ["code" "abc" "n" "1"]`, `warn [ctx] careful ["g.k" "v"]`}
				if !slices.Equal(svc.Logs, wantLogs) {
					t.Errorf("logs %q\nwant %q", svc.Logs, wantLogs)
				}
				wantSent := []string{
					`POST http://upstream.test/x X-Test=yes X-Other=2 body="payload"`,
					`GET http://upstream.test/y X-Test= X-Other= body=""`,
					`GET http://other.test/ X-Test= X-Other= body=""`,
				}
				if !slices.Equal(svc.Sent, wantSent) {
					t.Errorf("sent %q\nwant %q", svc.Sent, wantSent)
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
func run(t *testing.T, p *engine.Prepared, svc *hostabitest.Services, pathInfo string) (string, string, error) {
	t.Helper()
	body := "payload"
	env := []string{"REQUEST_METHOD=POST", "SCRIPT_NAME=/app", "PATH_INFO=" + pathInfo, "QUERY_STRING=q=a%20b",
		"HTTP_X_TEST=yes", "CONTENT_TYPE=text/plain", "CONTENT_LENGTH=" + strconv.Itoa(len(body)), "REMOTE_ADDR=127.0.0.1"}
	return hostabitest.Start(p, svc, engine.Call{Args: []string{"sdkcheck"}, Env: env, Stdin: strings.NewReader(body)})
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
