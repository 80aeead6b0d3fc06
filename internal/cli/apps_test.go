package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
)

// deployed returns a fake node holding two apps: hello with three
// versions (the last adding a route and env), and shop with static files.
func deployed(t *testing.T) *fakeNode {
	t.Helper()
	n := newFakeNode(t)
	t.Chdir(t.TempDir())
	writeFiles(t, ".", map[string]string{
		"hello-1.wasm": module + "1", "hello-2.wasm": module + "2",
		"shop/wisp.toml": "name = \"shop\"\nmodule = \"shop.wasm\"\nroutes = [\"shop.example.com/...\"]\n" +
			"[[files]]\nsource = \"static\"\nmount = \"/static\"\n",
		"shop/shop.wasm": module + "shop", "shop/static/index.html": "hi",
	})
	n.invoke(t, "deploy", "hello-1.wasm", "--name", "hello", "--route", "/hello").must(t, 0)
	n.invoke(t, "deploy", "hello-2.wasm", "--name", "hello", "--route", "/hello").must(t, 0)
	n.invoke(t, "deploy", "hello-2.wasm", "--name", "hello", "--route", "/hello", "--route", "/hi/...",
		"--env", "GREETING=hello, world", "--env", "TOKEN=s3cret", "--max-concurrency", "8").must(t, 0)
	n.invoke(t, "deploy", "shop").must(t, 0)
	ms := func(f float64) wisp.Duration { return wisp.Duration(f * float64(time.Millisecond)) }
	n.usage = map[string]wisp.AppUsage{"hello": {
		App: "hello", Requests: 1200, Fuel: 7_320_000_000, CPU: ms(1830), OverBudget: 2,
		Window: 1024, P50: ms(1.2), P90: ms(2.5), P99: ms(9.75), Max: ms(50.001),
	}}
	return n
}

func TestApps(t *testing.T) {
	n := deployed(t)
	got := n.invoke(t, "apps").must(t, 0)
	checkGolden(t, "apps/list", got.stdout)

	js := n.invoke(t, "apps", "-o", "json").must(t, 0)
	var apps []wisp.App
	if err := json.Unmarshal([]byte(js.stdout), &apps); err != nil || len(apps) != 2 || apps[0].Name != "hello" {
		t.Errorf("apps -o json = %q (%v), want hello and shop", js.stdout, err)
	}
}

func TestAppsEmpty(t *testing.T) {
	n := newFakeNode(t)
	if got := n.invoke(t, "apps").must(t, 0); got.stdout != "no apps deployed yet; deploy one with 'wisp deploy'\n" {
		t.Errorf("stdout = %q", got.stdout)
	}
	if got := n.invoke(t, "apps", "--output=json").must(t, 0); got.stdout != "[]\n" {
		t.Errorf("json stdout = %q, want []", got.stdout)
	}
}

func TestApp(t *testing.T) {
	n := deployed(t)
	tests := []struct {
		name string
		args []string
	}{
		{"hello", []string{"app", "hello"}},
		{"hello-show-env", []string{"app", "hello", "--show-env"}},
		{"shop", []string{"app", "shop"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := n.invoke(t, tt.args...).must(t, 0)
			checkGolden(t, "app/"+tt.name, got.stdout)
		})
	}
	if got := n.invoke(t, "app", "hello").stdout; strings.Contains(got, "s3cret") {
		t.Errorf("'wisp app' without --show-env shows env values:\n%s", got)
	}
}

func TestAppNotFound(t *testing.T) {
	n := newFakeNode(t)
	got := n.invoke(t, "app", "nope").must(t, 1)
	if got.stderr != "wisp app: app \"nope\" not found: 'wisp apps' lists the deployed apps\n" {
		t.Errorf("stderr = %q", got.stderr)
	}
}

func TestRollback(t *testing.T) {
	n := deployed(t)
	got := n.invoke(t, "rollback", "hello").must(t, 0)
	if !strings.HasPrefix(got.stdout, "hello now serves version 2 (sha256:") {
		t.Errorf("stdout = %q", got.stdout)
	}
	got = n.invoke(t, "rollback", "hello", "1", "-o", "json").must(t, 0)
	var app wisp.App
	if err := json.Unmarshal([]byte(got.stdout), &app); err != nil || app.Current != 1 {
		t.Errorf("rollback -o json = %q (%v), want current version 1", got.stdout, err)
	}
	got = n.invoke(t, "rollback", "hello", "9").must(t, 1)
	if got.stderr != "wisp rollback: app \"hello\" has no version 9\n" {
		t.Errorf("stderr = %q", got.stderr)
	}
}

func TestRm(t *testing.T) {
	n := deployed(t)
	if got := n.invoke(t, "rm", "hello").must(t, 0); got.stdout != "removed hello\n" {
		t.Errorf("stdout = %q", got.stdout)
	}
	if _, ok := n.apps["hello"]; ok {
		t.Error("hello is still deployed")
	}
	n.invoke(t, "rm", "hello").must(t, 1)
}
