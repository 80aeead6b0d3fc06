package isolation

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// envAnswer is envprobe's answer, parsed.
type envAnswer struct {
	env   map[string]string
	order []string // keys as listed
	args  []string
	stdin string
}

// parseEnv parses envprobe's answer: "KEY=VALUE" lines, a "--" line,
// argument lines, a "--" line, then stdin as is.
func parseEnv(body string) (envAnswer, []string) {
	a := envAnswer{env: map[string]string{}}
	var problems []string
	section := 0
	for section < 2 {
		line, rest, ok := strings.Cut(body, "\n")
		if !ok {
			return a, append(problems, fmt.Sprintf("the answer ends inside section %d, without its %q line", section+1, "--"))
		}
		body = rest
		switch {
		case line == "--":
			section++
		case section == 1:
			a.args = append(a.args, line)
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				problems = append(problems, fmt.Sprintf("environment entry %q has no '='", line))
				continue
			}
			if _, dup := a.env[k]; dup {
				problems = append(problems, fmt.Sprintf("environment variable %s is set twice", k))
			}
			a.env[k] = v
			a.order = append(a.order, k)
		}
	}
	a.stdin = body
	return a, problems
}

// perRequest are the variables whose values differ between the requests
// of this suite (the query holds each request's secret; the port is the
// connection's). Every other variable must have the reference's value.
var perRequest = map[string]bool{
	"QUERY_STRING":   true,
	"REQUEST_URI":    true,
	"X_FULL_URL":     true,
	"REMOTE_PORT":    true,
	"CONTENT_LENGTH": true,
	"HTTP_X_SECRET":  true,
}

// checkEnv checks envprobe's answer: the manifest's environment intact,
// the request's own variables, arguments and stdin, and nothing else that
// differs from the reference answer ref (if not "").
func checkEnv(c call, body, ref string) []string {
	got, problems := parseEnv(body)
	for _, k := range sortedKeys(manifestEnv) {
		if v, ok := got.env[k]; !ok || v != manifestEnv[k] {
			problems = append(problems, fmt.Sprintf("manifest variable %s = %q (set: %v), want %q", k, v, ok, manifestEnv[k]))
		}
	}
	want := map[string]string{
		"QUERY_STRING":   c.query(),
		"REQUEST_URI":    c.path(),
		"CONTENT_LENGTH": fmt.Sprint(len(c.body)),
	}
	if c.header {
		want["HTTP_X_SECRET"] = c.secret
	} else if v, ok := got.env["HTTP_X_SECRET"]; ok {
		problems = append(problems, fmt.Sprintf("HTTP_X_SECRET = %q, but this request sent no X-Secret header", v))
	}
	for _, k := range sortedKeys(want) {
		if v, ok := got.env[k]; !ok || v != want[k] {
			problems = append(problems, fmt.Sprintf("%s = %q (set: %v), want %q", k, v, ok, want[k]))
		}
	}
	if u := got.env["X_FULL_URL"]; !strings.HasSuffix(u, c.path()) {
		problems = append(problems, fmt.Sprintf("X_FULL_URL = %q, want it to end with %q", u, c.path()))
	}
	if wantArgs := []string{c.app.route, "mode=" + c.mode, "secret=" + c.secret}; !slices.Equal(got.args, wantArgs) {
		problems = append(problems, fmt.Sprintf("arguments %q, want %q", got.args, wantArgs))
	}
	if got.stdin != c.body {
		problems = append(problems, fmt.Sprintf("stdin %q, want the request's body %q", truncate(got.stdin), c.body))
	}
	if ref == "" {
		return problems
	}
	base, _ := parseEnv(ref)
	for _, k := range base.order {
		if perRequest[k] {
			continue
		}
		if v, ok := got.env[k]; !ok || v != base.env[k] {
			problems = append(problems, fmt.Sprintf("%s = %q (set: %v), want %q as in every other request", k, v, ok, base.env[k]))
		}
	}
	for _, k := range got.order {
		if _, ok := base.env[k]; !ok && !perRequest[k] {
			problems = append(problems, fmt.Sprintf("unexpected variable %s=%q", k, got.env[k]))
		}
	}
	return problems
}

// envCall returns a call to envprobe; with secrets, the secret also goes
// into the X-Secret header and the body.
func envCall(a *app, mode string, secrets bool) call {
	c := newCall(a, mode)
	if secrets {
		c.header = true
		c.body = "body of " + c.secret
	}
	return c
}

// TestEnvDetectsLeaks shows that checkEnv catches another request's
// environment: one request's answer, checked as if it were the answer to
// a request without a header or body, fails on the secret header, the
// query and stdin.
func TestEnvDetectsLeaks(t *testing.T) {
	f := setup(t)
	f.eachFlavor(t, envProbe, func(t *testing.T, a *app) {
		ref := f.reference(t, a)
		leaky := envCall(a, "ok", true)
		r := f.do(t, leaky)
		expectClean(t, leaky, r, ref)

		other := envCall(a, "ok", false)
		problems := append(foreignSecrets(other, r.body), checkEnv(other, r.body, ref)...)
		all := strings.Join(problems, "\n")
		for _, want := range []string{
			"another request's secret " + leaky.secret,
			"HTTP_X_SECRET = \"" + leaky.secret + "\", but this request sent no X-Secret header",
			"QUERY_STRING = ",
			"stdin \"body of " + leaky.secret,
		} {
			if !strings.Contains(all, want) {
				t.Errorf("checking one request's answer as another's: no problem reported containing %q; problems:\n%s", want, all)
			}
		}
	})
}

// TestEnvSequential alternates requests with and without a secret header
// and body, ending in each way a request can end, and checks that each
// sees exactly its own environment, arguments and stdin next to the
// manifest's environment.
func TestEnvSequential(t *testing.T) {
	f := setup(t)
	f.eachFlavor(t, envProbe, func(t *testing.T, a *app) {
		ref := f.reference(t, a)
		for i, mode := range []string{"ok", "exit7", "ok", "trap", "ok", "ok", "exit7", "trap"} {
			c := envCall(a, mode, i%2 == 0)
			expectClean(t, c, f.do(t, c), ref)
			next := envCall(a, "ok", i%2 == 1)
			expectClean(t, next, f.do(t, next), ref)
		}
	})
}
