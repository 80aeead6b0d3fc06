// Package adminapi serves Wisp's versioned REST/JSON admin API (see
// docs/admin-api.md) over a *wisp.Node: blob uploads, deploys, rollbacks,
// removal, app details and logs, variables and secrets, the key-value
// stores, request stats, a playground invocation that answers the CGI
// input with the raw output, Prometheus metrics (Config.Metrics), plus
// unauthenticated health and readiness probes and the web dashboard
// (internal/ui) at /ui/.
//
// Handlers return an error; one function, writeError, turns every error
// into a status code and a JSON body {"error": "...", "code": "..."},
// repeated in the headers Wisp-Error and Wisp-Error-Code. Messages carry
// text the node does not control (a guest's stderr, store errors), so
// they go through internal/headertext: readable text in the body, an
// escaped one-line value in the header.
package adminapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"syscall"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/headertext"
	"github.com/wisphq/wisp/internal/ui"
)

// Config configures the admin API handler.
type Config struct {
	Node *wisp.Node
	// Token is the bearer token every /v1/ request must carry. Required.
	Token string
	// Version is reported by GET /v1/node.
	Version string
	// Stopping, when closed, ends streaming answers (log follows) so a
	// graceful shutdown does not wait for them. Nil: never.
	Stopping <-chan struct{}
	// Logger receives handler errors that are the node's fault (5xx).
	// Nil: discard.
	Logger *slog.Logger
	// Metrics, if set, serves GET /metrics (the Prometheus exposition of
	// package telemetry's registry), behind the token like /v1/. Nil: no
	// /metrics.
	Metrics http.Handler
}

// maxSpecBytes caps JSON request bodies (specs, rollbacks).
const maxSpecBytes = 1 << 20

type api struct {
	Config
	tokenSum [sha256.Size]byte
}

// New returns the admin API handler. It panics if cfg.Node is nil or
// cfg.Token is empty, which are programming errors.
func New(cfg Config) http.Handler {
	if cfg.Node == nil || cfg.Token == "" {
		panic("adminapi.New: Node and Token are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &api{Config: cfg, tokenSum: sha256.Sum256([]byte(cfg.Token))}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", a.handle(a.health))
	mux.Handle("GET /readyz", a.handle(a.ready))
	mux.Handle("GET /v1/node", a.auth(a.nodeInfo))
	mux.Handle("GET /v1/nodes", a.auth(a.fleetNodes))
	mux.Handle("POST /v1/blobs", a.auth(a.putBlob))
	mux.Handle("HEAD /v1/blobs/{digest}", a.auth(a.statBlob))
	mux.Handle("GET /v1/blobs/{digest}", a.auth(a.getBlob))
	mux.Handle("GET /v1/stats", a.auth(a.stats))
	mux.Handle("POST /v1/manifest", a.auth(a.parseManifest))
	mux.Handle("GET /v1/apps", a.auth(a.listApps))
	mux.Handle("GET /v1/apps/{name}", a.auth(a.getApp))
	mux.Handle("PUT /v1/apps/{name}", a.auth(a.deploy))
	mux.Handle("POST /v1/apps/{name}/rollback", a.auth(a.rollback))
	mux.Handle("DELETE /v1/apps/{name}", a.auth(a.remove))
	mux.Handle("GET /v1/apps/{name}/logs", a.auth(a.logs))
	mux.Handle("POST /v1/apps/{name}/invoke", a.auth(a.invoke))
	mux.Handle("GET /v1/apps/{name}/usage", a.auth(a.usage))
	mux.Handle("GET /v1/apps/{name}/variables", a.auth(a.listVariables))
	mux.Handle("PUT /v1/apps/{name}/variables/{var}", a.auth(a.setVariable))
	mux.Handle("DELETE /v1/apps/{name}/variables/{var}", a.auth(a.deleteVariable))
	mux.Handle("POST /v1/secrets/rewrap", a.auth(a.rewrapSecrets))
	mux.Handle("GET /v1/kv", a.auth(a.kvStores))
	mux.Handle("GET /v1/kv/{store}", a.auth(a.kvKeys))
	mux.Handle("GET /v1/kv/{store}/{key...}", a.auth(a.kvGet))
	mux.Handle("PUT /v1/kv/{store}/{key...}", a.auth(a.kvSet))
	mux.Handle("DELETE /v1/kv/{store}/{key...}", a.auth(a.kvDelete))
	// The dashboard's page and scripts hold no data: everything it shows
	// comes from the /v1/ endpoints above, with the token its login
	// screen asks for.
	mux.Handle("GET /ui/", http.StripPrefix("/ui", ui.Handler()))
	mux.Handle("GET /ui", http.RedirectHandler("/ui/", http.StatusMovedPermanently))
	mux.Handle("GET /{$}", http.RedirectHandler("/ui/", http.StatusFound))
	if cfg.Metrics != nil {
		mux.Handle("GET /metrics", a.auth(func(w http.ResponseWriter, r *http.Request) error {
			cfg.Metrics.ServeHTTP(w, r)
			return nil
		}))
	}
	mux.Handle("/", a.handle(func(w http.ResponseWriter, r *http.Request) error {
		return apiError(http.StatusNotFound, "not_found", "no admin endpoint %s %s; see docs/admin-api.md", r.Method, r.URL.Path)
	}))
	return mux
}

// handlerFunc is an HTTP handler that reports failure by returning an error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (a *api) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.writeError(w, r, err)
		}
	})
}

