package browser

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wisphq/wisp/internal/testnode"
)

// node starts `wisp serve` on loopback for the test.
func startNode(t *testing.T) *testnode.Node {
	t.Helper()
	n, err := testnode.Start(testnode.Options{Bin: wispBin, Data: t.TempDir(), Dir: repoRoot})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Kill)
	return n
}

func mustWisp(t *testing.T, n *testnode.Node, args ...string) string {
	t.Helper()
	res, err := n.Wisp(args...)
	if err != nil || res.Code != 0 {
		t.Fatalf("wisp %s: %v, exit %d\n%s%s", strings.Join(args, " "), err, res.Code, res.Stdout, res.Stderr)
	}
	return res.Stdout
}

// gatewayBody waits until the gateway answers path with want in its body.
func gatewayBody(t *testing.T, n *testnode.Node, path, want string) {
	t.Helper()
	var last string
	err := testnode.Poll(10*time.Second, func() (bool, error) {
		status, body, err := n.Get(path)
		last = fmt.Sprintf("%d %q", status, body)
		return err == nil && status == 200 && strings.Contains(body, want), nil
	})
	if err != nil {
		t.Fatalf("GET %s: want 200 with %q, last answer %s", path, want, last)
	}
}

// signIn opens the dashboard, is refused a wrong token, and signs in.
func signIn(b *browser, n *testnode.Node) {
	b.do("open the dashboard", 20*time.Second,
		chromedp.Navigate(n.Admin+"/ui/"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), "not-the-token"),
		chromedp.Click(chromedp.CSS("#login-form button")))
	b.waitJS("a wrong token is refused", `document.querySelector("#login-error").textContent.includes("not this node's admin token")`, 10*time.Second)
	b.do("sign in", 10*time.Second,
		setValue("#token", ""),
		chromedp.SendKeys(chromedp.CSS("#token"), n.Token),
		chromedp.Click(chromedp.CSS("#login-form button")),
		chromedp.WaitVisible(chromedp.CSS("#app-cards")))
}

