package wasmscan

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// The measurements behind DefaultLimits. They compile modules with wazero
// and take seconds to minutes, so they run only when asked:
//
//	WASMSCAN_MEASURE='nest/10000 atcaps' go test -run TestMeasure -v ./internal/wasmscan
//
// Each space-separated word names a generator of shapeModules (with its
// parameters after a slash) or, as file:PATH, a .wasm file. Each module is
// scanned with DefaultLimits and, only if accepted, compiled and
// instantiated by wazero in a child process (so a runaway cannot take the
// test down, and so the child's peak RSS is the module's cost).
const (
	measureEnv = "WASMSCAN_MEASURE"
	childEnv   = "WASMSCAN_MEASURE_CHILD"
)

// measurement is what the child reports.
type measurement struct {
	Bytes       int     `json:"bytes"`
	ScanErr     string  `json:"scan_err,omitempty"`
	ScanMicros  float64 `json:"scan_us"`
	CompileErr  string  `json:"compile_err,omitempty"`
	CompileSecs float64 `json:"compile_s"`
	LinkErr     string  `json:"link_err,omitempty"`
	LinkSecs    float64 `json:"link_s"`
	HeapMiB     float64 `json:"heap_mib"` // Go heap in use after compiling
	Summary     Summary `json:"summary"`
}

func TestMeasure(t *testing.T) {
	words := strings.Fields(os.Getenv(measureEnv))
	if len(words) == 0 {
		t.Skip("set " + measureEnv + " to measure wazero compile costs (see measure_test.go)")
	}
	timeout := 10 * time.Minute
	if s := os.Getenv("WASMSCAN_MEASURE_TIMEOUT"); s != "" {
		timeout, _ = time.ParseDuration(s)
	}
	t.Logf("%-36s %10s %9s %9s %8s %9s  %s", "case", "bytes", "scan", "compile", "link", "peakRSS", "result")
	for _, w := range words {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestMeasureChild$")
		cmd.Env = append(os.Environ(), childEnv+"="+w)
		cmd.Stderr = os.Stderr
		start := time.Now()
		out, err := cmd.Output()
		cancel()
		rss := 0.0
		if cmd.ProcessState != nil {
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				rss = float64(ru.Maxrss) / 1024
			}
		}
		var m measurement
		line := string(out)
		if i := strings.Index(line, "RESULT "); i >= 0 {
			_ = json.Unmarshal([]byte(strings.SplitN(line[i+7:], "\n", 2)[0]), &m)
		} else {
			t.Logf("%-36s child failed after %s: %v", w, time.Since(start).Round(time.Millisecond), err)
			continue
		}
		result := "ok"
		switch {
		case m.ScanErr != "":
			result = "refused: " + m.ScanErr
		case m.CompileErr != "":
			result = "compile error: " + m.CompileErr
		case m.LinkErr != "":
			result = "link error: " + m.LinkErr
		}
		if len(result) > 160 {
			result = result[:160] + "..."
		}
		t.Logf("%-36s %10d %7.0fµs %8.2fs %7.2fs %6.0fMiB  %s", w, m.Bytes, m.ScanMicros, m.CompileSecs, m.LinkSecs, rss, result)
	}
}

// TestMeasureChild is the child process of TestMeasure.
func TestMeasureChild(t *testing.T) {
	word := os.Getenv(childEnv)
	if word == "" {
		t.Skip("run by TestMeasure")
	}
	// Keep a runaway from taking the machine down with it.
	_ = syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: 16 << 30, Max: 16 << 30})

	var wasm []byte
	if spec, ok := strings.CutPrefix(word, "fn:"); ok {
		path, idx, _ := strings.Cut(spec, ":")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(idx)
		wasm = onlyFunction(t, b, n)
	} else if path, ok := strings.CutPrefix(word, "file:"); ok {
		var err error
		if wasm, err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
	} else {
		kind, arg, _ := strings.Cut(word, "/")
		gen, ok := shapeModules[kind]
		if !ok {
			t.Fatalf("no generator %q", kind)
		}
		wasm = gen(parseArgs(t, arg))
	}
	m := measurement{Bytes: len(wasm)}
	report := func() { b, _ := json.Marshal(m); fmt.Printf("RESULT %s\n", b) }
	defer report()

	start := time.Now()
	sum, err := Scan(wasm, DefaultLimits)
	m.ScanMicros = float64(time.Since(start).Nanoseconds()) / 1e3
	m.Summary = sum
	if err != nil {
		m.ScanErr = err.Error()
		return // never hand a refused module to wazero
	}

	ctx := context.Background()
	cfg := wazero.NewRuntimeConfig().WithCoreFeatures(api.CoreFeaturesV2).WithCloseOnContextDone(true)
	rt := wazero.NewRuntimeWithConfig(ctx, cfg)
	defer rt.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	runtime.GC()
	start = time.Now()
	compiled, err := rt.CompileModule(ctx, wasm)
	m.CompileSecs = time.Since(start).Seconds()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.HeapMiB = float64(ms.HeapInuse) / (1 << 20)
	if err != nil {
		m.CompileErr = err.Error()
		return
	}
	start = time.Now()
	mod, err := rt.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	m.LinkSecs = time.Since(start).Seconds()
	if err != nil {
		m.LinkErr = err.Error()
		return
	}
	mod.Close(ctx)
}

// onlyFunction returns wasm with the body of every defined function but
// the keep-th replaced by "unreachable", to measure one function's cost.
func onlyFunction(t *testing.T, wasm []byte, keep int) []byte {
	r := reader{b: wasm, pos: 8, end: len(wasm)}
	for r.remaining() > 0 {
		start := r.pos
		id, _ := r.byte()
		size, _ := r.u32()
		if id != sectionCode {
			r.pos += int(size)
			continue
		}
		sec := reader{b: wasm, pos: r.pos, end: r.pos + int(size)}
		n, _ := sec.u32()
		var bodies [][]byte
		for i := 0; i < int(n); i++ {
			entry := sec.pos
			sz, _ := sec.u32()
			sec.pos += int(sz)
			if i == keep {
				bodies = append(bodies, wasm[entry:sec.pos])
			} else {
				bodies = append(bodies, []byte{3, 0, 0x00, 0x0b})
			}
		}
		content := vec(bodies)
		out := append([]byte{}, wasm[:start]...)
		out = append(out, sectionCode)
		out = append(out, uleb(uint64(len(content)))...)
		out = append(out, content...)
		return append(out, wasm[sec.end:]...)
	}
	t.Fatal("no code section")
	return nil
}

// parseArgs parses "1000x20" into []int{1000, 20}.
func parseArgs(t *testing.T, arg string) []int {
	var out []int
	for _, f := range strings.FieldsFunc(arg, func(r rune) bool { return r == 'x' || r == ',' }) {
		n, err := strconv.Atoi(strings.ReplaceAll(f, "_", ""))
		if err != nil {
			t.Fatalf("bad argument %q", arg)
		}
		out = append(out, n)
	}
	return out
}

// arg returns args[i], or def if there are fewer arguments.
func arg(args []int, i, def int) int {
	if i < len(args) {
		return args[i]
	}
	return def
}
