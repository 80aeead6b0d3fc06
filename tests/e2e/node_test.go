package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestExamplesServeAfterStart(t *testing.T) {
	n := startNode(t, "", "--deploy", "examples/hello", "--deploy", "examples/echo", "--deploy", "examples/json")
	// stdout is copied from the process asynchronously: wait for the end of
	// the app list (sorted by name, json last) before reading it.
	waitFor(t, 10*time.Second, "the app list on stdout", func() bool { return strings.Contains(n.Stdout.String(), "json ") })
	for _, want := range []string{"/hello", "/echo/", "/json/"} {
		if !strings.Contains(n.Stdout.String(), n.Gateway+want) {
			t.Errorf("startup output does not list %s%s:\n%s", n.Gateway, want, n.Stdout)
		}
	}
	if status, body := n.get("/hello"); status != 200 || body != "Hello from Wisp!\n" {
		t.Errorf("GET /hello = %d %q", status, body)
	}
	status, body := n.do("POST", "/echo/some/path?a=1&b=two", "the body", map[string]string{"X-Demo": "yes"})
	for _, want := range []string{"POST", "/some/path", "a=1&b=two", "X_DEMO", "the body", "Hello from a file bundled with the echo app!"} {
		if status != 200 || !strings.Contains(body, want) {
			t.Errorf("POST /echo/some/path = %d, body lacks %q:\n%s", status, want, body)
		}
	}
	if status, body := n.get("/json/x?q=1"); status != 200 || !strings.Contains(body, `"hello from the manifest"`) {
		t.Errorf("GET /json/x = %d %q", status, body)
	}

	// Restarting with the same --deploy flags stores no new versions.
	n.Kill()
	n2 := startNode(t, n.Data, "--deploy", "examples/hello")
	waitFor(t, 10*time.Second, "hello's deploy line on stdout", func() bool { return strings.Contains(n2.Stdout.String(), "hello version") })
	if !strings.Contains(n2.Stdout.String(), "unchanged hello version 1") {
		t.Errorf("restart redeployed hello:\n%s", n2.Stdout)
	}
}

func TestDeployServeRollbackRemove(t *testing.T) {
	n := startNode(t, "")
	out := n.mustWisp("deploy", fixture("version1.wasm"), "--name", "flip", "--route", "/flip")
	if !strings.Contains(out, "version 1") {
		t.Fatalf("deploy output: %q", out)
	}
	if status, body := n.get("/flip"); status != 200 || body != "v1\n" {
		t.Fatalf("GET /flip = %d %q", status, body)
	}
	n.mustWisp("deploy", fixture("version2.wasm"), "--name", "flip", "--route", "/flip")
	if _, body := n.get("/flip"); body != "v2\n" {
		t.Fatalf("after v2: %q", body)
	}
	n.mustWisp("rollback", "flip")
	if _, body := n.get("/flip"); body != "v1\n" {
		t.Fatalf("after rollback: %q", body)
	}
	app := n.mustWisp("app", "flip")
	for _, want := range []string{"flip", "/flip", "1", "2"} {
		if !strings.Contains(app, want) {
			t.Errorf("wisp app flip lacks %q:\n%s", want, app)
		}
	}
	if apps := n.mustWisp("apps"); !strings.Contains(apps, "flip") {
		t.Errorf("wisp apps:\n%s", apps)
	}
	n.mustWisp("rm", "flip")
	if status, _ := n.get("/flip"); status != http.StatusNotFound {
		t.Fatalf("GET /flip after rm = %d", status)
	}
	_, errOut, code := n.wisp("app", "flip")
	if code == 0 || !strings.Contains(errOut, `app "flip" does not exist`) {
		t.Fatalf("wisp app of a removed app: exit %d, %q", code, errOut)
	}
}

