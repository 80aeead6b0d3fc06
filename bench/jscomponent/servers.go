package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// greeting is what hello.js answers; every server must answer it.
const greeting = "hello from JavaScript\n"

// served is one server's figures: one wrk run per concurrency.
type served struct {
	name, about string
	runs        []wrkRun
	rss         int64 // peak RSS of the process group, bytes
	err         error // why it has no figures
}

// wrkRun is one measured wrk run.
type wrkRun struct {
	conns    int
	rps      float64
	p50, p99 time.Duration
	failed   int64
}

// buildComponent builds hello.js into a wasi:http component in dir, with
// jco's bundled WASI 0.2.12 WIT re-versioned to 0.2.10 (the version the
// StarlingMonkey engine inside componentize-js exports).
func buildComponent(ctx context.Context, root, dir string) (string, error) {
	jco := filepath.Join(root, "tools", "jco")
	builtin := filepath.Join(jco, "node_modules/@bytecodealliance/jco/lib/wit/builtin/0.2.12")
	pkgs, err := os.ReadDir(builtin)
	if err != nil {
		return "", fmt.Errorf("find jco's WIT: %w (run scripts/install-jco.sh)", err)
	}
	wit := filepath.Join(dir, "wit")
	for _, p := range pkgs {
		b, err := os.ReadFile(filepath.Join(builtin, p.Name(), "package.wit"))
		if err != nil {
			return "", err
		}
		if err := os.MkdirAll(filepath.Join(wit, "deps", p.Name()), 0o755); err != nil {
			return "", err
		}
		b = []byte(strings.ReplaceAll(string(b), "@0.2.12", "@0.2.10"))
		if err := os.WriteFile(filepath.Join(wit, "deps", p.Name(), "package.wit"), b, 0o644); err != nil {
			return "", err
		}
	}
	world := "package wisp:bench-js;\n\nworld hello {\n  export wasi:http/incoming-handler@0.2.10;\n}\n"
	if err := os.WriteFile(filepath.Join(wit, "world.wit"), []byte(world), 0o644); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "hello.wasm")
	here := filepath.Join(root, "bench", "jscomponent")
	cmd := exec.CommandContext(ctx, "node", filepath.Join(here, "componentize.mjs"), jco, filepath.Join(here, "hello.js"), wit, "hello", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("componentize hello.js: %w\n%s", err, b)
	}
	return out, nil
}

// serverCommands returns the three servers' commands serving on addr,
// in report order.
func serverCommands(root, tmp, wisp, wasm string) []struct {
	name, about string
	cmd         func(addr string) (*exec.Cmd, error)
} {
	type sc = struct {
		name, about string
		cmd         func(addr string) (*exec.Cmd, error)
	}
	return []sc{
		{"Wisp", "`wisp serve --deploy DIR`: the component, its graph reset to the snapshot for every request", func(addr string) (*exec.Cmd, error) {
			app := filepath.Join(tmp, "app")
			if err := os.MkdirAll(app, 0o755); err != nil {
				return nil, err
			}
			toml := "name = \"hello-js-bench\"\nmodule = \"hello.wasm\"\nroutes = [\"/hello\"]\n"
			if err := os.WriteFile(filepath.Join(app, "wisp.toml"), []byte(toml), 0o644); err != nil {
				return nil, err
			}
			if err := os.Link(wasm, filepath.Join(app, "hello.wasm")); err != nil && !os.IsExist(err) {
				return nil, err
			}
			admin, err := freeAddr()
			if err != nil {
				return nil, err
			}
			cmd := exec.Command(wisp, "serve", "--data", filepath.Join(tmp, "wisp-data"), "--listen", addr, "--admin-listen", admin, "--deploy", app)
			cmd.Env = append(os.Environ(), "WISP_TOKEN=")
			return cmd, nil
		}},
		{"workerd", "hello.js as a service-worker script, one isolate for every request", func(addr string) (*exec.Cmd, error) {
			dir := filepath.Join(tmp, "workerd")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
			for dst, src := range map[string]string{"config.capnp": "bench/jscomponent/workerd/config.capnp", "hello.js": "bench/jscomponent/hello.js"} {
				b, err := os.ReadFile(filepath.Join(root, src))
				if err != nil {
					return nil, err
				}
				if err := os.WriteFile(filepath.Join(dir, dst), b, 0o644); err != nil {
					return nil, err
				}
			}
			bin := filepath.Join(root, "bench/.tools/node_modules/.bin/workerd")
			if _, err := os.Stat(bin); err != nil {
				return nil, fmt.Errorf("workerd is not installed: %w (run scripts/install-bench-tools.sh)", err)
			}
			return exec.Command(bin, "serve", filepath.Join(dir, "config.capnp"), "--socket-addr", "http="+addr), nil
		}},
		{"jco serve", "`jco serve --isolate-requests worker` (Node.js): the component, a fresh worker per request", func(addr string) (*exec.Cmd, error) {
			host, port, _ := net.SplitHostPort(addr)
			bin := filepath.Join(root, "tools/jco/node_modules/.bin/jco")
			return exec.Command(bin, "serve", wasm, "--host", host, "--port", port, "--isolate-requests", "worker"), nil
		}},
	}
}

