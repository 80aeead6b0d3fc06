// Package sdk tests the guest SDKs the way a user meets them: each
// language's example app (examples/links-<lang>, a link shortener using a
// key-value store, a variable, a secret, logging and an outbound call) is
// deployed with the CLI to a real `wisp serve` and driven over HTTP with one
// table, against a real upstream HTTP server on loopback. State must survive
// a node restart, a variable changed at run time must show on the next
// request, and the secret must never leak: every API response, CLI output
// and log line of the node is scanned for it.
package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/testnode"
)

var wispBin, repoRoot string

func TestMain(m *testing.M) {
	os.Exit(testnode.WithBinary(func(bin testnode.Binary) int {
		wispBin, repoRoot = bin.Path, bin.Root
		return m.Run()
	}))
}

// languages are the SDKs with an example app.
var languages = []string{"go", "c", "rust", "as"}

// secret is the admin_token every example is given; it must never be seen.
const secret = "s3cr3t-T0ken-8b1f2e"

// recorder keeps everything the test saw, to scan for the secret.
type recorder struct{ seen bytes.Buffer }

func (r *recorder) add(what, text string) { fmt.Fprintf(&r.seen, "== %s\n%s\n", what, text) }

type harness struct {
	t    *testing.T
	node *testnode.Node
	data string
	rec  *recorder
	http *http.Client
}

func (h *harness) start() {
	h.t.Helper()
	n, err := testnode.Start(testnode.Options{Bin: wispBin, Data: h.data, Dir: repoRoot})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(n.Kill)
	h.node = n
}

