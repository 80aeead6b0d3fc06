package adminapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/cgi"
)

// getBlob answers a stored blob's content: the module or file bundle of
// a version, for the dashboard's playground to run in the browser.
func (a *api) getBlob(w http.ResponseWriter, r *http.Request) error {
	rc, info, err := a.Node.OpenBlob(r.Context(), r.PathValue("digest"))
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(info.Size, 10))
	// Content-addressed: the same URL always has the same bytes.
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	w.Header().Set("ETag", strconv.Quote(info.Digest))
	w.WriteHeader(http.StatusOK)
	io.Copy(w, rc) // a failure mid-way is the client's or the disk's; the length tells it
	return nil
}

// stats answers every app's request stats of the last minute.
func (a *api) stats(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]any{
		"window": wisp.Duration(wisp.StatsWindow).String(),
		"apps":   a.Node.RequestStats(),
	})
}

// invokeRequest is the body of POST /v1/apps/{name}/invoke: one HTTP
// request, described rather than sent, so that the answer can carry the
// CGI input the app got.
type invokeRequest struct {
	Method  string            `json:"method"`  // default GET
	Path    string            `json:"path"`    // with the query: "/echo/a?x=1"
	Headers map[string]string `json:"headers"` // "Host" sets the request's host (default "localhost")
	Body    string            `json:"body"`
}

// invokeAnswer is the CGI request the node gave the app and its output.
type invokeAnswer struct {
	App     string     `json:"app"`
	Version int        `json:"version"`
	Route   wisp.Route `json:"route"`
	Module  string     `json:"module"`
	// Files are the version's bundles, mounted read-only.
	Files []wisp.FileMount `json:"files,omitempty"`
	// Args, Env and Stdin are the CGI request as the instance saw it:
	// argv, the whole environment in the order environ_get gives it, and
	// the body on stdin.
	Args  []string `json:"args"`
	Env   []string `json:"env"`
	Stdin []byte   `json:"stdin"`
	// Stdout is everything the instance wrote to stdout (the CGI
	// response, before the gateway parses it), byte for byte.
	Stdout []byte `json:"stdout"`
	// Error says why the invocation failed (trap, non-zero exit, timeout);
	// empty on success.
	Error      string  `json:"error,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

// maxInvokeBody caps a playground request's body.
const maxInvokeBody = 64 << 10

// invoke runs one request through the app as the gateway would (same
// CGI environment, argv and stdin; the app's limits) and answers the CGI
// input with the raw stdout, so the dashboard's playground can give the
// browser the same input and compare the answers byte for byte. The
// request is not counted in the app's request stats; what it writes to
// stderr goes to the app's log as usual. Errors: those of Invoke that say
// nothing ran (the app removed, overloaded, no room in the memory budget
// for three times its max_response, what the answer may hold); a failed
// run is an answer with its error.
func (a *api) invoke(w http.ResponseWriter, r *http.Request) error {
	var req invokeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	name := r.PathValue("name")
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	if !validMethod(req.Method) {
		return apiError(http.StatusBadRequest, "invalid", "method %q is not an HTTP method token like GET or POST", req.Method)
	}
	if len(req.Body) > maxInvokeBody {
		return apiError(http.StatusRequestEntityTooLarge, "too_large", "body of %d bytes is over the playground's %d: send a shorter one", len(req.Body), maxInvokeBody)
	}
	if req.Path == "" {
		return apiError(http.StatusBadRequest, "invalid", "path is required: the request's path and query, like \"/echo/a?x=1\"")
	}
	u, err := url.ParseRequestURI(req.Path)
	if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(req.Path, "/") {
		return apiError(http.StatusBadRequest, "invalid", "path %q is not an absolute path with an optional query, like \"/echo/a?x=1\"", req.Path)
	}
	hr := &http.Request{
		Method: req.Method, URL: u, RequestURI: req.Path, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Host: "localhost", RemoteAddr: r.RemoteAddr, ContentLength: int64(len(req.Body)),
	}
	for k, v := range req.Headers {
		if !validHeader(k, v) {
			return apiError(http.StatusBadRequest, "invalid", "header %q: a name must be a token and a value printable text without line breaks", k)
		}
		if strings.EqualFold(k, "Host") {
			hr.Host = v
			continue
		}
		if strings.EqualFold(k, "Content-Length") {
			continue // the body's own length
		}
		hr.Header.Set(k, v)
	}
	host, _ := cgi.SplitHost(hr.Host)
	t, ok := a.Node.Lookup(strings.ToLower(strings.TrimSuffix(host, ".")), u.Path)
	if !ok || t.App != name {
		if _, err := a.Node.App(r.Context(), name); err != nil {
			return err
		}
		other := "no app"
		if ok {
			other = "app " + strconv.Quote(t.App)
		}
		return apiError(http.StatusBadRequest, "invalid", "%s serves %s on host %q, not app %q: give a path that one of %q's routes matches", other, u.Path, hr.Host, name, name)
	}
	hr.Body = http.NoBody
	spec := t.Spec()
	match := cgi.Match{Route: t.Route.String(), ScriptName: t.Route.Path}
	in := wisp.Input{
		Args:    cgi.Args(hr),
		Env:     cgi.Env(hr, match, cgi.Server{Software: "Wisp"}),
		Stdin:   strings.NewReader(req.Body),
		Request: hr,
	}
	// The answer is held whole, up to the app's max_response (and its
	// base64 in the JSON): reserved in the node's memory budget as the
	// gateway reserves what it holds.
	held := 3 * int64(spec.Limits.MaxResponse)
	release, err := a.Node.Reserve(t.App, held, "holding a playground answer")
	if err != nil {
		return err
	}
	defer release()
	var out bytes.Buffer
	in.Stdout = &out
	ans := invokeAnswer{
		App: t.App, Version: t.Version, Route: t.Route, Module: spec.Module, Files: spec.Files,
		Args: in.Args, Env: t.Environ(in.Env), Stdin: []byte(req.Body),
	}
	start := time.Now()
	err = a.Node.Invoke(r.Context(), t, in)
	ans.DurationMS = float64(time.Since(start)) / float64(time.Millisecond)
	ans.Stdout = out.Bytes()
	if err != nil {
		if errors.Is(err, wisp.ErrNotFound) || errors.Is(err, wisp.ErrOverloaded) || r.Context().Err() != nil {
			return err
		}
		ans.Error = err.Error()
	}
	return writeJSON(w, http.StatusOK, ans)
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func validHeader(name, value string) bool {
	if !validMethod(name) { // the same token grammar
		return false
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
