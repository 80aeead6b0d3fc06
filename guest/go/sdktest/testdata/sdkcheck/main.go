// Command sdkcheck calls every function of the Go SDK (guest/go) and
// prints what came back, for guest/go/sdktest, which runs it as a
// reactor and as a command in the engine over fake services.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	wisp "github.com/wisphq/wisp/guest/go"
)

func main() {
	wisp.Serve(http.HandlerFunc(handle))
}

func handle(w http.ResponseWriter, r *http.Request) {
	switch wisp.RequestEnv(r, "PATH_INFO") {
	case "/services":
		w.Header().Set("Content-Type", "text/plain")
		services(w, r)
	case "/response":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"ok":true}`)
	case "/redirect":
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	case "/silent":
	case "/panic":
		io.WriteString(w, "lost")
		panic("sdkcheck panics")
	case "/stream-panic":
		io.WriteString(w, "streamed")
		w.(http.Flusher).Flush()
		panic("after the header")
	case "/big":
		w.Header().Set("Content-Type", "text/plain")
		for i := range 20000 {
			fmt.Fprintf(w, "%05d\n", i)
		}
	default:
		http.NotFound(w, r)
	}
}

// services prints one line per SDK call.
func services(w io.Writer, r *http.Request) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	body, err := io.ReadAll(r.Body)
	p("request %s %s q=%q x-test=%s type=%s body=%q %v", r.Method, r.URL.Path, r.URL.Query().Get("q"),
		r.Header.Get("X-Test"), r.Header.Get("Content-Type"), body, err)
	p("path info %s", wisp.RequestEnv(r, "PATH_INFO"))

	_, err = wisp.OpenKV("other")
	p("open other %s denied=%v", err, errors.Is(err, wisp.ErrDenied))
	kv, err := wisp.OpenKV("default")
	p("open default %v %s", err, kv.Name())
	p("set k %v", kv.Set("k", []byte("v1")))
	v, err := kv.Get("k")
	p("get k %q %v", v, err)
	_, err = kv.Get("nope")
	p("get nope %v notfound=%v", err, errors.Is(err, wisp.ErrNotFound))
	ok, err := kv.Exists("k")
	p("exists k %v %v", ok, err)
	p("delete k %v", kv.Delete("k"))
	ok, err = kv.Exists("k")
	p("exists k %v %v", ok, err)
	err = kv.Set("", []byte("x"))
	p("set empty key %v invalid=%v", err, errors.Is(err, wisp.ErrInvalid))
	big := bytes.Repeat([]byte("x"), 5000)
	p("set big %v", kv.Set("big", big))
	v, err = kv.Get("big")
	p("get big %d %v", len(v), err)
	p("set ttl %v", kv.SetWithTTL("t", []byte("v"), time.Minute))
	p("set ttl 0 %v", kv.SetWithTTL("t", []byte("v"), 0))
	n, err := kv.Increment("n", 5)
	p("incr n %d %v", n, err)
	n, err = kv.Increment("n", -3)
	p("incr n %d %v", n, err)
	kv.Set("s", []byte("abc"))
	_, err = kv.Increment("s", 1)
	p("incr s %v invalid=%v", err, errors.Is(err, wisp.ErrInvalid))
	swapped, err := kv.SetIfAbsent("c", []byte("v1"))
	p("set if absent c %v %v", swapped, err)
	swapped, err = kv.SetIfAbsent("c", []byte("v9"))
	p("set if absent c %v %v", swapped, err)
	swapped, err = kv.CompareAndSwap("c", []byte("v1"), []byte("v2"))
	p("cas c %v %v", swapped, err)
	swapped, err = kv.CompareAndSwap("c", []byte("v1"), []byte("v3"))
	p("cas c %v %v", swapped, err)
	v, _ = kv.Get("c")
	p("get c %q", v)
	keys, more, err := kv.ListKeys("p:", "")
	p("list p: %d more=%v %s..%s %v", len(keys), more, keys[0], keys[len(keys)-1], err)
	keys, more, err = kv.ListKeys("p:", "p:0999")
	p("list p: after p:0999 %d more=%v %s..%s %v", len(keys), more, keys[0], keys[len(keys)-1], err)
	var all []string
	for k, err := range kv.Keys("p:") {
		if err != nil {
			p("keys %v", err)
			break
		}
		all = append(all, k)
	}
	p("keys p: %d %s..%s", len(all), all[0], all[len(all)-1])
	keys, more, err = kv.ListKeys("zz", "")
	p("list zz %d more=%v %v", len(keys), more, err)

	g, err := wisp.Var("greeting")
	p("var greeting %q %v", g, err)
	_, err = wisp.Var("unset")
	p("var unset %v notfound=%v", err, errors.Is(err, wisp.ErrNotFound))
	_, err = wisp.Var("undeclared")
	p("var undeclared %v denied=%v", err, errors.Is(err, wisp.ErrDenied))

	log := wisp.Logger()
	log.Info("saved", "code", "abc", "n", 1)
	log.Debug("hidden")
	slog.New(wisp.NewLogHandler(&wisp.LogOptions{Context: "ctx", Level: slog.LevelDebug})).WithGroup("g").Warn("careful", "k", "v")
	p("logged")

	req, _ := http.NewRequest("POST", "http://upstream.test/x", strings.NewReader("payload"))
	req.Header.Set("X-Test", "yes")
	req.Header.Set("X-Other", "2")
	resp, err := wisp.Transport{}.RoundTrip(req)
	if err != nil {
		p("send %v", err)
		return
	}
	b, err := io.ReadAll(resp.Body)
	p("send %d %s x-up=%s len=%d body=%q %v close=%v", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("X-Up"),
		resp.ContentLength, b, err, resp.Body.Close())
	client := &http.Client{Transport: wisp.Transport{}}
	resp, err = client.Get("http://upstream.test/y")
	if err == nil {
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		p("client get %d %q", resp.StatusCode, b)
	}
	_, err = client.Get("http://other.test/")
	var we *wisp.Error
	msg := ""
	if errors.As(err, &we) {
		msg = we.Message
	}
	p("client get other denied=%v message=%q", errors.Is(err, wisp.ErrDenied), msg)
}