// wisp runs a CLI command that must succeed, with stdin.
func (h *harness) wisp(stdin string, args ...string) string {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := h.node.CLI().Command(ctx, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	h.rec.add("wisp "+strings.Join(args, " "), out.String()+errOut.String())
	if err != nil {
		h.t.Fatalf("wisp %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}

type response struct {
	status   int
	header   http.Header
	body     string
	json     map[string]any
	location string
}

func (h *harness) request(base, method, path, body string, header map[string]string) response {
	h.t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := h.http.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var head bytes.Buffer
	resp.Header.Write(&head)
	h.rec.add(method+" "+path, head.String()+string(b))
	r := response{status: resp.StatusCode, header: resp.Header, body: string(b), location: resp.Header.Get("Location")}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &r.json); err != nil {
			h.t.Errorf("%s %s: body is not JSON: %v: %q", method, path, err, b)
		}
	}
	return r
}

func (h *harness) gw(method, path, body string, header map[string]string) response {
	h.t.Helper()
	return h.request(h.node.Gateway, method, path, body, header)
}

func (h *harness) admin(path string) response {
	h.t.Helper()
	return h.request(h.node.Admin, "GET", path, "", map[string]string{"Authorization": "Bearer " + h.node.Token})
}

func TestExampleAppsInEveryLanguage(t *testing.T) {
	// The upstream the apps call out to, on loopback.
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "hello from upstream")
	}))
	defer upstream.Close()
	target := upstream.URL + "/page"

	h := &harness{t: t, data: t.TempDir(), rec: &recorder{},
		http: &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	h.start()
	for _, lang := range languages {
		h.wisp("", "deploy", "examples/links-"+lang)
	}
	auth := map[string]string{"Authorization": "Bearer " + secret}

	for _, lang := range languages {
		t.Run(lang, func(t *testing.T) {
			h.t = t
			base := "/links-" + lang
			r := h.gw("GET", base, "", nil)
			if r.status != 200 || r.json["greeting"] != "Welcome to links" {
				t.Fatalf("GET %s = %d %q, want 200 with the default greeting", base, r.status, r.body)
			}
			if r := h.gw("PUT", base+"/up", target, auth); r.status != 503 || !strings.Contains(r.body, "wisp secret set links-"+lang+" admin_token") {
				t.Errorf("PUT before the secret is set = %d %q, want 503 naming the command", r.status, r.body)
			}
			h.wisp(secret, "secret", "set", "links-"+lang, "admin_token")
			for name, hdr := range map[string]map[string]string{"no token": nil, "wrong token": {"Authorization": "Bearer nope"}} {
				if r := h.gw("PUT", base+"/up", target, hdr); r.status != 401 {
					t.Errorf("PUT with %s = %d %q, want 401", name, r.status, r.body)
				}
			}
			if r := h.gw("PUT", base+"/up", target, auth); r.status != 201 || r.json["code"] != "up" || r.json["url"] != target {
				t.Fatalf("PUT = %d %q, want 201", r.status, r.body)
			}
			if r := h.gw("PUT", base+"/bad!code", target, auth); r.status != 400 {
				t.Errorf("PUT with a bad code = %d %q, want 400", r.status, r.body)
			}
			if r := h.gw("GET", base+"/up", "", nil); r.status != 302 || r.location != target {
				t.Errorf("GET link = %d Location %q, want 302 to %s", r.status, r.location, target)
			}
			if r := h.gw("GET", base+"/nope", "", nil); r.status != 404 {
				t.Errorf("GET unknown link = %d %q, want 404", r.status, r.body)
			}
			if r := h.gw("GET", base+"/up/stats", "", nil); r.status != 200 || r.json["hits"] != 1.0 || r.json["url"] != target {
				t.Errorf("stats = %d %q, want 1 hit", r.status, r.body)
			}
			if r := h.gw("GET", base+"/up/check", "", nil); r.status != 200 || r.json["status"] != 200.0 || r.json["bytes"] != float64(len("hello from upstream")) {
				t.Errorf("check = %d %q, want the upstream's 200 and its length", r.status, r.body)
			}
			// An outbound call the allowlist does not cover is refused
			// before any connection: the metadata address.
			h.gw("PUT", base+"/meta", "http://169.254.169.254/latest/meta-data/", auth)
			if r := h.gw("GET", base+"/meta/check", "", nil); r.status != 502 || !strings.Contains(r.body, "denied") {
				t.Errorf("check of the metadata address = %d %q, want 502 denied", r.status, r.body)
			}
			if r := h.gw("GET", base, "", nil); r.status != 200 || fmt.Sprint(r.json["links"]) != "[meta up]" {
				t.Errorf("list = %d %q, want [meta up]", r.status, r.body)
			}
			// A variable changed at run time shows on the next request.
			h.wisp("", "config", "set", "links-"+lang, "greeting=Hola")
			if r := h.gw("GET", base, "", nil); r.json["greeting"] != "Hola" {
				t.Errorf("greeting after config set = %q, want Hola", r.body)
			}
			logs := h.wisp("", "logs", "links-"+lang)
			if !strings.Contains(logs, "link saved") || !strings.Contains(logs, "code=up") {
				t.Errorf("the app's log lacks the guest's entry (link saved, code=up):\n%s", logs)
			}
		})
	}
	h.t = t

	// Everything survives a restart on the same data.
	h.node.Kill()
	h.start()
	for _, lang := range languages {
		base := "/links-" + lang
		if r := h.gw("GET", base+"/up/stats", "", nil); r.status != 200 || r.json["hits"] != 1.0 {
			t.Errorf("%s: stats after a restart = %d %q, want 1 hit", lang, r.status, r.body)
		}
		if r := h.gw("GET", base, "", nil); r.json["greeting"] != "Hola" {
			t.Errorf("%s: greeting after a restart = %q", lang, r.body)
		}
		if r := h.gw("PUT", base+"/again", target, auth); r.status != 201 {
			t.Errorf("%s: the secret does not work after a restart: %d %q", lang, r.status, r.body)
		}
	}

	// The secret never leaks: admin API, CLI, logs.
	for _, lang := range languages {
		app := "links-" + lang
		h.admin("/v1/apps/" + app)
		h.admin("/v1/apps/" + app + "/variables")
		h.admin("/v1/apps/" + app + "/logs")
		h.wisp("", "app", app)
		h.wisp("", "config", "ls", app)
		h.wisp("", "secret", "ls", app)
		h.wisp("", "logs", app)
	}
	h.admin("/v1/apps")
	h.rec.add("node stdout", h.node.Stdout.String())
	h.rec.add("node stderr", h.node.Stderr.String())
	if i := strings.Index(h.rec.seen.String(), secret); i >= 0 {
		s := h.rec.seen.String()
		start := max(0, i-300)
		t.Fatalf("the secret leaked:\n...%s", s[start:min(len(s), i+100)])
	}
}
