// Command links-go is a tiny link shortener on Wisp, written as an
// ordinary net/http handler with the Go SDK (package wisp in guest/go):
// links live in the key-value store, the greeting is a variable, saving
// needs a secret admin token, and /check calls the link's URL through the
// node's outbound HTTP service.
//
// Routes (under the app's route /links-go):
//
//	GET  /links-go                list the codes (and the greeting)
//	PUT  /links-go/CODE           save the body as CODE's URL (Authorization: Bearer ADMIN_TOKEN)
//	GET  /links-go/CODE           302 to the URL, counting a hit
//	GET  /links-go/CODE/stats     the URL and its hits
//	GET  /links-go/CODE/check     fetch the URL and report its status and size
//
// Keys are "go:link:CODE" and "go:hits:CODE", so the links apps in other
// languages can share the store "default". Build with ./build.sh; see
// README.md.
package main

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	wisp "github.com/wisphq/wisp/guest/go"
)

// Key prefixes in the shared store.
const (
	linkPrefix = "go:link:"
	hitsPrefix = "go:hits:"
)

// codeRE is what a link code may be.
var codeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// maxURL bounds the body of a PUT.
const maxURL = 4 << 10

// The answers, their fields in the order of the links contract.
type (
	listing struct {
		Greeting string   `json:"greeting"`
		Links    []string `json:"links"`
	}
	saved struct {
		Code string `json:"code"`
		URL  string `json:"url"`
	}
	linkStats struct {
		Code string `json:"code"`
		URL  string `json:"url"`
		Hits int64  `json:"hits"`
	}
	checked struct {
		Code   string `json:"code"`
		Status int    `json:"status"`
		Bytes  int64  `json:"bytes"`
	}
	problem struct {
		Error string `json:"error"`
	}
)

func main() {
	// In the reactor this runs for every request: keep it cheap. Values
	// built once (codeRE) are package-level, built at deploy.
	wisp.Serve(newMux())
}

// newMux routes the app's requests. The paths are the whole request
// paths, route prefix included.
func newMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/links-go", list)
	mux.HandleFunc("/links-go/{$}", list)
	mux.HandleFunc("/links-go/{rest...}", link)
	return mux
}

