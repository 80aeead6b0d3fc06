package wisp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// cgiEnv is a request's environment as a Wisp node sets it.
func cgiEnv(method, script, pathInfo, query string, extra ...string) []string {
	uri := script + pathInfo
	if query != "" {
		uri += "?" + query
	}
	return append([]string{
		"GATEWAY_INTERFACE=CGI/1.1", "SERVER_SOFTWARE=Wisp", "SERVER_NAME=example.com", "SERVER_PORT=80",
		"SERVER_PROTOCOL=HTTP/1.1", "REQUEST_METHOD=" + method, "REQUEST_URI=" + uri,
		"SCRIPT_NAME=" + script, "PATH_INFO=" + pathInfo, "QUERY_STRING=" + query,
		"REMOTE_ADDR=192.0.2.7", "REMOTE_PORT=51000", "HTTP_HOST=example.com",
	}, extra...)
}

func TestNewRequest(t *testing.T) {
	tests := []struct {
		name  string
		env   []string
		body  string
		check func(t *testing.T, r *http.Request)
	}{
		{
			name: "get with query and headers",
			env:  cgiEnv("GET", "/links", "/abc", "x=1&y=a%20b", "HTTP_USER_AGENT=curl/8", "HTTP_X_API_KEY=k", "HTTP_COOKIE=a=1; b=2"),
			check: func(t *testing.T, r *http.Request) {
				want := map[string]string{
					"method":     r.Method,
					"path":       r.URL.Path,
					"query y":    r.URL.Query().Get("y"),
					"requestURI": r.RequestURI,
					"host":       r.Host,
					"remote":     r.RemoteAddr,
					"agent":      r.UserAgent(),
					"api key":    r.Header.Get("X-Api-Key"),
					"cookie b":   cookie(r, "b"),
					"path info":  RequestEnv(r, "PATH_INFO"),
				}
				got := map[string]string{
					"method": "GET", "path": "/links/abc", "query y": "a b", "requestURI": "/links/abc?x=1&y=a%20b",
					"host": "example.com", "remote": "192.0.2.7:51000", "agent": "curl/8", "api key": "k",
					"cookie b": "2", "path info": "/abc",
				}
				for k, v := range got {
					if want[k] != v {
						t.Errorf("%s = %q, want %q", k, want[k], v)
					}
				}
				if _, ok := r.Header["Host"]; ok {
					t.Errorf("Host is in Header; net/http keeps it in r.Host only")
				}
				if r.ContentLength != -1 || r.TLS != nil {
					t.Errorf("ContentLength %d, TLS %v; want -1 and nil", r.ContentLength, r.TLS)
				}
			},
		},
		{
			name: "put with a body longer than its content length",
			env:  cgiEnv("PUT", "/links", "/abc", "", "CONTENT_TYPE=text/plain", "CONTENT_LENGTH=5", "HTTPS=on"),
			body: "hello, and more",
			check: func(t *testing.T, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if string(b) != "hello" || r.ContentLength != 5 {
					t.Errorf("body %q, ContentLength %d; want %q, 5", b, r.ContentLength, "hello")
				}
				if r.Header.Get("Content-Type") != "text/plain" || r.TLS == nil {
					t.Errorf("Content-Type %q, TLS %v", r.Header.Get("Content-Type"), r.TLS)
				}
			},
		},
		{
			name: "no request uri: script name and path info",
			env:  []string{"REQUEST_METHOD=POST", "SCRIPT_NAME=/a", "PATH_INFO=/b c", "QUERY_STRING=q=1", "REMOTE_ADDR=::1", "SERVER_NAME=localhost"},
			body: "streamed",
			check: func(t *testing.T, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if r.URL.Path != "/a/b c" || r.URL.RawQuery != "q=1" || r.RequestURI != "/a/b%20c?q=1" {
					t.Errorf("URL %q query %q RequestURI %q", r.URL.Path, r.URL.RawQuery, r.RequestURI)
				}
				if string(b) != "streamed" || r.ContentLength != -1 {
					t.Errorf("body %q ContentLength %d", b, r.ContentLength)
				}
				if r.RemoteAddr != "[::1]:0" || r.Host != "localhost" {
					t.Errorf("RemoteAddr %q Host %q", r.RemoteAddr, r.Host)
				}
			},
		},
		{
			name: "empty environment",
			env:  nil,
			check: func(t *testing.T, r *http.Request) {
				if r.Method != "GET" || r.URL.Path != "/" {
					t.Errorf("method %q path %q, want GET /", r.Method, r.URL.Path)
				}
			},
		},
		{
			name: "zero content length",
			env:  cgiEnv("GET", "/x", "", "", "CONTENT_LENGTH=0"),
			body: "ignored",
			check: func(t *testing.T, r *http.Request) {
				if r.Body != http.NoBody {
					t.Errorf("Body is %T, want http.NoBody", r.Body)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := newRequest(tt.env, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, r)
		})
	}
}

func cookie(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

func TestNewRequestRefuses(t *testing.T) {
	for name, env := range map[string][]string{
		"content length not a number": cgiEnv("POST", "/x", "", "", "CONTENT_LENGTH=ten"),
		"negative content length":     cgiEnv("POST", "/x", "", "", "CONTENT_LENGTH=-1"),
		"request uri not a path":      {"REQUEST_URI=::nonsense"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := newRequest(env, strings.NewReader("")); err == nil {
				t.Errorf("newRequest accepted %q", env)
			}
		})
	}
}

func TestServeWritesCGI(t *testing.T) {
	big := strings.Repeat("x", holdLimit+10)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string // the whole output; "" to check wantErr only
		wantLog string
		wantErr bool
	}{
		{
			name: "json with status",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusCreated)
				fmt.Fprint(w, `{"ok":true}`)
			},
			want: "Status: 201 Created\nContent-Type: application/json\n\n{\"ok\":true}",
		},
		{
			name:    "nothing written",
			handler: func(w http.ResponseWriter, r *http.Request) {},
			want:    "Status: 200 OK\n\n",
		},
		{
			name: "sniffed content type",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "<html><body>hi</body></html>")
			},
			want: "Status: 200 OK\nContent-Type: text/html; charset=utf-8\n\n<html><body>hi</body></html>",
		},
		{
			name: "redirect",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "https://example.org/x", http.StatusFound)
			},
			want: "Status: 302 Found\nContent-Type: text/html; charset=utf-8\nLocation: https://example.org/x\n\n<a href=\"https://example.org/x\">Found</a>.\n\n",
		},
		{
			name: "headers mended",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Bad Name"] = []string{"x"}
				w.Header()["Status"] = []string{"500"}
				w.Header().Set("X-Injected", "a\r\nSet-Cookie: evil=1")
				w.Header()["Location"] = []string{"/one", "/two"}
				w.Header().Add("Set-Cookie", "a=1")
				w.Header().Add("Set-Cookie", "b=2")
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(http.StatusSeeOther)
			},
			want: "Status: 303 See Other\nContent-Type: text/plain\nLocation: /one\nSet-Cookie: a=1\nSet-Cookie: b=2\nX-Injected: a  Set-Cookie: evil=1\n\n",
		},
		{
			name: "second write header ignored, 1xx dropped",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusContinue)
				w.WriteHeader(http.StatusAccepted)
				w.WriteHeader(http.StatusTeapot)
			},
			want: "Status: 202 Accepted\n\n",
		},
		{
			name: "no body allowed",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNoContent)
				if _, err := w.Write([]byte("x")); !errors.Is(err, http.ErrBodyNotAllowed) {
					panic("write after 204 did not fail")
				}
			},
			want: "Status: 204 No Content\n\n",
		},
		{
			name: "panic before the response: 500 and a log",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Lost", "1")
				io.WriteString(w, "partial")
				panic("boom")
			},
			want:    "Status: 500 Internal Server Error\nContent-Type: text/plain; charset=utf-8\nX-Content-Type-Options: nosniff\n\nInternal Server Error\n",
			wantLog: "wisp: panic serving GET /app/x: boom\n",
		},
		{
			name: "panic after streaming started: error",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "first")
				w.(http.Flusher).Flush()
				panic("late")
			},
			want:    "Status: 200 OK\nContent-Type: text/plain; charset=utf-8\n\nfirst",
			wantLog: "wisp: panic serving GET /app/x: late\n",
			wantErr: true,
		},
		{
			name: "abort handler: error, no log",
			handler: func(w http.ResponseWriter, r *http.Request) {
				panic(http.ErrAbortHandler)
			},
			want:    "",
			wantErr: true,
		},
		{
			name: "long body streams whole",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				for i := 0; i < len(big); i += 1000 {
					io.WriteString(w, big[i:min(i+1000, len(big))])
				}
			},
			want: "Status: 200 OK\nContent-Type: text/plain\n\n" + big,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, log bytes.Buffer
			err := serve(tt.handler, cgiEnv("GET", "/app", "/x", ""), strings.NewReader(""), &out, &log)
			if (err != nil) != tt.wantErr {
				t.Errorf("serve error %v, want error: %v", err, tt.wantErr)
			}
			if out.String() != tt.want {
				t.Errorf("output:\n%q\nwant:\n%q", out.String(), tt.want)
			}
			if tt.wantLog == "" && log.Len() > 0 || !strings.HasPrefix(log.String(), tt.wantLog) {
				t.Errorf("log:\n%s\nwant it to start with %q", log.String(), tt.wantLog)
			}
		})
	}
}