// TestDashboard walks through the dashboard as an operator would: sign in,
// watch a CLI deploy appear, deploy by upload (a .wasm and a folder with a
// wisp.toml), watch a request's log line arrive and the live figures move,
// roll back, look at the fleet and node pages, and take the screenshots.
func TestDashboard(t *testing.T) {
	b := newBrowser(t)
	n := startNode(t)
	signIn(b, n)
	b.waitJS("the empty list", `document.querySelector("#app-cards").textContent.includes("No apps yet")`, 10*time.Second)

	// A CLI deploy appears on the list without reloading the page.
	mustWisp(t, n, "deploy", "examples/hello")
	b.waitJS("hello appears after wisp deploy", `!!document.querySelector('[data-app="hello"]')`, 10*time.Second)
	// Steady traffic while the test goes on, for the live figures and the
	// screenshots: hello, and echo once it is deployed (one in 25 of its
	// requests answered 500).
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(40 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			n.Get("/hello")
			if i%25 == 7 {
				n.Get("/echo/x/status/500")
			} else if i%2 == 0 {
				n.Get(fmt.Sprintf("/echo/item/%d?n=%d", i, i))
			}
		}
	}()
	defer func() { close(stop); <-done }()

	// Deploy a new app by upload: name, route, a .wasm.
	b.do("upload version1.wasm as a new app", 20*time.Second,
		chromedp.SendKeys(chromedp.CSS("#deploy-name"), "uploaded"),
		chromedp.SendKeys(chromedp.CSS("#deploy-route"), "/uploaded"),
		chromedp.SetUploadFiles(chromedp.CSS("#deploy-wasm"), []string{filepath.Join(repoRoot, "testdata/wasm/version1.wasm")}))
	b.waitJS("the uploaded app's page shows v1", `location.hash === "#/apps/uploaded" && document.querySelector("#app-current")?.textContent === "serving v1"`, 15*time.Second)
	gatewayBody(t, n, "/uploaded", "v1")

	// A new version by upload on the app's page keeps its route.
	b.do("upload version2.wasm on the app's page", 20*time.Second,
		chromedp.SetUploadFiles(chromedp.CSS("#deploy-wasm"), []string{filepath.Join(repoRoot, "testdata/wasm/version2.wasm")}))
	b.waitJS("v2 serves", `document.querySelector("#app-current")?.textContent === "serving v2"`, 15*time.Second)
	gatewayBody(t, n, "/uploaded", "v2")

	// A request's log line arrives in the live log, and the figures move.
	gatewayBody(t, n, "/uploaded", "v2")
	b.waitJS("the request's log line streams in", `[...document.querySelectorAll('#logs .entry[data-stream="request"]')].some(e => e.textContent.includes("GET /uploaded 200"))`, 10*time.Second)
	b.waitJS("the request rate is counted", `document.querySelector('#app-metrics [data-metric="rate"] .v')?.textContent !== "0.00"`, 10*time.Second)

	// Roll back from the page: v1 serves again.
	b.do("roll back", 10*time.Second, chromedp.Click(chromedp.CSS("#rollback")))
	b.waitJS("v1 serves again", `document.querySelector("#app-current")?.textContent === "serving v1"`, 10*time.Second)
	gatewayBody(t, n, "/uploaded", "v1")
	b.waitJS("the rollback is in the log", `[...document.querySelectorAll('#logs .entry[data-stream="node"]')].some(e => /roll/i.test(e.textContent))`, 10*time.Second)

	// Dropping a .wasm on the drop zone deploys it too (a drop made by a
	// script: the test cannot drag a file from the desktop).
	wasm2, err := os.ReadFile(filepath.Join(repoRoot, "testdata/wasm/version2.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	eval[bool](b, `(() => {
		const bytes = Uint8Array.from(atob("`+base64.StdEncoding.EncodeToString(wasm2)+`"), c => c.charCodeAt(0));
		const dt = new DataTransfer();
		dt.items.add(new File([bytes], "version2.wasm", {type: "application/wasm"}));
		document.querySelector("#drop").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
		return true;
	})()`)
	b.waitJS("the dropped module serves as v3", `document.querySelector("#app-current")?.textContent === "serving v3"`, 15*time.Second)
	gatewayBody(t, n, "/uploaded", "v2")

	// A folder with a wisp.toml, as `wisp deploy DIR` takes it: the
	// module and its [[files]] bundle are uploaded from the browser.
	b.do("open the apps list", 10*time.Second, chromedp.Navigate(n.Admin+"/ui/#/apps"), chromedp.WaitVisible(chromedp.CSS("#deploy-folder")))
	b.do("upload the examples/echo folder", 20*time.Second,
		chromedp.SetUploadFiles(chromedp.CSS("#deploy-folder"), []string{filepath.Join(repoRoot, "examples/echo")}))
	b.waitJS("echo, deployed from its folder, has its page", `location.hash === "#/apps/echo" && document.querySelector("#app-current")?.textContent === "serving v1"`, 20*time.Second)
	gatewayBody(t, n, "/echo/x", "/static/greeting.txt:\n")

	b.do("the fleet page", 10*time.Second, chromedp.Navigate(n.Admin+"/ui/#/fleet"))
	b.waitJS("the node lists its apps", `[...document.querySelectorAll("[data-node] td a")].map(a => a.textContent).join(",") === "echo,hello,uploaded"`, 10*time.Second)
	b.do("the node page", 10*time.Second, chromedp.Navigate(n.Admin+"/ui/#/node"))
	b.waitJS("the code cache is shown", `document.querySelector('[data-budget="code"] .metric .v')?.textContent === "3"`, 10*time.Second)
	if w := eval[string](b, `document.querySelector('[data-budget="memory"] .bar span').style.width`); !strings.HasSuffix(w, "%") || w == "100%" {
		t.Errorf("the memory budget's bar is %q wide: want a share of the 18GiB-ish budget", w)
	}
	b.screenshot("dashboard-node-laptop")

	b.do("the apps list", 10*time.Second, chromedp.Navigate(n.Admin+"/ui/#/apps"))
	b.waitJS("three cards with figures", `document.querySelectorAll(".card").length === 3 && document.querySelector('[data-app="echo"] [data-metric="rate"] .v').textContent !== "0.00"`, 10*time.Second)
	b.screenshot("dashboard-apps-laptop")
	b.do("filter the apps", 10*time.Second, chromedp.SendKeys(chromedp.CSS("#apps-filter"), "ech"))
	b.waitJS("only echo is shown", `[...document.querySelectorAll(".card")].map(c => c.dataset.app).join() === "echo"`, 5*time.Second)
	b.do("the echo page", 10*time.Second, chromedp.Navigate(n.Admin+"/ui/#/apps/echo"))
	b.waitJS("echo's figures and log", `document.querySelector('#app-metrics [data-metric="rate"] .v')?.textContent !== "0.00" && document.querySelectorAll("#logs .entry").length > 5`, 10*time.Second)
	// Its limits, the CPU one included, and the CPU its requests used
	// (GET /v1/apps/echo/usage), in µs as the CLI prints them.
	b.waitJS("echo's CPU limit and use", `document.querySelector("#limit-cpu")?.textContent === "10s" && Number(document.querySelector("#cpu-requests")?.textContent) > 0 && /^p50 [\d.]+ (µs|ms) · p90 .* · max [\d.]+ (µs|ms)$/.test(document.querySelector("#cpu-percentiles")?.textContent) && document.querySelector("#cpu-stops")?.textContent === "0"`, 10*time.Second)
	if got := eval[string](b, `document.querySelector("#limit-outbound-requests").textContent + "," + document.querySelector("#limit-outbound-bytes").textContent`); got == "," || strings.Contains(got, "undefined") {
		t.Errorf("echo's outbound limits show %q", got)
	}
	b.screenshot("dashboard-app-laptop")

	b.do("a phone's viewport", 10*time.Second,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulatePortrait),
		chromedp.Navigate(n.Admin+"/ui/#/apps"))
	b.waitJS("the list on a phone", `document.querySelectorAll(".card").length === 3`, 10*time.Second)
	if w := eval[float64](b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the apps list is %vpx wide on a 390px phone: it must not scroll sideways", w)
	}
	b.screenshot("dashboard-apps-phone")
	b.do("the echo page on a phone", 10*time.Second, chromedp.Navigate(n.Admin+"/ui/#/apps/echo"))
	b.waitJS("echo's page on a phone", `document.querySelector("#app-current")?.textContent === "serving v1"`, 10*time.Second)
	if w := eval[float64](b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("an app's page is %vpx wide on a 390px phone: it must not scroll sideways", w)
	}
	b.screenshot("dashboard-app-phone")
	b.do("the playground on a phone", 10*time.Second, chromedp.Click(chromedp.CSS("#pg-run")))
	b.waitJS("the playground's verdict on a phone", `document.querySelector("#pg-verdict")?.dataset.result === "identical"`, 15*time.Second)
	if w := eval[float64](b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the playground is %vpx wide on a 390px phone: it must not scroll sideways", w)
	}
	eval[bool](b, `(document.querySelector("#pg-run").scrollIntoView(), true)`)
	b.screenshot("dashboard-playground-phone")

	// Signing out forgets the token.
	b.do("sign out", 10*time.Second, chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#token")))
	if tok := eval[string](b, `sessionStorage.getItem("wisp-token") || ""`); tok != "" {
		t.Errorf("the token is still kept after signing out")
	}
	b.noScriptErrors()
}

// timeField is the json example's "time" member, the one part of its
// answer that depends on when it ran.
var timeField = regexp.MustCompile(`"time": "[^"]*"`)

