package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

func versionCommand() *command {
	return &command{
		name:    "version",
		summary: "print the version of wisp and of its WebAssembly runtime",
		usage:   []string{"wisp version [flags]"},
		description: `
Print the version of this wisp binary, the Go version it was built with and
the version of wazero, the WebAssembly runtime it embeds:

  wisp v1.2.0 (go1.26.0, wazero v1.12.0)

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
	Version string `json:"version"`
	Go      string `json:"go"`
	Wazero  string `json:"wazero"`
}

func (v *versionVerb) run(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	info := v.e.versions()
	if v.output.json() {
		return writeJSON(v.e.stdout, info)
	}
	fmt.Fprintln(v.e.stdout, info)
	return nil
}

// String is the one-line form: "wisp dev (go1.26.8, wazero v1.12.0)".
func (v versionInfo) String() string {
	return fmt.Sprintf("wisp %s (%s, wazero %s)", v.Version, v.Go, v.Wazero)
}

// wazeroModule is the module path of the WebAssembly runtime.
const wazeroModule = "github.com/tetratelabs/wazero"

// versions reads the versions of wisp, Go and wazero from the binary's
// build information.
func (e *env) versions() versionInfo { return versionsOf(e.buildInfo()) }

// versionString is this binary's wisp version, such as "v1.2.3" or
// "dev+0123456789ab" (see `wisp help version`).
func versionString() string { return versionsOf(debug.ReadBuildInfo()).Version }

// versionsOf reads the versions of wisp, Go and wazero from build
// information; ok false means there is none.
func versionsOf(bi *debug.BuildInfo, ok bool) versionInfo {
	v := versionInfo{Version: "dev", Go: runtime.Version(), Wazero: "unknown"}
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
