package hostile

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/testnode"
)

// Health bounds. They are generous on purpose: they catch a node that is
// hurt (stuck, leaking, slow for seconds), not a node that is a little slow
// on a noisy machine.
const (
	// controlLatency is how fast the control app must answer.
	controlLatency = time.Second
	// rssSlack and fdSlack are how far above the baseline the node's
	// resident memory and open descriptors may stay after an attack.
	rssSlack = 150 << 20
	fdSlack  = 20
	// settleTimeout is how long memory and descriptors get to come back:
	// the Go runtime returns freed memory to the OS lazily.
	settleTimeout = 20 * time.Second
	// requestTimeout bounds every HTTP request of the suite.
	requestTimeout = 30 * time.Second
)

// The control app (version1.wasm) answers GET /control with "v1\n": the
// healthy app that must keep answering whatever its neighbours do.
const (
	controlRoute = "/control"
	controlBody  = "v1\n"
)

// suite is one node under attack and what it looked like before.
type suite struct {
	n      *testnode.Node
	data   string
	base   testnode.Usage // after the control app's deploy and warm-up
	client *http.Client

	mu   sync.Mutex
	apps []string // every app deployed and not removed
}

// startSuite starts a node on a fresh data directory, deploys the control
// app, warms it up and records the baseline usage.
func startSuite(t *testing.T) *suite {
	t.Helper()
	s := &suite{data: t.TempDir(), client: &http.Client{Timeout: requestTimeout}}
	s.start(t)
	s.deploy(t, fixture("version1.wasm"), "--name", "control", "--route", controlRoute)
	for range 20 {
		if status, body := s.get(t, controlRoute); status != 200 || body != controlBody {
			t.Fatalf("control app: GET %s = %d %q, want 200 %q", controlRoute, status, body, controlBody)
		}
	}
	base, err := s.n.Usage()
	if err != nil {
		t.Fatal(err)
	}
	s.base = base
	t.Logf("baseline: %s", base)
	return s
}

// start starts (or restarts) the node on s.data.
func (s *suite) start(t *testing.T) {
	t.Helper()
	n, err := testnode.Start(testnode.Options{Bin: wispBin, Data: s.data, Dir: repoRoot})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Kill)
	s.n = n
}

