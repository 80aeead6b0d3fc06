//go:build wasip1

// Command json is a Wisp app in Go that answers every request with a JSON
// object describing it.
//
// Build it from the repository root (or run scripts/build-guests.sh):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -buildvcs=false -ldflags=-s -o examples/json/json.wasm ./examples/json
//
// The wasip1 build constraint keeps this file out of host builds, so
// "go build ./..." and "go vet ./..." skip it.
//
// It is a reactor: -buildmode=c-shared makes the Go runtime start in
// _initialize, and the request handler is the exported function
// wisp_handle. Wisp runs _initialize once, at deploy time, and starts every
// request from a snapshot of the initialized module, so a request costs
// about a tenth of a millisecond of Go start-up instead of several
// milliseconds. Each request still gets a fresh instance: the handler sees
// no state from another request.
//
// The contract is CGI's: the request is in environment variables
// (REQUEST_METHOD, PATH_INFO, QUERY_STRING, HTTP_*...), read with package
// wispenv because os.Getenv only knows the environment of the deploy; the
// body is stdin; the CGI response (headers, a blank line, the body) goes to
// stdout. The answer holds the method, path, parsed
// query, headers, the GREETING variable set in the manifest's [env], the
// current time and, when the request has a body, the body decoded as JSON.
// A body that is not valid JSON gets 400 Bad Request with a JSON error.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wisphq/wisp/guest/wispenv"
)

// description is the answer to a successful request.
type description struct {
	Method   string              `json:"method"`
	Path     string              `json:"path"`
	Query    map[string][]string `json:"query"`
	Headers  map[string]string   `json:"headers"`
	Greeting string              `json:"greeting"`
	Time     string              `json:"time"`
	Body     any                 `json:"body,omitempty"`
}

// problem is the answer to a bad request.
type problem struct {
	Error string `json:"error"`
}

// init warms what every request uses: encoding/json builds its encoder
// for a type on first use, and a reactor's initialization is captured in
// the snapshot every request starts from, so work done here is done once
// per deploy instead of once per request.
func init() {
	var buf bytes.Buffer
	respond(&buf, "", description{Query: map[string][]string{"a": {"b"}}, Headers: map[string]string{"A": "b"}, Body: map[string]any{}})
	decodeJSON([]byte(`{"a":[1,"b",true,null]}`))
	url.ParseQuery("a=b")
}

// main is never called: a reactor's Go runtime starts in _initialize,
// which runs the package initializers only.
func main() {}

// serve handles one request.
//
//go:wasmexport wisp_handle
func serve() {
	status, answer := handle(environ(wispenv.Environ()))
	if err := respond(os.Stdout, status, answer); err != nil {
		fmt.Fprintf(os.Stderr, "json: writing the response: %v\n", err)
		os.Exit(1)
	}
}

// handle builds the answer to the request described by the environment
// and stdin. A zero status means 200 OK.
func handle(env map[string]string) (status string, answer any) {
	query, err := url.ParseQuery(env["QUERY_STRING"])
	if err != nil {
		return "400 Bad Request", problem{Error: fmt.Sprintf("query string: %v", err)}
	}
	d := description{
		Method:   env["REQUEST_METHOD"],
		Path:     env["PATH_INFO"],
		Query:    query,
		Headers:  headers(env),
		Greeting: env["GREETING"],
		Time:     time.Now().UTC().Format(time.RFC3339Nano),
	}
	body, err := readBody(os.Stdin, env["CONTENT_LENGTH"])
	if err != nil {
		return "400 Bad Request", problem{Error: fmt.Sprintf("reading the request body: %v", err)}
	}
	if len(bytes.TrimSpace(body)) > 0 {
		d.Body, err = decodeJSON(body)
		if err != nil {
			return "400 Bad Request", problem{Error: fmt.Sprintf("request body is not valid JSON: %v", err)}
		}
	}
	return "", d
}

// environ maps KEY=VALUE strings by key.
func environ(kvs []string) map[string]string {
	env := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return env
}

// headers maps CGI variables HTTP_USER_AGENT=x to header names and values
// such as "User-Agent": "x".
func headers(env map[string]string) map[string]string {
	h := map[string]string{}
	for name, value := range env {
		name, ok := strings.CutPrefix(name, "HTTP_")
		if !ok {
			continue
		}
		words := strings.Split(strings.ToLower(name), "_")
		for i, w := range words {
			if w != "" {
				words[i] = strings.ToUpper(w[:1]) + w[1:]
			}
		}
		h[strings.Join(words, "-")] = value
	}
	return h
}

// readBody reads CONTENT_LENGTH bytes of r when contentLength is set, and
// all of r otherwise.
func readBody(r io.Reader, contentLength string) ([]byte, error) {
	if contentLength == "" {
		return io.ReadAll(r)
	}
	n, err := strconv.ParseInt(contentLength, 10, 64)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("CONTENT_LENGTH %q is not a byte count", contentLength)
	}
	return io.ReadAll(io.LimitReader(r, n))
}

// decodeJSON decodes exactly one JSON value, keeping numbers as written.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the first JSON value")
	}
	return v, nil
}

// respond writes answer as a CGI response with a JSON body.
func respond(w io.Writer, status string, answer any) error {
	var buf bytes.Buffer
	if status != "" {
		fmt.Fprintf(&buf, "Status: %s\n", status)
	}
	buf.WriteString("Content-Type: application/json\n\n")
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(answer); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