// TestPlayground runs every example app that is a WASI preview 1 module
// in the browser and compares its answer with the node's, byte for byte.
func TestPlayground(t *testing.T) {
	b := newBrowser(t)
	n := startNode(t)
	for _, e := range []string{"hello", "echo", "json", "links-go", "links-c", "links-rust", "links-as"} {
		mustWisp(t, n, "deploy", "examples/"+e)
	}
	// A component (examples/hello-js is one, 13 MB to compile: this one is
	// small) is refused by the playground.
	mustWisp(t, n, "deploy", "testdata/components/printenv.wasm", "--name", "component", "--route", "/component")
	// A link and its hit count for each links app, in the store they
	// share: the browser reads them from the node.
	for _, lang := range []string{"go", "c", "rust", "as"} {
		mustWisp(t, n, "kv", "set", "default", lang+":link:hi", "http://127.0.0.1:9/"+lang)
		mustWisp(t, n, "kv", "set", "default", lang+":hits:hi", "41")
	}
	signIn(b, n)
	type playCase struct {
		app, method, path, body string
		// want is the verdict: "identical", "different" (json: only its
		// time differs) or "refused" (the module needs the node's
		// platform services, or is a component), with refusal a text
		// the refusal holds.
		want, refusal string
	}
	cases := []playCase{
		{app: "hello", method: "GET", path: "/hello", want: "identical"},
		{app: "echo", method: "POST", path: "/echo/a/b?x=1&y=two", body: "some body\n", want: "identical"},
		{app: "echo", method: "GET", path: "/echo/x/status/418", want: "identical"},
		{app: "json", method: "POST", path: "/json/items?id=7", body: `{"a":[1,"b",true,null]}`, want: "different"},
		{app: "component", method: "GET", path: "/component", want: "refused", refusal: "component"},
	}
	for _, app := range []string{"links-go", "links-c", "links-rust", "links-as"} {
		cases = append(cases,
			playCase{app: app, method: "GET", path: "/" + app, want: "identical"},               // a variable's default and a listing
			playCase{app: app, method: "GET", path: "/" + app + "/hi/stats", want: "identical"}, // two reads
			playCase{app: app, method: "GET", path: "/" + app + "/hi", want: "identical"},       // the browser may not count the hit
		)
	}
	for _, tc := range cases {
		t.Run(tc.app+" "+tc.method+" "+tc.path, func(t *testing.T) {
			b.t = t
			b.do("open "+tc.app, 15*time.Second,
				chromedp.Navigate(n.Admin+"/ui/#/apps/"+tc.app),
				chromedp.WaitVisible(chromedp.CSS("#pg-run")),
				setValue("#pg-method", tc.method),
				setValue("#pg-path", tc.path),
				setValue("#pg-body", tc.body),
				chromedp.Click(chromedp.CSS("#pg-run")))
			b.waitJS("the playground's verdict", `!!document.querySelector("#pg-verdict") && !document.querySelector("#pg-run").disabled`, 20*time.Second)
			result := eval[string](b, `document.querySelector("#pg-verdict").dataset.result`)
			verdict := eval[string](b, `document.querySelector("#pg-verdict").textContent`)
			if result != tc.want {
				t.Fatalf("verdict %q (%s), want %q\nnode:\n%s\nbrowser:\n%s", result, verdict, tc.want,
					eval[string](b, `document.querySelector("#pg-node")?.textContent || ""`),
					eval[string](b, `document.querySelector("#pg-browser")?.textContent || ""`))
			}
			if tc.want == "refused" {
				if !strings.Contains(verdict, tc.refusal) {
					t.Fatalf("refusal %q does not say %q", verdict, tc.refusal)
				}
				return
			}
			nodeOut := decode(t, eval[string](b, `document.querySelector("#pg-verdict").dataset.node`))
			browserOut := decode(t, eval[string](b, `document.querySelector("#pg-verdict").dataset.browser`))
			if len(nodeOut) == 0 {
				t.Fatalf("the node's answer is empty")
			}
			switch tc.want {
			case "identical":
				if nodeOut != browserOut {
					t.Fatalf("the page says identical, but:\nnode %q\nbrowser %q", nodeOut, browserOut)
				}
			case "different":
				// json writes the time it answered: everything else is
				// the same, byte for byte.
				if timeField.FindString(nodeOut) == "" || timeField.ReplaceAllString(nodeOut, "") != timeField.ReplaceAllString(browserOut, "") {
					t.Fatalf("the answers differ beyond the time:\nnode %q\nbrowser %q", nodeOut, browserOut)
				}
			}
			if lang, ok := strings.CutPrefix(tc.app, "links-"); ok {
				// The answers hold what the browser read from the node.
				want := map[string]string{
					"/" + tc.app:               `"hi"`,
					"/" + tc.app + "/hi/stats": "127.0.0.1:9/" + lang,
					"/" + tc.app + "/hi":       "Location: http://127.0.0.1:9/" + lang,
				}[tc.path]
				if !strings.Contains(browserOut, want) {
					t.Errorf("the browser's answer lacks %q:\n%s", want, browserOut)
				}
			}
			if tc.app == "echo" && tc.method == "POST" {
				for _, want := range []string{"body (10 bytes):\nsome body\n", "argv[1]: x=1", "/static/greeting.txt:\n"} {
					if !strings.Contains(browserOut, want) {
						t.Errorf("the browser's answer lacks %q:\n%s", want, browserOut)
					}
				}
				eval[bool](b, `(document.querySelector("#pg-result").scrollIntoView(), window.scrollBy(0, -70), true)`)
				b.screenshot("dashboard-playground-laptop")
			}
		})
	}
	b.t = t
	b.noScriptErrors()
}

func decode(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return string(b)
}