// serve starts one server, waits for its first answer, warms it up and
// measures it at each concurrency.
func serve(ctx context.Context, cfg config, name string, cmd *exec.Cmd, url, logPath string) ([]wrkRun, int64, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, 0, err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("start %s: %w", name, err)
	}
	pgid := cmd.Process.Pid
	defer func() {
		syscall.Kill(-pgid, syscall.SIGKILL)
		cmd.Wait()
	}()
	if err := waitOK(ctx, url, 60*time.Second); err != nil {
		b, _ := os.ReadFile(logPath)
		return nil, 0, fmt.Errorf("%s: %w\nits log:\n%s", name, err, tail(b))
	}
	if _, err := runWrk(ctx, url, 16, cfg.warmup); err != nil {
		return nil, 0, err
	}
	var runs []wrkRun
	for _, c := range cfg.conns {
		r, err := runWrk(ctx, url, c, cfg.duration)
		if err != nil {
			return nil, 0, err
		}
		runs = append(runs, r)
	}
	return runs, groupRSS(pgid), nil
}

// waitOK requests url until it answers 200 with the greeting.
func waitOK(ctx context.Context, url string, timeout time.Duration) error {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) && ctx.Err() == nil {
		resp, err := client.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && string(b) == greeting {
				return nil
			}
			last = fmt.Sprintf("%d %q", resp.StatusCode, b)
		} else {
			last = err.Error()
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("no 200 %q from %s within %s; last: %s", greeting, url, timeout, last)
}

var (
	wrkRate    = regexp.MustCompile(`(?m)^Requests/sec:\s+([\d.]+)`)
	wrkPercent = regexp.MustCompile(`(?m)^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$`)
	wrkNon2xx  = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses: (\d+)`)
	wrkSocket  = regexp.MustCompile(`(?m)^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// runWrk loads url with conns connections for d (wrk, min(conns, 2)
// threads) and parses its report.
func runWrk(ctx context.Context, url string, conns int, d time.Duration) (wrkRun, error) {
	args := []string{"-t", strconv.Itoa(min(conns, 2)), "-c", strconv.Itoa(conns), "-d", fmt.Sprintf("%ds", int(d/time.Second)), "--timeout", "10s", "--latency", url}
	out, err := exec.CommandContext(ctx, "wrk", args...).CombinedOutput()
	if err != nil {
		return wrkRun{}, fmt.Errorf("wrk %s: %w (install wrk with scripts/install-bench-tools.sh)\n%s", strings.Join(args, " "), err, out)
	}
	return parseWrk(conns, string(out))
}

// parseWrk reads the text wrk 4 prints with --latency.
func parseWrk(conns int, out string) (wrkRun, error) {
	r := wrkRun{conns: conns}
	m := wrkRate.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec line in wrk's output:\n%s", out)
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	for _, m := range wrkPercent.FindAllStringSubmatch(out, -1) {
		f, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[3]]
		if m[1] == "50" {
			r.p50 = time.Duration(f * float64(unit))
		} else {
			r.p99 = time.Duration(f * float64(unit))
		}
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		r.failed += n
	}
	if m := wrkSocket.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.ParseInt(s, 10, 64)
			r.failed += n
		}
	}
	return r, nil
}

// groupRSS sums the peak RSS (VmHWM) of every process in process group
// pgid: jco serve runs its server and request workers as children.
func groupRSS(pgid int) int64 {
	ents, _ := os.ReadDir("/proc")
	var sum int64
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		f := strings.Fields(s[i+1:]) // f[2] is field 5, the process group
		if i < 0 || len(f) < 3 || f[2] != strconv.Itoa(pgid) {
			continue
		}
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(status), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				sum += kb << 10
			}
		}
	}
	return sum
}

// freeAddr returns a loopback address nothing listens on now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// tail returns the last 2000 bytes of a log.
func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}
