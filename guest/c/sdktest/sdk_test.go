// Package sdktest tests the C and Rust guest SDKs (guest/c, guest/rust)
// function by function (it lives beside the C SDK because Go refuses a
// package directory holding .c files): testdata/sdkcheck.c and
// testdata/sdkcheck.rs call every SDK function and print what came back, in one format, and the
// tests run them in the engine with the guest ABI's host functions
// (internal/hostabi) over fake services, then compare the output with one
// expected text. The fixtures are compiled when the tests run (clang and
// wasi-libc; Debian's rustc with the wasm32-wasi target, or $RUSTC); a
// missing toolchain skips its test, saying which, and
// scripts/install-toolchain.sh installs both.
//
// The example apps built on these SDKs are driven end to end by
// tests/sdk.
package sdktest

import (
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

// newFake returns the fake services with p:0000 to p:1499 in the store,
// for the listing checks.
func newFake() *hostabitest.Services {
	f := hostabitest.New()
	for i := range 1500 {
		f.Data[fmt.Sprintf("p:%04d", i)] = []byte("x")
	}
	return f
}

// servicesWant is what both fixtures print for /services.
const servicesWant = `Status: 200
Content-Type: text/plain

method POST path /services
query q=a b+c missing=(none)
header x-test=yes content-type=application/x-www-form-urlencoded; charset=utf-8
form OK
form f=1+1 g=h i
body 5 ERR_TOO_LARGE
body 100 OK
body 13 f=1%2B1&g=h+i
open other DENIED: store "other" is not declared: denied
open default OK
set k OK
get k OK 2 v1
get nope NOT_FOUND
exists k true
exists nope false
delete k OK
exists k false
set empty key INVALID: a key is 1 to 512 bytes: invalid
set big OK
get big OK 5000 xxxxxxxxxxxxxxxxxxxx
set ttl OK
incr n 5
incr n 3
set s OK
incr INVALID: the value of "s" is not a decimal integer: invalid
cas c swapped
cas c kept
cas c swapped
cas c kept
get c OK 2 v3
list p: 1000 more=1 p:0000..p:0999
list p: after 500 more=0 p:1000..p:1499
list all p: 1500 more=0 p:0000..p:1499
list all zz 0 more=0 ..
var greeting OK hi there
var unset NOT_FOUND
var undeclared DENIED: variable "undeclared" is not declared: denied
log OK
log context OK
send OK
status OK
status 203
header content-type text/x-test
header missing NOT_FOUND
headers has Content-Type
read all 5 ERR_TOO_LARGE
close OK
read all 13 upstream body
send other DENIED: http://other.test/ is not allowed: denied
`

// run runs one request to module wasm and returns its stdout and stderr.
func run(t *testing.T, p *engine.Prepared, svc *hostabitest.Services, path string) (string, string) {
	t.Helper()
	body := "f=1%2B1&g=h+i"
	env := []string{"REQUEST_METHOD=POST", "PATH_INFO=" + path, "QUERY_STRING=q=a%20b%2Bc&x",
		"HTTP_X_TEST=yes", "CONTENT_TYPE=application/x-www-form-urlencoded; charset=utf-8",
		"CONTENT_LENGTH=" + strconv.Itoa(len(body))}
	return hostabitest.Run(t, p, svc, engine.Call{Args: []string{"sdkcheck"}, Env: env, Stdin: strings.NewReader(body)})
}

// checkServices runs /services and compares with servicesWant and the
// fake's records.
func checkServices(t *testing.T, p *engine.Prepared) {
	t.Helper()
	svc := newFake()
	out, errOut := run(t, p, svc, "/services")
	if out != servicesWant {
		t.Errorf("/services:\ngot:\n%s\nwant:\n%s\nstderr: %s", out, servicesWant, errOut)
	}
	if ttl := svc.TTLs["t"]; ttl != time.Minute {
		t.Errorf("ttl of t = %v, want 1m0s", ttl)
	}
	if ttl, ok := svc.TTLs["k"]; !ok || ttl != 0 {
		t.Errorf("ttl of k = %v (set %v), want 0", ttl, ok)
	}
	wantLogs := []string{`info [] saved ["code" "abc" "n" "1"]`, `warn [ctx] careful ["k" "v"]`}
	if !slices.Equal(svc.Logs, wantLogs) {
		t.Errorf("logs = %q, want %q", svc.Logs, wantLogs)
	}
	wantSent := []string{
		`POST http://upstream.test/x X-Test=yes X-Other=2 body="payload"`,
		`GET http://upstream.test/y X-Test= X-Other= body=""`,
		`GET http://other.test/ X-Test= X-Other= body=""`,
	}
	if !slices.Equal(svc.Sent, wantSent) {
		t.Errorf("sent = %q, want %q", svc.Sent, wantSent)
	}
}

// skipTool skips the test for want of a tool, or fails it when
// WISP_REQUIRE_TOOLCHAIN is set (make test installs the toolchain first,
// so there a missing tool is a failure, not a reason to test less).
func skipTool(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("WISP_REQUIRE_TOOLCHAIN") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// clangOrSkip skips the test unless clang and a wasi-libc can build.
func clangOrSkip(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("clang"); err != nil {
		skipTool(t, "clang not found: run scripts/install-toolchain.sh")
	}
	if os.Getenv("WASI_SYSROOT") == "" {
		if _, err := os.Stat("/usr/lib/wasm32-wasi/libc.a"); err != nil {
			skipTool(t, "wasi-libc not found: run scripts/install-toolchain.sh or set WASI_SYSROOT")
		}
	}
}

// buildC compiles testdata/sdkcheck.c with wisp.c, as a reactor or a
// command.
func buildC(t *testing.T, reactor bool) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "sdkcheck.wasm")
	args := []string{"--target=wasm32-wasi", "-O2", "-Wall", "-Wextra", "-Werror", "-I..", "-o", out, "testdata/sdkcheck.c", "../wisp.c"}
	if reactor {
		args = append(args, "-mexec-model=reactor")
	} else {
		args = append(args, "-DCOMMAND")
	}
	if s := os.Getenv("WASI_SYSROOT"); s != "" {
		args = append(args, "--sysroot="+s)
	}
	if b, err := exec.Command("clang", args...).CombinedOutput(); err != nil {
		t.Fatalf("clang: %v\n%s", err, b)
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return wasm
}

func TestCSDK(t *testing.T) {
	clangOrSkip(t)
	e := hostabitest.Engine(t)
	reactor := hostabitest.Prepare(t, e, buildC(t, true), 32<<20)
	command := hostabitest.Prepare(t, e, buildC(t, false), 32<<20)
	if !reactor.Reactor() || command.Reactor() {
		t.Fatalf("reactor build is a reactor: %v; command build: %v", reactor.Reactor(), command.Reactor())
	}
	for name, p := range map[string]*engine.Prepared{"reactor": reactor, "command": command} {
		t.Run(name, func(t *testing.T) {
			t.Run("services", func(t *testing.T) { checkServices(t, p) })
			tests := []struct {
				path, stdout, stderr string
			}{
				{"/response", "Status: 201\nx-a: 2\nSet-Cookie: a=1\nSet-Cookie: b=2\nContent-Type: application/json\n\n" +
					"log odd INVALID: log \"odd\": fields come in key, value pairs; 1 given\n" +
					"status 99 INVALID: status 99: use a code from 200 to 599\n" +
					"header bad name INVALID: response header name \"X A\": use letters, digits and -\n" +
					"header status INVALID: set the status with wisp_set_status, not as a header\n" +
					"header injection INVALID: response header X-A: the value holds a line break\n" +
					`{"s":"q\"\\\n\u0001é\ufffd!","n":7}`, ""},
				{"/redirect", "Status: 307\nLocation: /elsewhere\n\n", ""},
				{"/none", "Status: 500\nContent-Type: text/plain; charset=utf-8\n\ninternal error: the app built no response (see its log)\n",
					"wisp: the handler returned without a response: set a status, a header or a body (wisp_respond) before it returns\n"},
			}
			if name == "command" {
				tests = append(tests, struct{ path, stdout, stderr string }{
					"/exit", "Status: 200\nContent-Type: text/plain; charset=utf-8\n\nwritten by the atexit guard\n", ""})
			}
			for _, tt := range tests {
				t.Run(tt.path, func(t *testing.T) {
					out, errOut := run(t, p, newFake(), tt.path)
					if out != tt.stdout || errOut != tt.stderr {
						t.Errorf("got stdout %q stderr %q\nwant stdout %q stderr %q", out, errOut, tt.stdout, tt.stderr)
					}
				})
			}
		})
	}
}

// rustcOrSkip returns a rustc with a wasm32 WASI target and the target's
// name ($RUSTC, else Debian's /usr/bin/rustc, else the rustc on PATH), or
// skips the test.
func rustcOrSkip(t *testing.T) (rustc, target string) {
	t.Helper()
	candidates := []string{os.Getenv("RUSTC"), "/usr/bin/rustc"}
	if p, err := exec.LookPath("rustc"); err == nil {
		candidates = append(candidates, p)
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		sysroot, err := exec.Command(c, "--print", "sysroot").Output()
		if err != nil {
			continue
		}
		for _, tgt := range []string{"wasm32-wasi", "wasm32-wasip1"} {
			if _, err := os.Stat(filepath.Join(strings.TrimSpace(string(sysroot)), "lib", "rustlib", tgt, "lib")); err == nil {
				return c, tgt
			}
		}
	}
	skipTool(t, "no rustc with the wasm32-wasi or wasm32-wasip1 target: run scripts/install-toolchain.sh")
	return "", ""
}

// buildRust compiles the SDK (guest/rust) and testdata/sdkcheck.rs into a
// cdylib reactor.
func buildRust(t *testing.T) []byte {
	t.Helper()
	rustc, target := rustcOrSkip(t)
	dir := t.TempDir()
	flags := []string{"--edition", "2021", "--target", target, "-C", "opt-level=1", "-C", "panic=abort"}
	steps := [][]string{
		append(slices.Clone(flags), "--crate-type", "rlib", "--crate-name", "wisp", "--out-dir", dir, "../../rust/src/lib.rs"),
		append(slices.Clone(flags), "--crate-type", "cdylib", "--crate-name", "sdkcheck", "--extern", "wisp="+filepath.Join(dir, "libwisp.rlib"),
			"-L", dir, "-o", filepath.Join(dir, "sdkcheck.wasm"), "testdata/sdkcheck.rs"),
	}
	for _, args := range steps {
		if b, err := exec.Command(rustc, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", rustc, strings.Join(args, " "), err, b)
		}
	}
	wasm, err := os.ReadFile(filepath.Join(dir, "sdkcheck.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return wasm
}

func TestRustSDK(t *testing.T) {
	p := hostabitest.Prepare(t, hostabitest.Engine(t), buildRust(t), 32<<20)
	if !p.Reactor() {
		t.Fatal("the cdylib is not a reactor")
	}
	t.Run("services", func(t *testing.T) { checkServices(t, p) })
	tests := []struct {
		path, stdout, stderr string
	}{
		{"/response", "Status: 201\nContent-Type: application/json\nx-a: 2\nSet-Cookie: a=1\nSet-Cookie: b=2\n\n" +
			`{"s":"q\"\\\n\u0001é!"}`, ""},
		{"/redirect", "Status: 307\nLocation: /elsewhere\n\n", ""},
		{"/injection", "Status: 500\nContent-Type: text/plain; charset=utf-8\n\ninternal error (see the app's log)\n",
			"wisp: answered 500: response header X-A: the value holds a line break or NUL\n"},
		{"/none", "Status: 500\nContent-Type: text/plain; charset=utf-8\n\ninternal error (see the app's log)\n",
			"wisp: answered 500: no such scenario\n"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			out, errOut := run(t, p, newFake(), tt.path)
			if out != tt.stdout || errOut != tt.stderr {
				t.Errorf("got stdout %q stderr %q\nwant stdout %q stderr %q", out, errOut, tt.stdout, tt.stderr)
			}
		})
	}
}
