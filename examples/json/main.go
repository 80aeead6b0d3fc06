//go:build wasip1

// Command json is a Wisp app in Go that answers every request with a JSON
// object describing it.
//
// Build it from the repository root (or run scripts/build-guests.sh):
//
//	GOOS=wasip1 GOARCH=wasm go build -trimpath -buildvcs=false -ldflags=-s -o examples/json/json.wasm ./examples/json
//
// The wasip1 build constraint keeps this file out of host builds, so
// "go build ./..." and "go vet ./..." skip it.
//
// Wisp runs the module once per request, CGI style: the request is in
// environment variables (REQUEST_METHOD, PATH_INFO, QUERY_STRING,
// HTTP_*...), the body is stdin, and the CGI response (headers, a blank
// line, the body) goes to stdout. The answer holds the method, path, parsed
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

func main() {
	status, answer := handle()
	if err := respond(os.Stdout, status, answer); err != nil {
		fmt.Fprintf(os.Stderr, "json: writing the response: %v\n", err)
		os.Exit(1)
	}
}

// handle builds the answer to the request described by the environment
// and stdin. A zero status means 200 OK.
func handle() (status string, answer any) {
	query, err := url.ParseQuery(os.Getenv("QUERY_STRING"))
	if err != nil {
		return "400 Bad Request", problem{Error: fmt.Sprintf("query string: %v", err)}
	}
	d := description{
		Method:   os.Getenv("REQUEST_METHOD"),
		Path:     os.Getenv("PATH_INFO"),
		Query:    query,
		Headers:  headers(os.Environ()),
		Greeting: os.Getenv("GREETING"),
		Time:     time.Now().UTC().Format(time.RFC3339Nano),
	}
	body, err := readBody(os.Stdin, os.Getenv("CONTENT_LENGTH"))
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

// headers maps CGI variables HTTP_USER_AGENT=x to header names and values
// such as "User-Agent": "x".
func headers(environ []string) map[string]string {
	h := map[string]string{}
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
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
