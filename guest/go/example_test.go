package wisp_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"

	wisp "github.com/wisphq/wisp/guest/go"
)

// ServeCGI runs a handler on a CGI request, as Serve does with the
// request a node hands the module: here a request for /hello/world on an
// app routed at /hello/....
func ExampleServeCGI() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "Hello, %s! (PATH_INFO %s)\n", r.PathValue("name"), wisp.RequestEnv(r, "PATH_INFO"))
	})
	env := []string{
		"REQUEST_METHOD=GET", "REQUEST_URI=/hello/world", "SCRIPT_NAME=/hello", "PATH_INFO=/world",
		"QUERY_STRING=", "HTTP_HOST=example.com", "REMOTE_ADDR=127.0.0.1",
	}
	wisp.ServeCGI(mux, env, strings.NewReader(""), os.Stdout)
	// Output:
	// Status: 200 OK
	// Content-Type: text/plain
	//
	// Hello, world! (PATH_INFO /world)
}

// Serve is the whole main of an app: the same main works in a command and
// in a reactor.
func ExampleServe() {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	})
	wisp.Serve(mux)
}

// A counter in the app's key-value store "default" (wisp.toml:
// key_value_stores = ["default"]).
func ExampleKV_Increment() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		kv, err := wisp.OpenKV("default")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		n, err := kv.Increment("visits", 1)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, "visit %d\n", n)
	}
	wisp.Serve(http.HandlerFunc(handler))
}

// Listing keys by prefix, with the absent case told apart from failures.
func ExampleKV_Keys() {
	kv, err := wisp.OpenKV("default")
	if err != nil {
		fmt.Println(err)
		return
	}
	for key, err := range kv.Keys("user:") {
		if err != nil {
			fmt.Println(err)
			return
		}
		v, err := kv.Get(key)
		if errors.Is(err, wisp.ErrNotFound) {
			continue // deleted or expired since it was listed
		}
		fmt.Println(key, string(v), err)
	}
}

// Reading a secret declared in wisp.toml as
// [variables] api_key = { secret = true }, and set with
// `wisp secret set APP api_key`.
func ExampleVar() {
	key, err := wisp.Var("api_key")
	if errors.Is(err, wisp.ErrNotFound) {
		fmt.Println("set the secret: wisp secret set myapp api_key")
		return
	}
	_ = key // never print or log a secret
}

// Outbound requests go through the node, which allows only the app's
// allowed_outbound_hosts.
func ExampleTransport() {
	client := &http.Client{Transport: wisp.Transport{}}
	resp, err := client.Get("https://api.example.com/v1/status")
	if err != nil {
		var e *wisp.Error
		if errors.As(err, &e) {
			fmt.Println("the node said:", e.Message) // "denied: ..." and so on
		}
		return
	}
	defer resp.Body.Close()
	n, _ := io.Copy(io.Discard, resp.Body)
	fmt.Println(resp.StatusCode, n)
}

// Logging through slog into the app's log, with fields.
func ExampleNewLogHandler() {
	log := slog.New(wisp.NewLogHandler(&wisp.LogOptions{Context: "links", Level: slog.LevelDebug}))
	log.Info("link saved", "code", "abc")
	// On a node this is the entry: info [links] link saved code=abc.
	// Outside one it goes to standard error as text.
}
