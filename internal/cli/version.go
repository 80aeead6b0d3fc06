package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/wisphq/wisp/internal/engine"
)

func versionCommand() *command {
	return &command{
		name:    "version",
		summary: "print the version of wisp and of its WebAssembly runtime",
		usage:   []string{"wisp version [flags]"},
		description: `
Print the version of this wisp binary, the Go version it was built with, the
operating system and architecture it runs on, and the version of wazero, the
WebAssembly runtime it embeds, with how wazero runs modules there: its
compiler (native code, on amd64 and arm64 under Linux, macOS, Windows and the
BSDs) or its interpreter (elsewhere, many times slower):

  wisp v1.2.0 (go1.26.0, linux/amd64, wazero v1.12.0 compiler)

A binary built from a source checkout rather than a released module reports
"dev", with the commit when the build recorded it.`,
		examples: []string{"wisp version", "wisp version -o json"},
		new:      func(e *env) verb { return &versionVerb{e: e} },
	}
}

// versionVerb is `wisp version`.
type versionVerb struct {
	e      *env
	output outputFlag
}

func (v *versionVerb) flags(fs *flagSet) { v.output.register(fs) }

// versionInfo is the JSON form of `wisp version`.
type versionInfo struct {
	Version  string `json:"version"`
	Go       string `json:"go"`
	Platform string `json:"platform"` // GOOS/GOARCH, such as "linux/amd64"
	Wazero   string `json:"wazero"`
	// WazeroMode is "compiler" or "interpreter" (engine.Mode); empty when
	// unknown.
	WazeroMode string `json:"wazero_mode,omitempty"`
}

func (v *versionVerb) run(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	info := v.e.versions()
	mode, err := v.e.wazeroMode(ctx)
	if err != nil {
		fmt.Fprintf(v.e.stderr, "wisp version: cannot tell whether wazero compiles or interprets here: %v\n", err)
	}
	info.WazeroMode = mode
	if v.output.json() {
		return writeJSON(v.e.stdout, info)
	}
	fmt.Fprintln(v.e.stdout, info)
	return nil
}

// String is the one-line form: "wisp dev (go1.26.8, linux/amd64, wazero
// v1.12.0 compiler)".
func (v versionInfo) String() string {
	wazero := v.Wazero
	if v.WazeroMode != "" {
		wazero += " " + v.WazeroMode
	}
	return fmt.Sprintf("wisp %s (%s, %s, wazero %s)", v.Version, v.Go, v.Platform, wazero)
}

// bannerVersion is the first line `wisp serve` prints: the versions, with
// how wazero runs modules when that can be found out.
func bannerVersion(ctx context.Context) versionInfo {
	v := versionsOf(debug.ReadBuildInfo())
	v.WazeroMode, _ = engine.Mode(ctx)
	return v
}

// wazeroModule is the module path of the WebAssembly runtime.
const wazeroModule = "github.com/tetratelabs/wazero"

// versions reads the versions of wisp, Go and wazero from the binary's
// build information, and the platform it runs on; not the wazero mode,
// which takes a compilation to find out.
func (e *env) versions() versionInfo { return versionsOf(e.buildInfo()) }

// versionString is this binary's wisp version, such as "v1.2.3" or
// "dev+0123456789ab" (see `wisp help version`).
func versionString() string { return versionsOf(debug.ReadBuildInfo()).Version }

// versionsOf reads the versions of wisp, Go and wazero from build
// information (ok false means there is none: "dev", the running Go and
// "unknown"), and adds the platform this process runs on.
func versionsOf(bi *debug.BuildInfo, ok bool) versionInfo {
	v := versionInfo{Version: "dev", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH, Wazero: "unknown"}
	if !ok {
		return v
	}
	if bi.GoVersion != "" {
		v.Go = bi.GoVersion
	}
	if mv := bi.Main.Version; mv != "" && mv != "(devel)" {
		v.Version = mv
	} else if rev := buildSetting(bi, "vcs.revision"); rev != "" {
		v.Version = "dev+" + rev[:min(12, len(rev))]
		if buildSetting(bi, "vcs.modified") == "true" {
			v.Version += "-dirty"
		}
	}
	for _, dep := range bi.Deps {
		if dep.Path == wazeroModule {
			v.Wazero = dep.Version
			if dep.Replace != nil && dep.Replace.Version != "" {
				v.Wazero = dep.Replace.Version
			}
		}
	}
	return v
}

// buildSetting returns the value of the build setting key, or "".
func buildSetting(bi *debug.BuildInfo, key string) string {
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}
