package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/adminapi"
	"github.com/wisphq/wisp/internal/secretbox"
	"github.com/wisphq/wisp/memstore"
)

// servicesNode is a real node (memory store, memory key-value backend, a
// secret key) behind the real admin API, for the kv, config and secret
// verbs. Its log goes to logs.
type servicesNode struct {
	url, token string
	node       *wisp.Node
	logs       *bytes.Buffer
}

func newServicesNode(t *testing.T) *servicesNode {
	t.Helper()
	k, _ := secretbox.GenerateKey()
	kr, err := secretbox.New(k)
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	log, _ := newLogger(logs, "text", "debug")
	node, err := wisp.New(wisp.Config{Store: memstore.New(), KV: memstore.NewKV(), Sealer: kr, Logger: log,
		KVLimits: wisp.KVLimits{MaxValue: 64}})
	if err != nil {
		t.Fatal(err)
	}
	node.Load(context.Background())
	srv := httptest.NewServer(adminapi.New(adminapi.Config{Node: node, Token: fakeToken, Logger: log}))
	t.Cleanup(func() {
		srv.Close()
		node.Close(context.Background())
	})
	return &servicesNode{url: srv.URL, token: fakeToken, node: node, logs: logs}
}

// run runs the command line against the node with stdin (a string, or an
// *os.File for terminal tests), adding the connection flags.
func (n *servicesNode) run(t *testing.T, stdin any, args ...string) result {
	t.Helper()
	var in io.Reader
	switch s := stdin.(type) {
	case string:
		in = strings.NewReader(s)
	case io.Reader:
		in = s
	}
	var stdout, stderr bytes.Buffer
	e := &env{
		stdin: in, stdout: &stdout, stderr: &stderr,
		getenv:    func(string) string { return "" },
		buildInfo: func() (*debug.BuildInfo, bool) { return nil, false },
	}
	code := e.main(t.Context(), append(args, "--admin", n.url, "--token", n.token))
	return result{code, stdout.String(), stderr.String()}
}

// deploy deploys app with a real module, declaring vars; a required
// variable without a value gets "EUR" first.
func (n *servicesNode) deploy(t *testing.T, app string, vars map[string]wisp.Variable) {
	t.Helper()
	for name, v := range vars {
		if !v.Required {
			continue
		}
		if err := n.node.SetVariable(t.Context(), app, name, "EUR", v.Secret); err != nil {
			t.Fatal(err)
		}
	}
	wasm, err := os.ReadFile(filepath.Join(testdata, "..", "..", "..", "testdata", "wasm", "version1.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	blob, err := n.node.PutBlob(t.Context(), bytes.NewReader(wasm))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := wisp.ParseRoute("/" + app)
	if _, err := n.node.Deploy(t.Context(), wisp.AppSpec{Name: app, Module: blob.Digest, Routes: []wisp.Route{r}, Variables: vars}); err != nil {
		t.Fatal(err)
	}
}

func TestKVVerb(t *testing.T) {
	n := newServicesNode(t)
	if got := n.run(t, "", "kv", "ls").must(t, 0); !strings.HasPrefix(got.stdout, "no key-value stores yet") {
		t.Errorf("ls without stores: %q", got.stdout)
	}
	if got := n.run(t, "", "kv", "set", "default", "greeting", "hello").must(t, 0); got.stdout != "stored greeting in default (5 bytes, revision 1)\n" {
		t.Errorf("set: %q", got.stdout)
	}
	n.run(t, "bin\x00ary\n", "kv", "set", "default", "user:1").must(t, 0)
	n.run(t, "", "kv", "set", "default", "user:2", "x", "--ttl", "1h").must(t, 0)
	n.run(t, "", "kv", "set", "default", "line\nbreak", "x").must(t, 0)
	if got := n.run(t, "", "kv", "get", "default", "user:1").must(t, 0); got.stdout != "bin\x00ary\n" {
		t.Errorf("get of a value from stdin: %q", got.stdout)
	}
	if got := n.run(t, "", "kv", "ls", "default", "user:").must(t, 0); got.stdout != "user:1\nuser:2\n" {
		t.Errorf("ls with a prefix: %q", got.stdout)
	}
	if got := n.run(t, "", "kv", "ls", "default").must(t, 0); got.stdout != "greeting\n\"line\\nbreak\"\nuser:1\nuser:2\n" {
		t.Errorf("ls: %q", got.stdout)
	}
	if got := n.run(t, "", "kv", "ls", "-o", "json").must(t, 0); got.stdout != "[\n  \"default\"\n]\n" {
		t.Errorf("ls of stores as JSON: %q", got.stdout)
	}
	if got := n.run(t, "", "kv", "rm", "default", "greeting").must(t, 0); got.stdout != "removed greeting from default\n" {
		t.Errorf("rm: %q", got.stdout)
	}

	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		error string
	}{
		{"no action", []string{"kv"}, 2, "wisp kv: missing action: use set, get, rm or ls, as in 'wisp kv set ...'"},
		{"synonym", []string{"kv", "list", "default"}, 2, "wisp kv: unknown action \"list\"; did you mean 'wisp kv ls'? (actions: set, get, rm or ls)"},
		{"typo", []string{"kv", "gte", "default", "k"}, 2, "did you mean 'wisp kv get'?"},
		{"too few", []string{"kv", "get", "default"}, 2, "wisp kv: want STORE KEY, got 1 arguments"},
		{"ttl with get", []string{"kv", "get", "default", "k", "--ttl", "1m"}, 2, "wisp kv: --ttl goes with 'wisp kv set'"},
		{"removed key", []string{"kv", "get", "default", "greeting"}, 1, "wisp kv: key-value store \"default\" has no key \"greeting\"\n"},
		{"unknown store", []string{"kv", "ls", "nope"}, 1, "wisp kv: key-value store \"nope\" does not exist"},
		{"reserved store", []string{"kv", "get", "_variables", "a/b"}, 1, "wisp kv: key-value store name \"_variables\""},
		{"over the limit", []string{"kv", "set", "default", "big", strings.Repeat("x", 65)}, 1, "wisp kv: value is larger than this node's limit of 64B (wisp serve --kv-max-value); nothing was stored\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := n.run(t, "", tc.args...).must(t, tc.code)
			if !strings.Contains(got.stderr, tc.error) {
				t.Fatalf("stderr %q, want %q", got.stderr, tc.error)
			}
		})
	}
}

// ls reads every page: more keys than one page of the node holds.
func TestKVListsEveryPage(t *testing.T) {
	n := newServicesNode(t)
	var want strings.Builder
	for i := range 2500 {
		key := fmt.Sprintf("k%04d", i)
		if _, err := n.node.KVSet(t.Context(), "big", key, []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
		want.WriteString(key + "\n")
	}
	if got := n.run(t, "", "kv", "ls", "big").must(t, 0); got.stdout != want.String() {
		t.Errorf("ls listed %d lines, want 2500", strings.Count(got.stdout, "\n"))
	}
}
