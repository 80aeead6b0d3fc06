package isolation

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// call is one request to a probe. Its secret is unique to it and goes into
// the query ("mode=M&secret=S"), and for envprobe into the X-Secret header
// and the body when asked: it must never show up in another request.
type call struct {
	app    *app
	mode   string
	secret string
	header bool   // send "X-Secret: secret"
	body   string // the request body; envprobe calls are POSTs, others GETs unless body is set
}

// response is what the gateway answered.
type response struct {
	status int
	body   string
}

// secretPrefix starts every secret, so a body can be searched for any
// request's secret, not just the ones a check knows about.
const secretPrefix = "isosecret"

// secretRE matches a secret anywhere.
var secretRE = regexp.MustCompile(secretPrefix + `[a-z0-9]{12}`)

// newSecret returns a new random secret: 12 characters out of 36, so no
// two requests share one.
func newSecret() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 12)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return secretPrefix + string(b)
}

// newCall returns a call to a with mode and a new secret.
func newCall(a *app, mode string) call {
	return call{app: a, mode: mode, secret: newSecret()}
}

// query returns the call's raw query.
func (c call) query() string { return "mode=" + c.mode + "&secret=" + c.secret }

// path returns the call's path and query.
func (c call) path() string { return c.app.route + "?" + c.query() }

// send sends the call; an error means no HTTP response at all.
func (f *fixture) send(c call) (response, error) {
	method, body := http.MethodGet, io.Reader(nil)
	if c.body != "" || c.app.probe == envProbe {
		method, body = http.MethodPost, strings.NewReader(c.body)
	}
	req, err := http.NewRequest(method, f.node.Gateway+c.path(), body)
	if err != nil {
		return response{}, err
	}
	if c.header {
		req.Header.Set("X-Secret", c.secret)
	}
	resp, err := f.http.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, c.path(), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: reading the body: %w", method, c.path(), err)
	}
	return response{status: resp.StatusCode, body: string(b)}, nil
}

// do sends the call and fails the test if it gets no answer.
func (f *fixture) do(t *testing.T, c call) response {
	t.Helper()
	r, err := f.send(c)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// wantStatus is the status each mode ends in: a response, a guest error
// (a trap or a non-zero exit) or a timeout.
var wantStatus = map[string]int{
	"ok":    http.StatusOK,
	"exit0": http.StatusOK,
	"twice": http.StatusOK,
	"grow":  http.StatusOK,
	"close": http.StatusOK,
	"throw": http.StatusInternalServerError,
	"exit7": http.StatusInternalServerError,
	"trap":  http.StatusInternalServerError,
	"oob":   http.StatusInternalServerError,
	"loop":  http.StatusGatewayTimeout,
	"sleep": http.StatusGatewayTimeout,
}

// slowModes end at the timeout.
var slowModes = []string{"loop", "sleep"}

// reports says whether a call in mode ends with the probe's report as the
// response body.
func reports(mode string) bool { return wantStatus[mode] == http.StatusOK }

// check returns every way r is not what a fresh instance answers to c;
// ref is the app's reference answer (see referenceFor), used by the
// probes whose answer depends on the node (envprobe, filesprobe).
func check(c call, r response, ref string) []string {
	want, ok := wantStatus[c.mode]
	if !ok {
		return []string{fmt.Sprintf("test bug: no status known for mode %q", c.mode)}
	}
	if r.status != want {
		return []string{fmt.Sprintf("status %d, want %d; body %q", r.status, want, truncate(r.body))}
	}
	problems := foreignSecrets(c, r.body)
	if !reports(c.mode) {
		return problems
	}
	switch c.app.probe {
	case memProbe:
		problems = append(problems, checkMemory(c, r.body)...)
	case stateProbe:
		problems = append(problems, checkState(c, r.body)...)
	case envProbe:
		problems = append(problems, checkEnv(c, r.body, ref)...)
	case filesProbe:
		problems = append(problems, checkFiles(c, r.body, ref, deployedMounts())...)
	case reuseProbe:
		problems = append(problems, checkReuse(c, r.body)...)
	case jsProbe:
		problems = append(problems, checkJS(c, r.body)...)
	}
	return problems
}

// foreignSecrets reports any secret in body other than the call's own.
func foreignSecrets(c call, body string) []string {
	var problems []string
	for _, s := range dedupe(secretRE.FindAllString(body, -1)) {
		if s != c.secret {
			problems = append(problems, fmt.Sprintf("another request's secret %s is in the answer", s))
		}
	}
	return problems
}

// expectClean fails t with the problems check finds in the call's answer.
func expectClean(t *testing.T, c call, r response, ref string) {
	t.Helper()
	if problems := check(c, r, ref); len(problems) > 0 {
		t.Errorf("%s %s (mode %s): %d problems:\n  %s\nbody:\n%s", c.app.name, c.path(), c.mode, len(problems), strings.Join(problems, "\n  "), truncate(r.body))
	}
}

// truncate shortens long bodies in messages.
func truncate(s string) string {
	const max = 2000
	if len(s) > max {
		return s[:max] + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return s
}

func dedupe(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
