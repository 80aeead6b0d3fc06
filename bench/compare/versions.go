package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
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

// machine describes the host: CPU model and count, memory, OS and kernel.
func machine() string {
	cpu := procField("/proc/cpuinfo", "model name")
	if cpu == "" {
		cpu = "unknown CPU"
	}
	facts := []string{fmt.Sprintf("%s, %d cores", cpu, runtime.NumCPU())}
	if mem := procField("/proc/meminfo", "MemTotal"); mem != "" {
		if kib, err := strconv.ParseInt(strings.TrimSuffix(mem, " kB"), 10, 64); err == nil {
			facts = append(facts, fmt.Sprintf("%.1f GiB RAM", float64(kib)/(1<<20)))
		}
	}
	osName := runtime.GOOS + "/" + runtime.GOARCH
	if pretty := osRelease("PRETTY_NAME"); pretty != "" {
		osName = pretty + ", " + runtime.GOARCH
	}
	if release, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		osName += ", kernel " + strings.TrimSpace(string(release))
	}
	return strings.Join(append(facts, osName), "; ")
}

// procField returns the value of the first "key: value" line of a /proc
// file, or "" if there is none.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// osRelease returns a field of /etc/os-release, unquoted, or "".
func osRelease(key string) string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), key+"="); ok {
			if u, err := strconv.Unquote(v); err == nil {
				return u
			}
			return v
		}
	}
	return ""
}