// TestServeFlushStreams checks that Flush sends what was written at once:
// the writer sees the header and the first part before the handler ends.
func TestServeFlushStreams(t *testing.T) {
	var out bytes.Buffer
	var seen string
	h := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: 1\n\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("ResponseController.Flush: %v", err)
		}
		seen = out.String()
		io.WriteString(w, "data: 2\n\n")
	}
	if err := serve(http.HandlerFunc(h), cgiEnv("GET", "/s", "", ""), strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if want := "Status: 200 OK\nContent-Type: text/event-stream\n\ndata: 1\n\n"; seen != want {
		t.Errorf("after Flush the output was %q, want %q", seen, want)
	}
	if !strings.HasSuffix(out.String(), "data: 1\n\ndata: 2\n\n") {
		t.Errorf("output %q lacks the second event", out.String())
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("stdout closed") }

func TestServeReportsAFailedOutput(t *testing.T) {
	h := func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") }
	if err := serve(http.HandlerFunc(h), cgiEnv("GET", "/s", "", ""), strings.NewReader(""), failingWriter{}, io.Discard); err == nil {
		t.Error("serve returned nil although stdout failed")
	}
}

func TestServeBadRequest(t *testing.T) {
	var out, log bytes.Buffer
	called := false
	h := func(w http.ResponseWriter, r *http.Request) { called = true }
	if err := serve(http.HandlerFunc(h), cgiEnv("POST", "/s", "", "", "CONTENT_LENGTH=x"), strings.NewReader(""), &out, &log); err != nil {
		t.Fatal(err)
	}
	if called || !strings.HasPrefix(out.String(), "Status: 400 Bad Request\n") || !strings.Contains(log.String(), "CONTENT_LENGTH") {
		t.Errorf("handler called %v; output %q; log %q", called, out.String(), log.String())
	}
}
