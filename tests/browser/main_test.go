// Package browser tests the web dashboard (internal/ui) in a real headless
// Chromium driven with chromedp: the real `wisp` binary serves it from its
// admin listener on loopback, apps are deployed with the real CLI and by
// upload through the page, and the playground runs each example module in
// the browser's own WebAssembly engine against the node's answer.
//
// Chromium comes from Debian (scripts/install-test-tools.sh, which `make
// test` runs). Without it the tests skip, unless WISP_REQUIRE_BROWSER is
// set (as `make test` sets it), when they fail. WISP_CHROMIUM names
// another browser binary. They are slow tests: -short skips them.
//
// go test ./tests/browser -screenshots rewrites the screenshots in
// docs/images; without the flag they are taken into a temporary
// directory and only checked.
package browser

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/wisphq/wisp/internal/testnode"
)

var updateScreenshots = flag.Bool("screenshots", false, "write the screenshots into docs/images")

// wispBin is the binary under test, built once by TestMain; repoRoot is
// the repository's top directory.
var wispBin, repoRoot string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("browser tests skipped with -short")
		os.Exit(m.Run())
	}
	os.Exit(testnode.WithBinary(func(bin testnode.Binary) int {
		wispBin, repoRoot = bin.Path, bin.Root
		return m.Run()
	}))
}

// chromiumPath finds the browser: $WISP_CHROMIUM, else Debian's chromium
// or another Chrome on PATH.
func chromiumPath() (string, error) {
	if p := os.Getenv("WISP_CHROMIUM"); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no chromium on PATH: run scripts/install-test-tools.sh (Debian's chromium) or set WISP_CHROMIUM")
}

// browser is one headless Chromium tab; its console errors and uncaught
// exceptions are collected for the failure messages.
type browser struct {
	ctx context.Context
	t   *testing.T

	mu     sync.Mutex
	errors []string
}

// newBrowser starts Chromium for the test (skipping it when there is none
// and WISP_REQUIRE_BROWSER is unset) with a laptop-sized window, and
// stops it when the test ends.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are slow: skipped with -short")
	}
	path, err := chromiumPath()
	if err != nil {
		if os.Getenv("WISP_REQUIRE_BROWSER") != "" {
			t.Fatalf("WISP_REQUIRE_BROWSER is set: %v", err)
		}
		t.Skip(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // tests may run as root, where Chromium's sandbox refuses to start
		chromedp.WindowSize(1280, 860),
		chromedp.Flag("lang", "en-US"),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("hide-scrollbars", true),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &browser{ctx: ctx, t: t}
	if err := chromedp.Listen(ctx, b.record); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return b
}

func (b *browser) record(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = fmt.Sprintf("uncaught: %s %s:%d", d.Text, d.URL, d.LineNumber+1)
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			parts = append(parts, string(a.Value)+a.Description)
		}
		msg = "console.error: " + strings.Join(parts, " ")
	default:
		return
	}
	b.mu.Lock()
	b.errors = append(b.errors, msg)
	b.mu.Unlock()
}

// do runs actions within timeout, failing the test with what the page
// shows and its script errors.
func (b *browser) do(what string, timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(what, err)
	}
}

// eval evaluates a JavaScript expression and returns its value.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.fail("evaluate "+expr, err)
	}
	return v
}

// waitJS waits until a JavaScript expression is truthy.
func (b *browser) waitJS(what, expr string, timeout time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout+5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(timeout))); err != nil {
		b.fail(what, err)
	}
}

// noScriptErrors fails the test if the page threw or logged an error (a
// Content-Security-Policy violation included).
func (b *browser) noScriptErrors() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.errors) > 0 {
		b.t.Errorf("the page reported errors:\n%s", strings.Join(b.errors, "\n"))
	}
}

func (b *browser) fail(what string, err error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
	defer cancel()
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 3000) : ""`))
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	b.mu.Lock()
	errs := strings.Join(b.errors, "\n")
	b.mu.Unlock()
	b.t.Fatalf("%s: %v\npage %s shows:\n%s\nscript errors:\n%s", what, err, loc, text, errs)
}

// screenshot saves the viewport as docs/images/NAME.png with -screenshots,
// in a temporary directory otherwise, and checks it is a PNG.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	// A notice fading out is not what the picture is about.
	chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.querySelector("#toast").style.transition = "none", document.querySelector("#toast").className = "toast", true)`))
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.fail("screenshot "+name, err)
	}
	if len(png) < 1000 || string(png[1:4]) != "PNG" {
		b.t.Fatalf("screenshot %s: %d bytes, not a PNG image", name, len(png))
	}
	dir := b.t.TempDir()
	if *updateScreenshots {
		dir = filepath.Join(repoRoot, "docs", "images")
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// setValue sets a form field's value as typing would end, with its input
// and change events.
func setValue(sel, value string) chromedp.Action[chromedp.Void] {
	q, _ := json.Marshal(sel)
	v, _ := json.Marshal(value)
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		ok, err := chromedp.Evaluate[bool](fmt.Sprintf(`(el => { if (!el) return false; el.value = %s; for (const e of ["input", "change"]) el.dispatchEvent(new Event(e, {bubbles: true})); return true })(document.querySelector(%s))`, v, q))(ctx, t)
		if err == nil && !ok {
			err = fmt.Errorf("no element %s", sel)
		}
		return err
	})
}
