package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// versions returns the version of every program the run measured with.
func (h *harness) versions(ctx context.Context) []fact {
	facts := []fact{
		{"Go", strings.TrimPrefix(runtime.Version(), "go")},
		{"wazero", goModVersion(filepath.Join(h.root, "go.mod"), "github.com/tetratelabs/wazero")},
		{"Wisp", strings.TrimPrefix(output(ctx, h.wisp, "version"), "wisp ")}, // "dev (go1.26.8, wazero v1.12.0)"
	}
	if h.node != "" {
		facts = append(facts, fact{"Node.js", output(ctx, h.node, "--version")})
	}
	if h.workerd != "" {
		v := strings.TrimPrefix(output(ctx, h.workerd, "--version"), "workerd ")
		if pkg := npmVersion(filepath.Join(h.root, h.cfg.tools, "node_modules/workerd/package.json")); pkg != "" {
			v += " (npm workerd@" + pkg + ")"
		}
		facts = append(facts, fact{"workerd", v})
	}
	// "wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer"
	wrk := output(ctx, h.wrk, "-v")
	if f := strings.Fields(wrk); len(f) > 1 {
		wrk = f[1]
	}
	return append(facts, fact{"wrk", wrk})
}

// goModVersion returns the version go.mod requires of module, or "unknown".
func goModVersion(goMod, module string) string {
	b, err := os.ReadFile(goMod)
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && f[0] == module {
			return f[1]
		}
	}
	return "unknown"
}

// npmVersion returns the "version" of a package.json, or "".
func npmVersion(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var pkg struct{ Version string }
	if json.Unmarshal(b, &pkg) != nil {
		return ""
	}
	return pkg.Version
}