// auth wraps h so it runs only for requests with the right bearer token.
// Tokens are compared as fixed-size hashes in constant time, so neither
// timing nor length leaks anything about the token.
func (a *api) auth(h handlerFunc) http.Handler {
	return a.handle(func(w http.ResponseWriter, r *http.Request) error {
		given, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(given)))
		if !ok || subtle.ConstantTimeCompare(sum[:], a.tokenSum[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="wisp"`)
			return apiError(http.StatusUnauthorized, "unauthorized", "missing or wrong admin token: pass it as \"Authorization: Bearer TOKEN\" (the CLI reads --token or WISP_TOKEN; the node's token is the $WISP_TOKEN it was started with, else the content of its DATA/admin.token)")
		}
		return h(w, r)
	})
}

// httpError is an error with a chosen status and code.
type httpError struct {
	status int
	code   string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func apiError(status int, code, format string, args ...any) error {
	return &httpError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// writeError maps err to a status and JSON body; the single place where
// errors become HTTP answers.
func (a *api) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code := http.StatusInternalServerError, "internal"
	var he *httpError
	var maxBytes *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		status, code = he.status, he.code
	case errors.As(err, &maxBytes), errors.Is(err, wisp.ErrTooLarge):
		status, code = http.StatusRequestEntityTooLarge, "too_large"
	case errors.Is(err, wisp.ErrLimit):
		status, code = http.StatusRequestEntityTooLarge, "limit"
	case errors.Is(err, syscall.ENOSPC):
		status, code = http.StatusInsufficientStorage, "no_space"
		err = fmt.Errorf("the node's disk is full; nothing was stored: free space in its data directory and retry (%w)", err)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		return // the client went away; nobody to answer
	case errors.Is(err, wisp.ErrNotFound):
		status, code = http.StatusNotFound, "not_found"
	case errors.Is(err, wisp.ErrInvalid):
		status, code = http.StatusBadRequest, "invalid"
	case errors.Is(err, wisp.ErrConflict):
		status, code = http.StatusConflict, "conflict"
	case errors.Is(err, wisp.ErrOverloaded):
		status, code = http.StatusServiceUnavailable, "unavailable"
	case errors.Is(err, wisp.ErrUnavailable):
		status, code = http.StatusServiceUnavailable, "store_unavailable"
	}
	if status >= 500 {
		a.Logger.Error("admin request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	// A HEAD answer has no body: the message goes in headers too, made a
	// valid header value whatever a guest wrote into it.
	msg := err.Error()
	w.Header().Set("Wisp-Error", headertext.Value(msg))
	w.Header().Set("Wisp-Error-Code", code)
	writeJSON(w, status, map[string]string{"error": headertext.Text(msg), "code": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// decodeJSON reads a JSON request body strictly: unknown fields and
// trailing data are errors that name the problem.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxSpecBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var maxBytes *http.MaxBytesError
		if errors.As(err, &maxBytes) {
			return fmt.Errorf("request body is larger than %d bytes: %w", maxSpecBytes, err)
		}
		return apiError(http.StatusBadRequest, "invalid", "request body is not valid JSON for this endpoint: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return apiError(http.StatusBadRequest, "invalid", "request body has data after the JSON value")
	}
	return nil
}
