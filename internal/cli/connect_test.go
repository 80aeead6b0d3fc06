package cli

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConnectionDefaults(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		tokenFile string   // content of ./.wisp/admin.token; "" for none
		args      []string // after the command
		before    []string // before the command
		wantCode  int
		wantErr   string
	}{
		{name: "flags", args: []string{"--admin", "URL", "--token", fakeToken}},
		{name: "environment", env: map[string]string{"WISP_ADMIN": "URL", "WISP_TOKEN": fakeToken}},
		{name: "token file", env: map[string]string{"WISP_ADMIN": "URL"}, tokenFile: fakeToken + "\n"},
		{name: "flag beats environment", env: map[string]string{"WISP_ADMIN": "URL", "WISP_TOKEN": "wrong"}, args: []string{"--token", fakeToken}},
		{name: "environment beats file", env: map[string]string{"WISP_ADMIN": "URL", "WISP_TOKEN": fakeToken}, tokenFile: "wrong"},
		{
			name: "no token", env: map[string]string{"WISP_ADMIN": "URL"}, wantCode: 1,
			wantErr: "wisp apps: no admin token: pass --token or set WISP_TOKEN to the node's token: the $WISP_TOKEN it was started with (every node of a fleet shares it), else the content of its DATA/admin.token; or run wisp from the directory holding the node's .wisp data directory\n",
		},
		{
			name: "wrong token", env: map[string]string{"WISP_ADMIN": "URL"}, tokenFile: "wrong", wantCode: 1,
			wantErr: "wisp apps: the node at URL rejected the admin token from ./.wisp/admin.token, which belongs to another node or an earlier data directory: pass --token or set WISP_TOKEN to the node's token (the $WISP_TOKEN it was started with, else the content of its DATA/admin.token)\n",
		},
		{
			name: "wrong token in environment", env: map[string]string{"WISP_ADMIN": "URL", "WISP_TOKEN": "wrong"}, tokenFile: fakeToken, wantCode: 1,
			wantErr: "wisp apps: the node at URL rejected the admin token from $WISP_TOKEN: set WISP_TOKEN (or --token) to the node's token (the $WISP_TOKEN it was started with, else the content of its DATA/admin.token), or unset it to use ./.wisp/admin.token\n",
		},
		{
			name: "wrong token flag", env: map[string]string{"WISP_ADMIN": "URL"}, args: []string{"--token", "wrong"}, wantCode: 1,
			wantErr: "wisp apps: the node at URL rejected the admin token from --token: pass the node's token (the $WISP_TOKEN it was started with, else the content of its DATA/admin.token) as --token\n",
		},
		{
			name: "flags before the command", before: []string{"--admin", "URL", "--token", fakeToken},
		},
		{
			name: "flags with = before the command", before: []string{"--admin=URL", "-token=" + fakeToken, "-o", "json"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newFakeNode(t)
			t.Setenv("WISP_ADMIN", "")
			t.Setenv("WISP_TOKEN", "")
			for k, v := range tt.env {
				t.Setenv(k, strings.ReplaceAll(v, "URL", n.url))
			}
			t.Chdir(t.TempDir())
			if tt.tokenFile != "" {
				writeFiles(t, ".", map[string]string{defaultTokenFile: tt.tokenFile})
			}
			var args []string
			for _, a := range append(append(tt.before, "apps"), tt.args...) {
				args = append(args, strings.ReplaceAll(a, "URL", n.url))
			}
			got := invoke(t, args...).must(t, tt.wantCode)
			if want := strings.ReplaceAll(tt.wantErr, "URL", n.url); got.stderr != want {
				t.Errorf("stderr = %q, want %q", got.stderr, want)
			}
		})
	}
}

// TestTokenFileAbove checks that a command run in a project beneath the
// node's directory (wisp new shop, then cd shop) finds the node's token.
func TestTokenFileAbove(t *testing.T) {
	n := newFakeNode(t)
	t.Setenv("WISP_ADMIN", n.url)
	t.Setenv("WISP_TOKEN", "")
	top := t.TempDir()
	writeFiles(t, top, map[string]string{defaultTokenFile: fakeToken + "\n", "shop/src/main.go": ""})
	t.Chdir(filepath.Join(top, "shop", "src"))
	invoke(t, "apps").must(t, 0)
}

func TestUnreachableNode(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Chdir(t.TempDir())
	t.Setenv("WISP_TOKEN", "")

	got := invoke(t, "apps", "--admin", addr).must(t, 1)
	want := "wisp apps: cannot reach the Wisp admin API at http://" + addr + ": is `wisp serve` running? set --admin or WISP_ADMIN ("
	if !strings.HasPrefix(got.stderr, want) {
		t.Errorf("stderr = %q, want it to start with %q", got.stderr, want)
	}
}

func TestUnreadableTokenFile(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("WISP_TOKEN", "")
	// A directory where the token file should be: unreadable even as root.
	if err := os.MkdirAll(defaultTokenFile, 0o755); err != nil {
		t.Fatal(err)
	}
	got := invoke(t, "apps").must(t, 1)
	if !strings.Contains(got.stderr, "read the admin token: ") || !strings.Contains(got.stderr, "pass --token or set WISP_TOKEN instead") {
		t.Errorf("stderr = %q", got.stderr)
	}
}

// TestGatewayInsteadOfAdminAPI points --admin at a server answering like
// the gateway: plain-text 404s.
func TestGatewayInsteadOfAdminAPI(t *testing.T) {
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no app serves "+r.URL.Path+" on this node", http.StatusNotFound)
	}))
	t.Cleanup(gateway.Close)
	t.Chdir(t.TempDir())
	got := invoke(t, "apps", "--admin", gateway.URL, "--token", "t").must(t, 1)
	want := "wisp apps: " + gateway.URL + " does not look like a Wisp admin API (it answered 404 to /v1/apps without a JSON error): is it the gateway? " +
		"The admin API listens on wisp serve --admin-listen (default 127.0.0.1:8081)\n"
	if got.stderr != want {
		t.Errorf("stderr = %q, want %q", got.stderr, want)
	}
}