// list answers the greeting and every code, sorted.
func list(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		fail(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed: use GET")
		return
	}
	greeting, err := wisp.Var("greeting")
	if err != nil {
		fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	kv, err := wisp.OpenKV("default")
	if err != nil {
		fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	codes := []string{}
	for key, err := range kv.Keys(linkPrefix) {
		if err != nil {
			fail(w, http.StatusInternalServerError, err.Error())
			return
		}
		codes = append(codes, strings.TrimPrefix(key, linkPrefix))
	}
	reply(w, http.StatusOK, listing{Greeting: greeting, Links: codes})
}

// link serves /links-go/CODE, /links-go/CODE/stats and
// /links-go/CODE/check.
func link(w http.ResponseWriter, r *http.Request) {
	rest := r.PathValue("rest")
	if r.Method == http.MethodPut {
		save(w, r, rest)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD, PUT")
		fail(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed: use GET or PUT")
		return
	}
	code, action, _ := strings.Cut(rest, "/")
	switch action {
	case "":
		redirect(w, code, r.Method == http.MethodGet)
	case "stats":
		stats(w, code)
	case "check":
		check(w, code)
	default:
		fail(w, http.StatusNotFound, "no route /links-go/"+rest+": use /links-go/CODE, /links-go/CODE/stats or /links-go/CODE/check")
	}
}

// save stores the body as the URL of code, for the holder of the admin
// token.
func save(w http.ResponseWriter, r *http.Request, code string) {
	token, err := wisp.Var("admin_token")
	switch {
	case errors.Is(err, wisp.ErrNotFound):
		fail(w, http.StatusServiceUnavailable, "set the admin_token secret: wisp secret set links-go admin_token")
		return
	case err != nil:
		fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	given, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(given), []byte(token)) != 1 {
		fail(w, http.StatusUnauthorized, "unauthorized")
		return
	}
	if !codeRE.MatchString(code) {
		fail(w, http.StatusBadRequest, "code "+strconv.Quote(code)+" must be 1 to 64 letters, digits, '_' or '-'")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxURL+1))
	if err != nil {
		fail(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	if len(body) > maxURL {
		fail(w, http.StatusRequestEntityTooLarge, "the body is over 4 KiB: send the link's URL only")
		return
	}
	url := strings.TrimSpace(string(body))
	if !validURL(url) {
		fail(w, http.StatusBadRequest, "the body must be the link's http:// or https:// URL, without spaces or control characters")
		return
	}
	kv, err := wisp.OpenKV("default")
	if err != nil {
		fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	if err := kv.Set(linkPrefix+code, []byte(url)); err != nil {
		fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	wisp.Logger().Info("link saved", "code", code)
	reply(w, http.StatusCreated, saved{Code: code, URL: url})
}

// validURL reports whether url is an http or https URL without spaces or
// control characters.
func validURL(url string) bool {
	rest, ok := strings.CutPrefix(url, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(url, "http://")
	}
	return ok && rest != "" && !strings.ContainsFunc(url, func(r rune) bool { return r <= ' ' || r == 0x7f })
}

// lookup returns the URL of code, or answers 404 (or the failure) and "".
func lookup(w http.ResponseWriter, kv *wisp.KV, code string) string {
	url, err := kv.Get(linkPrefix + code)
	switch {
	case errors.Is(err, wisp.ErrNotFound) || errors.Is(err, wisp.ErrInvalid):
		fail(w, http.StatusNotFound, "no link "+code)
		return ""
	case err != nil:
		fail(w, http.StatusInternalServerError, err.Error())
		return ""
	}
	return string(url)
}

// redirect sends the client to code's URL, counting the hit if count.
func redirect(w http.ResponseWriter, code string, count bool) {
	kv, err := wisp.OpenKV("default")
	if err != nil {
		fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	url := lookup(w, kv, code)
	if url == "" {
		return
	}
	if count {
		if _, err := kv.Increment(hitsPrefix+code, 1); err != nil {
			wisp.Logger().Warn("hit not counted", "code", code, "error", err.Error())
		}
	}
	w.Header().Set("Location", url)
	w.WriteHeader(http.StatusFound)
}

// stats answers code's URL and hits.
func stats(w http.ResponseWriter, code string) {
	kv, err := wisp.OpenKV("default")
	if err != nil {
		fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	url := lookup(w, kv, code)
	if url == "" {
		return
	}
	hits := int64(0)
	v, err := kv.Get(hitsPrefix + code)
	switch {
	case err == nil:
		hits, err = strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			fail(w, http.StatusInternalServerError, "hits of "+code+" are not a number: "+err.Error())
			return
		}
	case !errors.Is(err, wisp.ErrNotFound):
		fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	reply(w, http.StatusOK, linkStats{Code: code, URL: url, Hits: hits})
}

// check fetches code's URL through the node and reports what came back.
func check(w http.ResponseWriter, code string) {
	kv, err := wisp.OpenKV("default")
	if err != nil {
		fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	url := lookup(w, kv, code)
	if url == "" {
		return
	}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		fail(w, http.StatusBadGateway, err.Error())
		return
	}
	// Transport.RoundTrip called directly, not through an http.Client:
	// the node follows redirects itself, and a module using http.Client
	// also carries net/http's own transport (several MB of Wasm).
	resp, err := wisp.Transport{}.RoundTrip(req)
	if err != nil {
		fail(w, http.StatusBadGateway, hostMessage(err))
		return
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		fail(w, http.StatusBadGateway, hostMessage(err))
		return
	}
	reply(w, http.StatusOK, checked{Code: code, Status: resp.StatusCode, Bytes: n})
}

// hostMessage returns the node's explanation of a failed outbound call
// ("denied: ..."), or the error's text.
func hostMessage(err error) string {
	var e *wisp.Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return err.Error()
}

// reply answers v as JSON with status.
func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Error("encoding the answer", "error", err.Error())
	}
}

// fail answers {"error": msg} with status.
func fail(w http.ResponseWriter, status int, msg string) {
	reply(w, status, problem{Error: msg})
}
