//go:build !wasip1

package wisp

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// childEnv makes the test binary a CGI program that runs Serve.
const childEnv = "WISP_SDK_TEST_CGI_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/app/panic" {
				panic("child panics")
			}
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("X-Path-Info", RequestEnv(r, "PATH_INFO"))
			w.WriteHeader(http.StatusAccepted)
			fmt.Fprintf(w, "%s %s q=%s x=%s body=%s", r.Method, r.URL.Path, r.URL.Query().Get("q"), r.Header.Get("X-Test"), body)
		}))
		return
	}
	os.Exit(m.Run())
}

// TestServeAsACGIProgram runs Serve, outside GOOS=wasip1, as a real CGI
// program under net/http/cgi: the environment it reads and the response
// it writes are the CGI contract as Go's own CGI host knows it.
func TestServeAsACGIProgram(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	h := &cgi.Handler{Path: exe, Root: "/app", Env: []string{childEnv + "=1"}, Stderr: io.Discard}
	srv := httptest.NewServer(h)
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/app/items?q=1", strings.NewReader("payload"))
	req.Header.Set("X-Test", "yes")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "POST /app/items q=1 x=yes body=payload"; resp.StatusCode != 202 || string(body) != want || resp.Header.Get("X-Path-Info") != "/items" {
		t.Errorf("got %d %q (X-Path-Info %q), want 202 %q", resp.StatusCode, body, resp.Header.Get("X-Path-Info"), want)
	}

	resp, err = http.Get(srv.URL + "/app/panic")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || string(body) != "Internal Server Error\n" {
		t.Errorf("panic: got %d %q, want 500", resp.StatusCode, body)
	}
}
