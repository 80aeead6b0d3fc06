package cli

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	wazero := &debug.Module{Path: wazeroModule, Version: "v1.12.0"}
	tests := []struct {
		name string
		info *debug.BuildInfo
		mode string // what wazeroMode answers; "" for an error
		args []string
		want string
		// wantErr is on stderr; "" for nothing
		wantErr string
	}{
		{
			name: "release",
			info: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Deps: []*debug.Module{wazero}},
			mode: "compiler",
			args: []string{"version"},
			want: "wisp v1.2.3 (go1.26.8, GOOS/GOARCH, wazero v1.12.0 compiler)\n",
		},
		{
			name: "checkout",
			info: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Deps: []*debug.Module{wazero},
				Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}},
			mode: "interpreter",
			args: []string{"version"},
			want: "wisp dev+0123456789ab-dirty (go1.26.8, GOOS/GOARCH, wazero v1.12.0 interpreter)\n",
		},
		{
			name: "replaced wazero",
			info: &debug.BuildInfo{GoVersion: "go1.26.8", Deps: []*debug.Module{{Path: wazeroModule, Version: "v1.12.0", Replace: &debug.Module{Version: "v1.13.0-rc1"}}}},
			mode: "compiler",
			args: []string{"version"},
			want: "wisp dev (go1.26.8, GOOS/GOARCH, wazero v1.13.0-rc1 compiler)\n",
		},
		{
			name: "json",
			info: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Deps: []*debug.Module{wazero}},
			mode: "compiler",
			args: []string{"version", "-o", "json"},
			want: "{\n  \"version\": \"v1.2.3\",\n  \"go\": \"go1.26.8\",\n  \"platform\": \"GOOS/GOARCH\",\n  \"wazero\": \"v1.12.0\",\n  \"wazero_mode\": \"compiler\"\n}\n",
		},
		{
			name:    "mode unknown",
			info:    &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Deps: []*debug.Module{wazero}},
			args:    []string{"version"},
			want:    "wisp v1.2.3 (go1.26.8, GOOS/GOARCH, wazero v1.12.0)\n",
			wantErr: "wisp version: cannot tell whether wazero compiles or interprets here: no temporary directory\n",
		},
		{
			name:    "json, mode unknown",
			info:    &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Deps: []*debug.Module{wazero}},
			args:    []string{"version", "-o", "json"},
			want:    "{\n  \"version\": \"v1.2.3\",\n  \"go\": \"go1.26.8\",\n  \"platform\": \"GOOS/GOARCH\",\n  \"wazero\": \"v1.12.0\"\n}\n",
			wantErr: "wisp version: cannot tell whether wazero compiles or interprets here: no temporary directory\n",
		},
		{
			name: "--version",
			info: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Deps: []*debug.Module{wazero}},
			mode: "compiler",
			args: []string{"--version"},
			want: "wisp v1.2.3 (go1.26.8, GOOS/GOARCH, wazero v1.12.0 compiler)\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			e := &env{stdout: &stdout, stderr: &stderr, buildInfo: func() (*debug.BuildInfo, bool) { return tt.info, true },
				wazeroMode: func(context.Context) (string, error) {
					if tt.mode == "" {
						return "", errors.New("no temporary directory")
					}
					return tt.mode, nil
				}}
			if code := e.main(t.Context(), tt.args); code != 0 {
				t.Fatalf("exit code %d; stderr %s", code, stderr.String())
			}
			want := strings.ReplaceAll(tt.want, "GOOS/GOARCH", runtime.GOOS+"/"+runtime.GOARCH)
			if stdout.String() != want {
				t.Errorf("stdout = %q, want %q", stdout.String(), want)
			}
			if stderr.String() != tt.wantErr {
				t.Errorf("stderr = %q, want %q", stderr.String(), tt.wantErr)
			}
		})
	}
}

// TestVersionOfThisBinary runs `wisp version` as main does, with the real
// engine.Mode.
func TestVersionOfThisBinary(t *testing.T) {
	got := invoke(t, "version").must(t, 0)
	platform := ", " + runtime.GOOS + "/" + runtime.GOARCH + ", wazero "
	if !strings.HasPrefix(got.stdout, "wisp ") || !strings.Contains(got.stdout, platform) ||
		!strings.HasSuffix(got.stdout, " compiler)\n") && !strings.HasSuffix(got.stdout, " interpreter)\n") || got.stderr != "" {
		t.Errorf("wisp version printed %q, stderr %q; want the platform and the wazero mode", got.stdout, got.stderr)
	}
}
