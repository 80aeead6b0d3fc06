package cli

import (
	"net"
	"os"
	"strings"
	"testing"
)

func TestConnectionDefaults(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		tokenFile string // content of ./.wisp/admin.token; "" for none
		args      []string
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
			wantErr: "wisp apps: missing or wrong bearer token (no token was given: none in --token, WISP_TOKEN or ./.wisp/admin.token)\n",
		},
		{
			name: "wrong token", env: map[string]string{"WISP_ADMIN": "URL"}, tokenFile: "wrong", wantCode: 1,
			wantErr: "wisp apps: missing or wrong bearer token (the token sent came from ./.wisp/admin.token)\n",
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
			args := []string{"apps"}
			for _, a := range tt.args {
				args = append(args, strings.ReplaceAll(a, "URL", n.url))
			}
			got := invoke(t, args...).must(t, tt.wantCode)
			if tt.wantErr != "" && got.stderr != tt.wantErr {
				t.Errorf("stderr = %q, want %q", got.stderr, tt.wantErr)
			}
		})
	}
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
