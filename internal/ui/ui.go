// Package ui is Wisp's web dashboard: a page, a style sheet and scripts,
// embedded in the binary and served by the admin listener at /ui/ (see
// docs/dashboard.md). Nothing is fetched from anywhere else at run time.
//
// The assets hold no data and need no token: the page asks for the admin
// token on its login screen and reads everything it shows from the admin
// API's /v1/ endpoints with it, as the CLI does. The token is kept in the
// tab's sessionStorage, which the browser drops when the tab closes.
//
// The playground (assets/wasi.js) runs an app's module in the browser with
// the browser's own WebAssembly API and a WASI preview 1 implementation
// written for it, on the CGI input the node gives the same request (POST
// /v1/apps/{name}/invoke), and compares the two outputs byte for byte;
// services.js gives a module that uses Wisp's platform services read-only
// access to the node's key-value stores and variables through the admin
// API (never a secret's value, never a write or an outbound request).
package ui

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed assets
var assets embed.FS

// csp allows the page its own scripts, styles and the admin API, and
// compiling WebAssembly (the playground), nothing else: no inline script,
// no other origin, no framing.
const csp = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the dashboard's assets, with "/" the page itself. Mount
// it with its prefix stripped (http.StripPrefix("/ui", ...)). Every answer
// carries a Content-Security-Policy that allows only the page's own
// assets and the admin API, and Cache-Control: no-cache, so a node
// upgraded in place serves its new scripts at once. Safe for concurrent
// use.
func Handler() http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic("ui: embedded assets missing: " + err.Error()) // a build error, not a run-time one
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
