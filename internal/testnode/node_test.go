package testnode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// fakeServe writes a shell script that stands in for `wisp serve`: it runs
// body with DATA set to its --data directory. Start only needs a process
// that prints the two addresses, answers /readyz on the admin one and
// leaves DATA/admin.token, so the lifecycle is tested without building
// wisp.
func fakeServe(t *testing.T, body string) Options {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "wisp")
	script := "#!/bin/sh\n# serve --data DATA --listen ... --admin-listen ... [args]\nDATA=$3\n" + body + "\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return Options{Bin: bin, Data: t.TempDir()}
}

// readyz serves the admin API's /readyz, answering with the status ready
// returns.
func readyz(t *testing.T, ready func() int) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(ready())
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// serving is a fake node's body: write the token, then listen.
func serving(admin, onTerm string) string {
	return `printf 'secret\n' > "$DATA/admin.token"` + "\n" + listening(admin, onTerm)
}

// listening prints the addresses, with admin as the admin API, and runs
// until a signal; onTerm is what it does on SIGTERM ("" ignores it).
func listening(admin, onTerm string) string {
	return fmt.Sprintf(`echo "wisp is serving"
echo "  gateway http://127.0.0.1:1"
echo "  admin   %s"
echo "args: $*" >&2
trap '%s' TERM
while :; do sleep 0.02; done`, admin, onTerm)
}

func TestStartWaitsForReadinessAndStopDrains(t *testing.T) {
	var calls atomic.Int32
	admin := readyz(t, func() int {
		if calls.Add(1) < 3 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	opts := fakeServe(t, serving(admin, "echo draining >&2; exit 0"))
	opts.Args = []string{"--deploy", "examples/hello"}
	n, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Kill()
	if n.Gateway != "http://127.0.0.1:1" || n.Admin != admin || n.Token != "secret" {
		t.Errorf("started node: gateway %q, admin %q, token %q; want the printed addresses and the token file's content", n.Gateway, n.Admin, n.Token)
	}
	if calls.Load() < 3 {
		t.Errorf("Start returned after %d /readyz calls, before it answered 200", calls.Load())
	}
	if err := n.Exited(); err != nil {
		t.Fatalf("Exited of a running node = %v", err)
	}
	if err := n.Stop(10 * time.Second); err != nil {
		t.Fatalf("Stop of a node that drains = %v, want nil", err)
	}
	want := "args: serve --data " + opts.Data + " --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --deploy examples/hello\ndraining\n"
	if got := n.Stderr.String(); got != want {
		t.Errorf("the node's stderr = %q, want %q", got, want)
	}
	if err := n.Exited(); err == nil || !strings.Contains(err.Error(), "wisp is serving") {
		t.Errorf("Exited of a stopped node = %v, want an error holding its output", err)
	}
	n.Kill() // a no-op once it has exited
}

func TestSignalWaitAndKill(t *testing.T) {
	admin := readyz(t, func() int { return http.StatusOK })
	for _, tc := range []struct {
		name   string
		onTerm string
		stop   func(n *Node) error // stops the node; returns what Wait said
		want   string              // in Wait's error; "" wants nil
	}{
		{"SIGTERM and a clean exit", "exit 0", func(n *Node) error {
			if err := n.Signal(syscall.SIGTERM); err != nil {
				return err
			}
			return n.Wait()
		}, ""},
		{"SIGTERM and a failed drain", "exit 3", func(n *Node) error { n.Signal(syscall.SIGTERM); return n.Wait() }, "exit status 3"},
		{"SIGKILL", "exit 0", func(n *Node) error { n.Kill(); return n.Wait() }, "signal: killed"},
		{"Stop of a node that ignores SIGTERM", "", func(n *Node) error { return n.Stop(100 * time.Millisecond) }, "did not exit within 100ms of SIGTERM; killed it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Start(fakeServe(t, serving(admin, tc.onTerm)))
			if err != nil {
				t.Fatal(err)
			}
			defer n.Kill()
			err = tc.stop(n)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("stopping the node: %v; want %q", err, tc.want)
			}
			if n.Exited() == nil {
				t.Fatal("the node still runs after it was stopped")
			}
			if first, second := n.Wait(), n.Wait(); first != second {
				t.Errorf("Wait once = %v, then %v; want the same answer", first, second)
			}
		})
	}
}

func TestStartFailures(t *testing.T) {
	notReady := readyz(t, func() int { return http.StatusServiceUnavailable })
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		body    string
		timeout time.Duration
		want    []string // in the error
		is      error
	}{
		{"exits at once", context.Background(), "echo 'unknown flag --bogus' >&2; exit 2", 0,
			[]string{"wisp serve exited: exit status 2", "unknown flag --bogus"}, nil},
		{"never ready", context.Background(), serving(notReady, "exit 0"), 200 * time.Millisecond,
			[]string{"still not done after 200ms", "stdout:\nwisp is serving", "stderr:\nargs: serve"}, nil},
		{"context ended", canceled, serving(notReady, "exit 0"), 0,
			[]string{"waiting for the node to be ready"}, context.Canceled},
		{"no token", context.Background(), listening(readyz(t, func() int { return http.StatusOK }), "exit 0"), 0,
			[]string{"read the admin token"}, os.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := fakeServe(t, tc.body)
			opts.StartTimeout = tc.timeout
			n, err := StartContext(tc.ctx, opts)
			if err == nil {
				n.Kill()
				t.Fatal("Start succeeded")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Start's error lacks %q:\n%v", want, err)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("Start's error = %v, want one wrapping %v", err, tc.is)
			}
		})
	}
	if _, err := Start(Options{Bin: filepath.Join(t.TempDir(), "missing"), Data: t.TempDir()}); !errors.Is(err, exec.ErrNotFound) && !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Start of a missing binary = %v, want a not-found error", err)
	}
}

func TestStartNeedsBinAndData(t *testing.T) {
	if _, err := Start(Options{}); err == nil || !strings.Contains(err.Error(), "required") {
		t.Errorf("Start without Bin and Data = %v, want an error saying they are required", err)
	}
}

func TestRequestSendsMethodBodyAndHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusTeapot)
		fmt.Fprintf(w, "%s %s %s %s", r.Method, r.URL.RequestURI(), r.Header.Get("X-Demo"), body)
	}))
	defer srv.Close()
	n := &Node{Gateway: srv.URL}
	status, body, err := n.Request("POST", "/echo/x?a=1", "the body", map[string]string{"X-Demo": "yes"})
	if err != nil || status != http.StatusTeapot || body != "POST /echo/x?a=1 yes the body" {
		t.Errorf("Request = %d %q %v, want 418 %q", status, body, err, "POST /echo/x?a=1 yes the body")
	}
	if status, body, err := n.Get("/hello"); err != nil || status != http.StatusTeapot || body != "GET /hello  " {
		t.Errorf("Get = %d %q %v, want 418 %q", status, body, err, "GET /hello  ")
	}
	srv.Close()
	if _, _, err := n.Get("/gone"); err == nil || !strings.Contains(err.Error(), "GET /gone") {
		t.Errorf("Get from a closed server = %v, want an error naming the request", err)
	}
}