// TestSwitchIsAtomicUnderLoad hammers a route while it is redeployed and
// rolled back: every request must succeed with the old or the new answer.
func TestSwitchIsAtomicUnderLoad(t *testing.T) {
	n := startNode(t, "")
	n.mustWisp("deploy", fixture("version1.wasm"), "--name", "flip", "--route", "/flip")

	var stop atomic.Bool
	var total, bad atomic.Int64
	var badMu sync.Mutex
	var badSample []string
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				resp, err := http.Get(n.Gateway + "/flip")
				var body string
				status := 0
				if err == nil {
					b := make([]byte, 64)
					k, _ := resp.Body.Read(b)
					body, status = string(b[:k]), resp.StatusCode
					resp.Body.Close()
				}
				total.Add(1)
				if err != nil || status != 200 || (body != "v1\n" && body != "v2\n") {
					bad.Add(1)
					badMu.Lock()
					if len(badSample) < 5 {
						badSample = append(badSample, fmt.Sprintf("%d %q %v", status, body, err))
					}
					badMu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < 3; i++ {
		n.mustWisp("deploy", fixture("version2.wasm"), "--name", "flip", "--route", "/flip")
		n.mustWisp("rollback", "flip")
	}
	stop.Store(true)
	wg.Wait()
	if total.Load() < 50 {
		t.Fatalf("only %d requests were sent during the switches", total.Load())
	}
	if bad.Load() > 0 {
		t.Fatalf("%d of %d requests failed during the switches, e.g. %v", bad.Load(), total.Load(), badSample)
	}
}

func TestCounterIsFreshUnderConcurrency(t *testing.T) {
	n := startNode(t, "")
	n.mustWisp("deploy", fixture("counter.wasm"), "--name", "counter", "--route", "/count")
	var wg sync.WaitGroup
	errs := make(chan string, 16*5)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				status, body := n.get("/count")
				if status != 200 || body != "count=1\n" {
					errs <- fmt.Sprintf("%d %q", status, body)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("GET /count = %s, want 200 \"count=1\\n\"", e)
	}
}

func TestKilledNodeKeepsAcknowledgedDeploys(t *testing.T) {
	n := startNode(t, "")
	n.mustWisp("deploy", fixture("version1.wasm"), "--name", "one", "--route", "/one")
	n.mustWisp("deploy", fixture("version2.wasm"), "--name", "one", "--route", "/one")
	n.mustWisp("deploy", fixture("counter.wasm"), "--name", "two", "--route", "/two/...")
	n.Kill() // SIGKILL right after the acknowledgements

	n2 := startNode(t, n.Data)
	if status, body := n2.get("/one"); status != 200 || body != "v2\n" {
		t.Fatalf("after restart GET /one = %d %q", status, body)
	}
	if status, body := n2.get("/two/x"); status != 200 || body != "count=1\n" {
		t.Fatalf("after restart GET /two/x = %d %q", status, body)
	}
	if !strings.Contains(n2.mustWisp("app", "one"), "2") {
		t.Fatal("version history lost")
	}
}

func TestSIGTERMDrainsInFlightRequests(t *testing.T) {
	n := startNode(t, "")
	n.mustWisp("deploy", fixture("slow.wasm"), "--name", "slow", "--route", "/slow")
	result := make(chan string, 1)
	go func() {
		resp, err := http.Get(n.Gateway + "/slow")
		if err != nil {
			result <- err.Error()
			return
		}
		defer resp.Body.Close()
		b := make([]byte, 100)
		k, _ := resp.Body.Read(b)
		result <- fmt.Sprintf("%d %s", resp.StatusCode, b[:k])
	}()
	waitFor(t, 10*time.Second, "the slow request to start", func() bool {
		out, _, _ := n.wisp("logs", "slow")
		return strings.Contains(out, "sleeping")
	})
	if err := n.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-result:
		if !strings.HasPrefix(r, "200") {
			t.Fatalf("in-flight request during drain: %s", r)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("in-flight request never finished")
	}
	if err := n.Wait(); err != nil {
		t.Fatalf("drained node exited with %v; want exit 0\nstderr:\n%s", err, n.Stderr)
	}
}

func TestBadInputGetsClearErrors(t *testing.T) {
	n := startNode(t, "")
	n.mustWisp("deploy", fixture("version1.wasm"), "--name", "ok", "--route", "/ok", "--max-body", "1KiB")
	n.mustWisp("deploy", fixture("loop.wasm"), "--name", "loop", "--route", "/loop", "--timeout", "300ms")
	n.mustWisp("deploy", fixture("trap.wasm"), "--name", "trap", "--route", "/trap")
	n.mustWisp("deploy", fixture("noheader.wasm"), "--name", "noheader", "--route", "/noheader")
	// Under the gateway's 64 KiB response window the whole answer is held,
	// so going over max_response is a clean 500; past it (flood2), the
	// response has started and is cut.
	n.mustWisp("deploy", fixture("bigoutput.wasm"), "--name", "flood", "--route", "/flood", "--max-response", "32KiB")
	n.mustWisp("deploy", fixture("bigoutput.wasm"), "--name", "flood2", "--route", "/flood2", "--max-response", "1MiB")

	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		contains                 string
	}{
		{"no route", "GET", "/nowhere", "", 404, "no app serves /nowhere"},
		{"body over limit", "POST", "/ok", strings.Repeat("x", 2048), 413, "over this app's limit of 1KiB"},
		{"timeout", "GET", "/loop", "", 504, "did not answer within its 300ms timeout"},
		{"trap", "GET", "/trap", "", 500, "app trap failed"},
		{"no CGI header", "GET", "/noheader", "", 500, "invalid response"},
		{"output over limit", "GET", "/flood", "", 500, "app flood failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := n.do(tc.method, tc.path, tc.body, nil)
			if status != tc.status || !strings.Contains(body, tc.contains) {
				t.Fatalf("%s %s = %d %q; want %d containing %q", tc.method, tc.path, status, body, tc.status, tc.contains)
			}
			if status, _ := n.get("/ok"); status != 200 {
				t.Fatalf("healthy app answered %d after %s", status, tc.name)
			}
		})
	}
	logs := n.mustWisp("logs", "trap")
	if !strings.Contains(logs, "unreachable") {
		t.Errorf("trap's log does not show the trap:\n%s", logs)
	}
	t.Run("output over limit after the response started", func(t *testing.T) {
		resp, err := http.Get(n.Gateway + "/flood2")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || err == nil || got > 1<<20 {
			t.Fatalf("GET /flood2 = %d, %d body bytes, read error %v; want 200, then the body cut before 1 MiB", resp.StatusCode, got, err)
		}
		logs := n.mustWisp("logs", "flood2")
		if !strings.Contains(logs, "response cut after") || !strings.Contains(logs, "more than its max_response of 1MiB") {
			t.Errorf("flood2's log does not say the response was cut over max_response:\n%s", logs)
		}
	})

	for _, tc := range []struct {
		name     string
		args     []string
		contains string
	}{
		{"not wasm", []string{"deploy", fixture("garbage.wasm"), "--name", "bad", "--route", "/bad"}, "is not a WebAssembly module"},
		{"corrupt wasm", []string{"deploy", fixture("corrupt.wasm"), "--name", "bad", "--route", "/bad"}, "malformed WebAssembly module"},
		{"missing import", []string{"deploy", fixture("badimport.wasm"), "--name", "bad", "--route", "/bad"}, "module imports env.foo, which this node does not provide"},
		{"no _start", []string{"deploy", fixture("nostart.wasm"), "--name", "bad", "--route", "/bad"}, "no exported _start"},
		{"reactor state a snapshot cannot hold", []string{"deploy", fixture("reactor-refglobal.wasm"), "--name", "bad", "--route", "/bad"}, "mutable funcref"},
		{"route taken", []string{"deploy", fixture("version2.wasm"), "--name", "bad", "--route", "/ok"}, `already served by app "ok"`},
		{"unknown app", []string{"rollback", "ghost"}, `app "ghost"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := n.wisp(tc.args...)
			if code != 1 || !strings.Contains(errOut, tc.contains) {
				t.Fatalf("wisp %v: exit %d, stderr %q; want exit 1 containing %q", tc.args, code, errOut, tc.contains)
			}
		})
	}
	if apps := n.mustWisp("apps"); strings.Contains(apps, "bad") {
		t.Fatalf("a refused deploy was stored:\n%s", apps)
	}

	_, errOut, code := runWisp(t, []string{"WISP_ADMIN=" + n.Admin, "WISP_TOKEN=wrong"}, "apps")
	if code != 1 || !strings.Contains(errOut, "token") {
		t.Fatalf("wrong token: exit %d %q", code, errOut)
	}
	info, err := os.Stat(n.Data + "/admin.token")
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("admin.token mode: %v %v", info.Mode(), err)
	}
}
