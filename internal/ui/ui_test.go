package ui

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestAssetsFetchNothingElsewhere checks that no asset names another
// origin (no CDN, no font or script service): the dashboard works on a
// node without internet access, and the CSP would block it anyway.
func TestAssetsFetchNothingElsewhere(t *testing.T) {
	url := regexp.MustCompile(`(?i)(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	allowed := map[string]bool{"http://www.w3.org": true} // the SVG namespace, a name, never fetched
	walk(t, func(name string, data string) {
		for _, u := range url.FindAllString(data, -1) {
			if !allowed[u] {
				t.Errorf("%s names another origin: %s", name, u)
			}
		}
	})
}

// TestAssetsReferencesExist checks every module import and every src or
// href of the page names an embedded file.
func TestAssetsReferencesExist(t *testing.T) {
	ref := regexp.MustCompile(`(?:from "\./|(?:src|href)=")([a-z0-9_.-]+\.(?:js|css|svg))"`)
	files := map[string]bool{}
	walk(t, func(name, _ string) { files[name] = true })
	walk(t, func(name, data string) {
		for _, m := range ref.FindAllStringSubmatch(data, -1) {
			if !files[m[1]] {
				t.Errorf("%s refers to %s, which is not embedded", name, m[1])
			}
		}
	})
	for _, want := range []string{"index.html", "app.js", "wasi.js", "deploy.js", "playground.js", "services.js", "style.css"} {
		if !files[want] {
			t.Errorf("%s is not embedded", want)
		}
	}
}

func TestHandlerHeaders(t *testing.T) {
	for _, tc := range []struct{ path, ctype string }{
		{"/", "text/html"}, {"/app.js", "text/javascript"}, {"/favicon.svg", "image/svg+xml"},
	} {
		rec := httptest.NewRecorder()
		Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		h := rec.Header()
		if rec.Code != 200 || !strings.HasPrefix(h.Get("Content-Type"), tc.ctype) {
			t.Errorf("GET %s: %d %s", tc.path, rec.Code, h.Get("Content-Type"))
		}
		if h.Get("Content-Security-Policy") != csp || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: headers %v", tc.path, h)
		}
	}
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/nothing.js", nil))
	if rec.Code != 404 {
		t.Errorf("GET /nothing.js: %d", rec.Code)
	}
}

func walk(t *testing.T, f func(name, data string)) {
	t.Helper()
	err := fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(assets, p)
		if err != nil {
			return err
		}
		f(strings.TrimPrefix(p, "assets/"), string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
