package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wisphq/wisp"
)

// fakeNode is an in-memory admin API implementing the contract of
// docs/admin-api.md closely enough for the CLI: blobs, apps, deploys,
// rollbacks, removal and logs. Its clock is fixed and advances one minute
// per deploy, so outputs are stable.
type fakeNode struct {
	url   string
	token string

	mu       sync.Mutex
	blobs    map[string][]byte
	apps     map[string]*wisp.App
	logs     map[string][]wisp.LogEntry
	usage    map[string]wisp.AppUsage // GET /v1/apps/{name}/usage; none: no requests
	clock    time.Time
	uploads  int  // POST /v1/blobs answered with 201
	holdLogs bool // a followed log stays open until the client leaves
}

const fakeToken = "t0ken"

// maxFakeBlob is the fake's --max-module-size.
const maxFakeBlob = 1 << 20

func newFakeNode(t *testing.T) *fakeNode {
	t.Helper()
	n := &fakeNode{
		token: fakeToken,
		blobs: map[string][]byte{},
		apps:  map[string]*wisp.App{},
		logs:  map[string][]wisp.LogEntry{},
		clock: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/blobs", n.putBlob)
	mux.HandleFunc("HEAD /v1/blobs/{digest}", n.headBlob)
	mux.HandleFunc("GET /v1/apps", n.listApps)
	mux.HandleFunc("GET /v1/apps/{name}", n.getApp)
	mux.HandleFunc("PUT /v1/apps/{name}", n.deploy)
	mux.HandleFunc("POST /v1/apps/{name}/rollback", n.rollback)
	mux.HandleFunc("DELETE /v1/apps/{name}", n.remove)
	mux.HandleFunc("GET /v1/apps/{name}/logs", n.getLogs)
	mux.HandleFunc("GET /v1/apps/{name}/usage", n.getUsage)
	mux.HandleFunc("GET /v1/nodes", n.listNodes)
	srv := httptest.NewServer(n.authorize(mux))
	t.Cleanup(srv.Close)
	n.url = srv.URL
	return n
}

func (n *fakeNode) authorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+n.token {
			fail(w, 401, "unauthorized", "missing or wrong bearer token")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, code, msg string) {
	answer(w, status, map[string]string{"error": msg, "code": code})
}

func sha(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func (n *fakeNode) putBlob(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFakeBlob))
	if err != nil {
		fail(w, 413, "too_large", "upload is over the node's --max-module-size of 1MiB")
		return
	}
	d := sha(data)
	if want := r.Header.Get("Wisp-Digest"); want != "" && want != d {
		fail(w, 400, "invalid", fmt.Sprintf("upload has digest %s, not %s", d, want))
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.blobs[d] = data
	n.uploads++
	answer(w, 201, wisp.BlobInfo{Digest: d, Size: int64(len(data))})
}

func (n *fakeNode) headBlob(w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.blobs[r.PathValue("digest")]; !ok {
		w.WriteHeader(404)
	}
}

func (n *fakeNode) listApps(w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	defer n.mu.Unlock()
	apps := []wisp.App{}
	for _, name := range slices.Sorted(maps.Keys(n.apps)) {
		apps = append(apps, *n.apps[name])
	}
	answer(w, 200, map[string]any{"apps": apps})
}

// app returns the app of the request, or answers 404.
func (n *fakeNode) app(w http.ResponseWriter, r *http.Request) *wisp.App {
	app := n.apps[r.PathValue("name")]
	if app == nil {
		fail(w, 404, "not_found", fmt.Sprintf("app %q not found: 'wisp apps' lists the deployed apps", r.PathValue("name")))
	}
	return app
}

func (n *fakeNode) getApp(w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if app := n.app(w, r); app != nil {
		answer(w, 200, app)
	}
}

func (n *fakeNode) getUsage(w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if app := n.app(w, r); app != nil {
		u, ok := n.usage[app.Name]
		if !ok {
			u = wisp.AppUsage{App: app.Name}
		}
		answer(w, 200, u)
	}
}

func (n *fakeNode) deploy(w http.ResponseWriter, r *http.Request) {
	var spec wisp.AppSpec
	if err := json.NewDecoder(r.Body).Decode(&spec); err != nil {
		fail(w, 400, "invalid", "spec: "+err.Error())
		return
	}
	name := r.PathValue("name")
	if spec.Name == "" {
		spec.Name = name
	}
	if spec.Name != name {
		fail(w, 400, "invalid", "spec name differs from the path")
		return
	}
	if err := spec.Validate(); err != nil {
		fail(w, 400, "invalid", err.Error())
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, d := range append([]string{spec.Module}, bundles(spec)...) {
		if _, ok := n.blobs[d]; !ok {
			fail(w, 404, "not_found", "blob "+d+" not found: upload it first")
			return
		}
	}
	spec.Limits = spec.Limits.WithDefaults()
	app := n.apps[name]
	if app == nil {
		app = &wisp.App{Name: name}
		n.apps[name] = app
	} else if reflect.DeepEqual(app.CurrentVersion().Spec, spec) {
		answer(w, 200, wisp.DeployResult{App: *app, Version: app.Current, Unchanged: true})
		return
	}
	n.clock = n.clock.Add(time.Minute)
	number := len(app.Versions) + 1
	app.Versions = append(app.Versions, wisp.Version{Number: number, Spec: spec, CreatedAt: n.clock})
	app.Current = number
	app.Revision++
	n.log(name, wisp.LogEntry{Time: n.clock, Stream: "node", Version: number, Message: "deployed version " + strconv.Itoa(number)})
	answer(w, 200, wisp.DeployResult{App: *app, Version: number})
}

func bundles(spec wisp.AppSpec) []string {
	var ds []string
	for _, f := range spec.Files {
		ds = append(ds, f.Bundle)
	}
	return ds
}

func (n *fakeNode) rollback(w http.ResponseWriter, r *http.Request) {
	var body struct{ Version int }
	json.NewDecoder(r.Body).Decode(&body)
	n.mu.Lock()
	defer n.mu.Unlock()
	app := n.app(w, r)
	if app == nil {
		return
	}
	target := body.Version
	if target == 0 {
		target = app.Current - 1
	}
	if _, ok := app.Version(target); !ok {
		fail(w, 404, "not_found", fmt.Sprintf("app %q has no version %d", app.Name, target))
		return
	}
	app.Current = target
	app.Revision++
	answer(w, 200, app)
}

func (n *fakeNode) remove(w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if app := n.app(w, r); app != nil {
		delete(n.apps, app.Name)
		w.WriteHeader(http.StatusNoContent)
	}
}

// log appends e to the app's log, numbering it.
func (n *fakeNode) log(app string, e wisp.LogEntry) {
	total := 0
	for _, l := range n.logs {
		total += len(l)
	}
	e.Seq = uint64(total + 1)
	n.logs[app] = append(n.logs[app], e)
}

func (n *fakeNode) getLogs(w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	if n.app(w, r) == nil {
		n.mu.Unlock()
		return
	}
	tail := 100
	if s := r.URL.Query().Get("tail"); s != "" {
		tail, _ = strconv.Atoi(s)
	}
	entries := n.logs[r.PathValue("name")]
	entries = entries[max(0, len(entries)-tail):]
	hold := n.holdLogs
	n.mu.Unlock()

	if r.URL.Query().Get("follow") != "1" {
		answer(w, 200, map[string]any{"entries": append([]wisp.LogEntry{}, entries...)})
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	for _, e := range entries {
		enc.Encode(e)
	}
	w.(http.Flusher).Flush()
	if hold {
		<-r.Context().Done()
	}
}