// wisp runs a CLI command against the node.
func (s *suite) wisp(t *testing.T, args ...string) testnode.Result {
	t.Helper()
	res, err := s.n.Wisp(args...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// deploy runs `wisp deploy ARGS...`, which must succeed, and remembers the
// app so every health check looks for it. The app's name is the --name
// flag's value, or for a directory its wisp.toml's name (the directory's).
func (s *suite) deploy(t *testing.T, args ...string) {
	t.Helper()
	res := s.wisp(t, append([]string{"deploy"}, args...)...)
	if res.Code != 0 {
		t.Fatalf("wisp deploy %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), res.Code, res.Stdout, res.Stderr)
	}
	name := ""
	for i, a := range args {
		if a == "--name" && i+1 < len(args) {
			name = args[i+1]
		}
	}
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(args[0]), ".wasm")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.apps, name) {
		s.apps = append(s.apps, name)
	}
}

// logs returns the app's log (`wisp logs NAME --tail N`).
func (s *suite) logs(t *testing.T, app string, tail int) string {
	t.Helper()
	res := s.wisp(t, "logs", app, "--tail", fmt.Sprint(tail))
	if res.Code != 0 {
		t.Fatalf("wisp logs %s: exit %d: %s", app, res.Code, res.Stderr)
	}
	return res.Stdout
}

// response is what the gateway answered.
type response struct {
	status  int
	header  http.Header
	body    string
	elapsed time.Duration
}

// do sends one request to the gateway; failing to get an answer within
// requestTimeout fails the test.
func (s *suite) do(t *testing.T, method, path string, body io.Reader) response {
	t.Helper()
	r, err := s.try(method, path, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// try is do without the test: for goroutines.
func (s *suite) try(method, path string, body io.Reader) (response, error) {
	req, err := http.NewRequest(method, s.n.Gateway+path, body)
	if err != nil {
		return response{}, err
	}
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return response{}, fmt.Errorf("%s %s: reading the body: %w", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b), elapsed: time.Since(start)}, nil
}

// get is do for a GET returning status and body.
func (s *suite) get(t *testing.T, path string) (int, string) {
	t.Helper()
	r := s.do(t, "GET", path, nil)
	return r.status, r.body
}

// knownGap skips the rest of a test that found a protection Wisp does not
// have yet, after the checks that do hold have run.
func knownGap(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Skipf("known gap: "+format, args...)
}

// healthy checks that the node survived: it is alive (see alive), and
// its memory and open descriptors come back within slack of the baseline.
func (s *suite) healthy(t *testing.T) {
	t.Helper()
	s.alive(t)
	if u, err := s.settle(); err != nil {
		t.Errorf("health check: %v", err)
	} else {
		t.Logf("usage after settling: %s (baseline %s)", u, s.base)
	}
}

// alive checks that the node runs, /healthz answers 200, the control app
// answers 200 within controlLatency and `wisp apps` still lists every app.
func (s *suite) alive(t *testing.T) {
	t.Helper()
	if err := s.n.Exited(); err != nil {
		t.Fatal(err)
	}
	health := &http.Client{Timeout: 5 * time.Second}
	defer health.CloseIdleConnections()
	resp, err := health.Get(s.n.Admin + "/healthz")
	if err != nil {
		t.Fatalf("health check: GET /healthz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health check: GET /healthz = %d, want 200", resp.StatusCode)
	}
	if err := s.controlAnswers(); err != nil {
		t.Errorf("health check: %v", err)
	}
	s.allListed(t)
}

// controlAnswers asks the control app once, with a client bounded by
// controlLatency.
func (s *suite) controlAnswers() error {
	quick := &http.Client{Timeout: controlLatency}
	defer quick.CloseIdleConnections()
	start := time.Now()
	resp, err := quick.Get(s.n.Gateway + controlRoute)
	if err != nil {
		return fmt.Errorf("control app did not answer within %s: %w", controlLatency, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 || string(body) != controlBody {
		return fmt.Errorf("control app: GET %s = %d %q (%v) after %s, want 200 %q", controlRoute, resp.StatusCode, body, err, time.Since(start), controlBody)
	}
	return nil
}

// settle polls the node's usage until it is within slack of the baseline,
// and returns it, or an error after settleTimeout. Between polls it forces
// the node's hand: the Go runtime collects garbage only once the heap has
// grown by as much as survived the last collection, and returns freed
// memory to the OS only after that, so each poll that finds too much
// memory uploads a chunked body the gateway buffers and drops (fresh
// garbage), until a collection runs and the freed memory goes back.
func (s *suite) settle() (testnode.Usage, error) {
	var u testnode.Usage
	err := testnode.Poll(settleTimeout, func() (bool, error) {
		var err error
		if u, err = s.n.Usage(); err != nil {
			return false, err
		}
		if u.RSS <= s.base.RSS+rssSlack && u.FDs <= s.base.FDs+fdSlack {
			return true, nil
		}
		s.try("POST", controlRoute, io.LimitReader(zeros{}, garbageUpload)) // best effort
		return false, nil
	})
	if err != nil {
		return u, fmt.Errorf("node usage %s did not come back within %dMiB and %d fds of the baseline %s, even with garbage to collect: %w", u, rssSlack>>20, fdSlack, s.base, err)
	}
	return u, nil
}

// garbageUpload is the size of one chunked upload settle sends.
const garbageUpload = 8 << 20

// zeros is an endless reader of zero bytes. Requests with it as their
// body (cut with io.LimitReader) are sent chunked: its length is unknown.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// allListed checks that `wisp apps` lists every app deployed so far.
func (s *suite) allListed(t *testing.T) {
	t.Helper()
	res := s.wisp(t, "apps", "-o", "json")
	if res.Code != 0 {
		t.Fatalf("health check: wisp apps: exit %d: %s", res.Code, res.Stderr)
	}
	var listed []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &listed); err != nil {
		t.Fatalf("health check: wisp apps -o json: %v\n%s", err, res.Stdout)
	}
	have := map[string]bool{}
	for _, a := range listed {
		have[a.Name] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, name := range s.apps {
		if !have[name] {
			t.Errorf("health check: wisp apps does not list %q any more:\n%s", name, res.Stdout)
		}
	}
}
