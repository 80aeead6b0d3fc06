package egress

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestShowURL(t *testing.T) {
	long := "http://x.test/" + strings.Repeat("a", 500)
	cases := []struct{ name, in, want string }{
		{"plain", "https://api.example.com/v1/x", "https://api.example.com/v1/x"},
		{"query", "https://api.example.com/v1?token=SECRET&x=1", "https://api.example.com/v1"},
		{"fragment", "https://api.example.com/#SECRET", "https://api.example.com/"},
		{"empty query", "https://api.example.com/?", "https://api.example.com/"},
		{"password", "https://user:SECRET@api.example.com/", "https://user:xxxxx@api.example.com/"},
		{"unparsable with a password", "http://user:SECRET@[::1/", "http://user:xxxxx@[::1/"},
		{"unparsable with a query", "http://[::1/?token=SECRET", "http://[::1/"},
		{"long", long, long[:MaxShownURL-3] + "..."},
		{"long, cut in a character", "http://x.test/" + strings.Repeat("é", 300), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ShowURL(c.in)
			if c.want != "" && got != c.want {
				t.Errorf("ShowURL(%q) = %q, want %q", c.in, got, c.want)
			}
			if strings.Contains(got, "SECRET") || len(got) > MaxShownURL || !utf8.ValidString(got) {
				t.Errorf("ShowURL(%q) = %q: shows a secret, is longer than %d bytes or is not UTF-8", c.in, got, MaxShownURL)
			}
		})
	}
}

// No error message shows a URL's query, fragment or password, or more than
// MaxShownURL bytes of a URL, whichever check or failure produces it: a
// guest's last error may reach public clients, and logs many readers.
func TestMessagesHideQueriesAndCutURLs(t *testing.T) {
	up := startUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to":
			w.Header().Set("Location", r.URL.Query().Get("url"))
			w.WriteHeader(http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop?token=SECRET", http.StatusFound)
		default:
			io.WriteString(w, strings.Repeat("x", 100))
		}
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there now: connections are refused
	self := fmt.Sprintf("http://127.0.0.1:%d", up.port)
	to := func(target string) string { return self + "/to?url=" + url.QueryEscape(target) + "&token=SECRET" }
	longPath := "/" + strings.Repeat("p", 5000)

	cases := []struct {
		name     string
		patterns []string
		url      string
		budget   *Budget
		header   http.Header
		kind     error
	}{
		{"denied by the patterns", nil, self + "/x?token=SECRET#SECRET", nil, nil, ErrDenied},
		{"a name to a private address", []string{"http://*:*"}, "http://private.test/x?token=SECRET", nil, nil, ErrDenied},
		{"user info", []string{"http://*:*"}, "http://user:SECRET@127.0.0.1/?token=SECRET", nil, nil, ErrInvalid},
		{"another scheme", []string{"http://*:*"}, "ftp://x.test/?token=SECRET", nil, nil, ErrInvalid},
		{"a refused connection", []string{"http://127.0.0.1:*"}, fmt.Sprintf("http://127.0.0.1:%d/?token=SECRET", closedPort), nil, nil, ErrUnavailable},
		{"over the request budget", []string{self}, self + "/?token=SECRET", NewBudget(0, 1<<20), nil, ErrLimit},
		{"a Host header", []string{self}, self + "/?token=SECRET", nil, http.Header{"Host": {"evil.test" + strings.Repeat("h", 400)}}, ErrDenied},
		{"a redirect to a private name", []string{self, "http://*:*"}, to("http://private.test/?token=SECRET"), nil, nil, ErrDenied},
		{"a redirect to an unparsable Location", []string{self}, to("http://[::1/?token=SECRET"), nil, nil, ErrInvalid},
		{"a redirect to user info", []string{self}, to("http://user:SECRET@127.0.0.1/"), nil, nil, ErrInvalid},
		{"too many redirects", []string{self}, self + "/loop?token=SECRET", nil, nil, ErrLimit},
		{"a long URL denied", nil, self + longPath + "?token=SECRET", nil, nil, ErrDenied},
		{"a long redirect denied", []string{self}, to("http://other.test" + longPath + "?token=SECRET"), nil, nil, ErrDenied},
		{"the response body over budget", []string{self}, self + "/body?token=SECRET", NewBudget(5, 10), nil, ErrLimit},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			b := c.budget
			if b == nil {
				b = NewBudget(20, 1<<20)
			}
			_, _, err := e.do(testCtx(t), c.patterns, b, "GET", c.url, nil, c.header)
			checkErr(t, err, c.kind)
			checkShown(t, err.Error())
		})
	}
	t.Run("a malformed URL", func(t *testing.T) {
		_, err := NewRequest("GET", "http://a b/?token=SECRET"+strings.Repeat("q", 400), nil)
		checkErr(t, err, ErrInvalid)
		checkShown(t, err.Error())
	})
	t.Run("reading a body past its budget", func(t *testing.T) {
		e := newEnv(t, Options{})
		p, _ := Parse([]string{self})
		req, _ := NewRequest("GET", self+"/body?token=SECRET", nil)
		resp, err := e.client.Do(context.Background(), p, NewBudget(5, 10), req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
		checkErr(t, err, ErrLimit)
		checkShown(t, err.Error())
	})
}

// checkShown fails if msg shows a secret or a long run of a URL.
func checkShown(t *testing.T, msg string) {
	t.Helper()
	t.Logf("message: %s", msg)
	if strings.Contains(msg, "SECRET") || strings.Contains(msg, "token=") {
		t.Errorf("message shows a secret: %s", msg)
	}
	for _, run := range []string{"ppp", "qqq", "hhh"} {
		if n := strings.Count(msg, run) * len(run); n > MaxShownURL {
			t.Errorf("message shows about %d bytes of a URL or header, more than %d: %.300s...", n, MaxShownURL, msg)
		}
	}
}
