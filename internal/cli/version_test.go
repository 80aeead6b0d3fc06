package cli

import (
	"bytes"
	"runtime/debug"
	"testing"
)

func TestVersion(t *testing.T) {
	wazero := &debug.Module{Path: wazeroModule, Version: "v1.12.0"}
	tests := []struct {
		name string
		info *debug.BuildInfo
		args []string
		want string
	}{
		{
			name: "release",
			info: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Deps: []*debug.Module{wazero}},
			args: []string{"version"},
			want: "wisp v1.2.3 (go1.26.8, wazero v1.12.0)\n",
		},
		{
			name: "checkout",
			info: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Deps: []*debug.Module{wazero},
				Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}},
			args: []string{"version"},
			want: "wisp dev+0123456789ab-dirty (go1.26.8, wazero v1.12.0)\n",
		},
		{
			name: "replaced wazero",
			info: &debug.BuildInfo{GoVersion: "go1.26.8", Deps: []*debug.Module{{Path: wazeroModule, Version: "v1.12.0", Replace: &debug.Module{Version: "v1.13.0-rc1"}}}},
			args: []string{"version"},
			want: "wisp dev (go1.26.8, wazero v1.13.0-rc1)\n",
		},
		{
			name: "json",
			info: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Deps: []*debug.Module{wazero}},
			args: []string{"version", "-o", "json"},
			want: "{\n  \"version\": \"v1.2.3\",\n  \"go\": \"go1.26.8\",\n  \"wazero\": \"v1.12.0\"\n}\n",
		},
		{
			name: "--version",
			info: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Deps: []*debug.Module{wazero}},
			args: []string{"--version"},
			want: "wisp v1.2.3 (go1.26.8, wazero v1.12.0)\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			e := &env{stdout: &stdout, stderr: &stderr, buildInfo: func() (*debug.BuildInfo, bool) { return tt.info, true }}
			if code := e.main(t.Context(), tt.args); code != 0 {
				t.Fatalf("exit code %d; stderr %s", code, stderr.String())
			}
			if stdout.String() != tt.want {
				t.Errorf("stdout = %q, want %q", stdout.String(), tt.want)
			}
		})
	}
}
