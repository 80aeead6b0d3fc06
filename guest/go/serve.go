package wisp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// Serve runs h for the request being handled and returns once the whole
// response is written to standard output. A nil h means
// http.DefaultServeMux, as in net/http.
//
// Call it from main. In a command (built normally, with GOOS=wasip1
// GOARCH=wasm) main runs once per request and so does Serve. In a
// reactor (built with -buildmode=c-shared -tags wisp_reactor) the SDK
// exports wisp_handle, which runs main for every request, so the same
// main serves both; build expensive values (templates, tables) in
// package-level variables or init, which a reactor runs once at deploy.
//
// The request comes from the CGI environment (read through WASI's
// environ_get when Serve is called, never the copy the Go runtime made at
// start-up) and standard input; see ServeCGI for how it maps. If h
// panics before its response has started, the client gets 500 Internal
// Server Error and the panic with its stack goes to standard error (the
// app's log). If the response had already started streaming, or standard
// output fails, Serve exits the module with status 2 so that the node
// cuts the response instead of passing it off as complete; a panic with
// http.ErrAbortHandler does the same without logging.
//
// Serve does not change http.DefaultTransport: plain http.Get fails in a
// module until the app sets http.DefaultTransport = wisp.Transport{} (see
// Transport).
func Serve(h http.Handler) {
	env := defaultHost().environ()
	if err := serve(h, env, os.Stdin, os.Stdout, os.Stderr); err != nil {
		os.Exit(2)
	}
}

// ServeCGI runs h for the CGI request described by env (KEY=VALUE
// strings: REQUEST_METHOD, REQUEST_URI, PATH_INFO, HTTP_*...) and body,
// and writes the CGI response (a Status line, the headers, a blank line
// and the body) to w. It is what Serve does with the request's
// environment and the process's standard streams, exported so a handler
// can be tried on the CGI contract in a test. Panics are handled as Serve
// describes, logged to standard error; the error is non-nil when the
// response could not be completed (w failed, or h panicked after its
// response started).
//
// The request has:
//   - Method from REQUEST_METHOD (GET if unset);
//   - URL and RequestURI from REQUEST_URI, the whole path the client
//     asked for, route prefix included; without it, SCRIPT_NAME +
//     PATH_INFO and QUERY_STRING. RequestEnv(r, "PATH_INFO") is the part
//     after the app's route prefix;
//   - Header from the HTTP_* variables (HTTP_X_API_KEY is X-Api-Key) and
//     CONTENT_TYPE; Host from HTTP_HOST (else SERVER_NAME);
//   - Body reading body, at most CONTENT_LENGTH bytes when it is set
//     (ContentLength is then that length, else -1);
//   - RemoteAddr "REMOTE_ADDR:REMOTE_PORT", Proto from SERVER_PROTOCOL,
//     and a non-nil TLS when HTTPS is "on".
func ServeCGI(h http.Handler, env []string, body io.Reader, w io.Writer) error {
	return serve(h, env, body, w, os.Stderr)
}

// serve is ServeCGI with its log writer.
func serve(h http.Handler, env []string, body io.Reader, w io.Writer, logw io.Writer) (err error) {
	if h == nil {
		h = http.DefaultServeMux
	}
	r, err := newRequest(env, body)
	if err != nil {
		rw := newResponse(w)
		http.Error(rw, "Bad Request: "+err.Error(), http.StatusBadRequest)
		fmt.Fprintf(logw, "wisp: %v\n", err)
		return rw.finish()
	}
	rw := newResponse(w)
	defer func() {
		p := recover()
		if p == nil {
			err = rw.finish()
			return
		}
		if p == http.ErrAbortHandler {
			rw.out.Flush()
			err = errors.New("handler aborted the response")
			return
		}
		fmt.Fprintf(logw, "wisp: panic serving %s %s: %v\n%s", r.Method, r.URL.Path, p, debug.Stack())
		if rw.committed {
			// Part of the response is out: fail, so the node cuts it
			// rather than passing it off as complete.
			rw.out.Flush()
			err = fmt.Errorf("handler panicked after its response started: %v", p)
			return
		}
		rw.reset()
		http.Error(rw, "Internal Server Error", http.StatusInternalServerError)
		err = rw.finish()
	}()
	h.ServeHTTP(rw, r)
	return nil
}

// envKey is the context key of the request's CGI environment.
type envKey struct{}

// RequestEnv returns the CGI variable name of the request r being
// served, or "" if it is not set: "PATH_INFO" (the path after the app's
// route prefix), "SCRIPT_NAME" (the prefix), "X_MATCHED_ROUTE", a
// variable of the app's [env] in wisp.toml, and so on. It reads the
// environment Serve captured for the request, not the one the Go runtime
// copied at start-up (which, in a reactor, is the deploy's). For a
// request not made by Serve or ServeCGI it returns "".
func RequestEnv(r *http.Request, name string) string {
	env, _ := r.Context().Value(envKey{}).(map[string]string)
	return env[name]
}

// newRequest builds the *http.Request of a CGI environment and body.
func newRequest(environ []string, body io.Reader) (*http.Request, error) {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	r := &http.Request{
		Method:     env["REQUEST_METHOD"],
		Header:     http.Header{},
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Host:       env["HTTP_HOST"],
		RequestURI: env["REQUEST_URI"],
	}
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	if p := env["SERVER_PROTOCOL"]; p != "" {
		if major, minor, ok := http.ParseHTTPVersion(p); ok {
			r.Proto, r.ProtoMajor, r.ProtoMinor = p, major, minor
		}
	}
	if r.Host == "" {
		r.Host = env["SERVER_NAME"]
	}
	if r.RequestURI == "" {
		r.RequestURI = (&url.URL{Path: env["SCRIPT_NAME"] + env["PATH_INFO"]}).EscapedPath()
		if r.RequestURI == "" {
			r.RequestURI = "/"
		}
		if q := env["QUERY_STRING"]; q != "" {
			r.RequestURI += "?" + q
		}
	}
	u, err := url.ParseRequestURI(r.RequestURI)
	if err != nil {
		return nil, fmt.Errorf("REQUEST_URI %q is not a request path: %w", r.RequestURI, err)
	}
	r.URL = u
	for k, v := range env {
		name, ok := strings.CutPrefix(k, "HTTP_")
		if !ok || name == "HOST" || name == "" {
			continue
		}
		r.Header.Add(textproto.CanonicalMIMEHeaderKey(strings.ReplaceAll(name, "_", "-")), v)
	}
	if ct := env["CONTENT_TYPE"]; ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	r.ContentLength = -1
	r.Body = io.NopCloser(body)
	if cl, ok := env["CONTENT_LENGTH"]; ok && cl != "" {
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("CONTENT_LENGTH %q is not a byte count", cl)
		}
		r.ContentLength = n
		r.Body = io.NopCloser(io.LimitReader(body, n))
		if n == 0 {
			r.Body = http.NoBody
		}
	}
	if addr := env["REMOTE_ADDR"]; addr != "" {
		port := env["REMOTE_PORT"]
		if port == "" {
			port = "0"
		}
		r.RemoteAddr = net.JoinHostPort(addr, port)
	}
	if strings.EqualFold(env["HTTPS"], "on") {
		r.TLS = &tls.ConnectionState{HandshakeComplete: true, ServerName: env["SERVER_NAME"]}
	}
	return r.WithContext(context.WithValue(context.Background(), envKey{}, env)), nil
}
