package plugin_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisphq/wisp/plugin"
)

func wasm(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hostFuncs are the host functions abi.wasm imports.
func hostFuncs() []plugin.HostFunction {
	return []plugin.HostFunction{
		plugin.BytesFunction("double", func(_ context.Context, in []byte) ([]byte, error) {
			return bytes.Repeat(in, 2), nil
		}),
		{
			Name: "peek", Params: []plugin.ValueType{plugin.I32, plugin.I32}, Results: []plugin.ValueType{plugin.I32},
			Func: func(_ context.Context, c *plugin.Current, stack []uint64) error {
				ptr, n := uint32(stack[0]), uint32(stack[1])
				b, err := c.Read(ptr, n)
				if err != nil {
					return err
				}
				sum := binary.LittleEndian.Uint32(b) + binary.LittleEndian.Uint32(b[4:])
				stack[0] = uint64(sum)
				return c.Write(ptr+8, binary.LittleEndian.AppendUint32(nil, sum))
			},
		},
	}
}

func loadABI(t testing.TB, cfg plugin.Config) *plugin.Plugin {
	t.Helper()
	cfg.HostFunctions = append(cfg.HostFunctions, hostFuncs()...)
	p, err := plugin.Load(context.Background(), wasm(t, "abi.wasm"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

func TestCall(t *testing.T) {
	p := loadABI(t, plugin.Config{})
	for _, tc := range []struct {
		name, fn, in, want string
	}{
		{"echo", "echo", "hello", "hello"},
		{"echo empty", "echo", "", ""},
		{"upper", "upper", "Hello, World!", "HELLO, WORLD!"},
		{"host bytes function", "twice", "ab", "abab"},
		{"host function on guest memory", "sum", "", "\x2a\x00\x00\x00"},
		{"no result", "noop", "x", ""},
		{"variables start empty per fresh call", "counter", "", "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := p.Call(context.Background(), tc.fn, []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.want {
				t.Fatalf("got %q, want %q", out, tc.want)
			}
		})
	}
}

func TestCallErrors(t *testing.T) {
	p := loadABI(t, plugin.Config{Limits: plugin.Limits{Memory: 4 << 20, Timeout: 5 * time.Second, Output: 1 << 20}})
	ctx := context.Background()
	short := plugin.Limits{Timeout: 50 * time.Millisecond}
	for _, tc := range []struct {
		name, fn string
		lim      plugin.Limits
		is       error  // errors.Is target, or nil
		msg      string // in the error's text
	}{
		{"error_set and a code", "fail", plugin.Limits{}, nil, "plugin function fail failed: bad input (code 2)"},
		{"non-zero code", "exit", plugin.Limits{}, nil, "failed with code 7"},
		{"unknown function", "nope", plugin.Limits{}, plugin.ErrNoFunction, "the plugin exports counter, echo, exit, fail, forged"},
		{"runaway", "spin", short, context.DeadlineExceeded, "killed"},
		{"memory hog", "grow", plugin.Limits{}, plugin.ErrMemoryLimit, "refused memory"},
		{"Extism memory hog", "hoard", plugin.Limits{}, plugin.ErrMemoryLimit, "alloc of 1048576 bytes"},
		{"wild pointer", "wild", plugin.Limits{}, plugin.ErrInvalidPointer, "load_u64"},
		{"huge output", "huge", plugin.Limits{}, plugin.ErrOutputTooLarge, "1073741824 bytes"},
		{"bad pointer to a host function", "peek", plugin.Limits{}, plugin.ErrInvalidPointer, "host function extism:host/user.peek: read 64 bytes at 4294967280"},
		{"forged handle to a host function", "forged", plugin.Limits{}, plugin.ErrInvalidPointer, "host function extism:host/user.double: read block: offset 4096 is not a block the plugin allocated"},
		{"runaway at its CPU budget", "spin", plugin.Limits{CPU: 20 * time.Millisecond, Timeout: time.Minute}, plugin.ErrCPULimit, "plugin: call spin: stopped at its CPU limit of 20ms (Limits.CPU; "},
		{"negative CPU budget", "echo", plugin.Limits{CPU: -time.Millisecond}, nil, "CPU budget -1ms is negative"},
		{"memory above the plugin's", "echo", plugin.Limits{Memory: 8 << 20}, nil, "above the plugin's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := p.CallWith(ctx, tc.fn, []byte("x"), tc.lim)
			if err == nil {
				t.Fatalf("got output %q, want an error", out)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q does not match %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
			// The plugin still works after every failure.
			if out, err := p.Call(ctx, "echo", []byte("ok")); err != nil || string(out) != "ok" {
				t.Fatalf("after %s: echo = %q, %v", tc.name, out, err)
			}
		})
	}
}

func TestCallerContext(t *testing.T) {
	p := loadABI(t, plugin.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := p.Call(ctx, "spin", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: got %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err = p.Call(ctx, "spin", nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel: got %v", err)
	}
}

// TestRefusedVarSetKeepsValue: a var_set over Config.MaxVarBytes fails
// the call and leaves the variable as it was; a smaller value is taken.
func TestRefusedVarSetKeepsValue(t *testing.T) {
	// Variable "v" with a value of up to 5 bytes fits: 1 + 5.
	p := loadABI(t, plugin.Config{MaxVarBytes: 6})
	ctx := context.Background()
	inst, err := p.NewInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)
	steps := []struct {
		input, want, err string
	}{
		{"first", "", ""},
		{"much too long", "", "the variable store is full"},
		{"next", "first", ""},
		{"", "next", ""},
	}
	for _, s := range steps {
		out, err := inst.Call(ctx, "remember", []byte(s.input))
		if s.err != "" {
			if err == nil || !strings.Contains(err.Error(), s.err) {
				t.Fatalf("remember %q: error %v, want one saying %q", s.input, err, s.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("remember %q: %v", s.input, err)
		}
		if string(out) != s.want {
			t.Fatalf("remember %q: the value before was %q, want %q", s.input, out, s.want)
		}
	}
}

func TestInstanceKeepsState(t *testing.T) {
	p := loadABI(t, plugin.Config{})
	ctx := context.Background()
	inst, err := p.NewInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)
	var got []string
	for i := 0; i < 3; i++ {
		out, err := inst.Call(ctx, "counter", nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(out))
	}
	// A trap discards the instance, not the variables.
	if _, err := inst.Call(ctx, "wild", nil); !errors.Is(err, plugin.ErrInvalidPointer) {
		t.Fatalf("wild: %v", err)
	}
	out, err := inst.Call(ctx, "counter", nil)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, string(out))
	if strings.Join(got, ",") != "1,2,3,4" {
		t.Fatalf("counter through one instance: %v, want 1,2,3,4", got)
	}
}

func TestConcurrentCalls(t *testing.T) {
	p := loadABI(t, plugin.Config{})
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				in := fmt.Sprintf("g%d-%d", g, i)
				out, err := p.Call(ctx, "twice", []byte(in))
				if err != nil || string(out) != in+in {
					errs <- fmt.Errorf("twice(%q) = %q, %v", in, out, err)
					return
				}
				if i%10 == 0 { // hostile calls interleaved with good ones
					if _, err := p.CallWith(ctx, "spin", nil, plugin.Limits{Timeout: 5 * time.Millisecond}); !errors.Is(err, context.DeadlineExceeded) {
						errs <- fmt.Errorf("spin: %v", err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestLoadErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		wasm []byte
		cfg  plugin.Config
		msg  string
	}{
		{"not wasm", []byte("hello"), plugin.Config{}, "invalid plugin module"},
		{"missing host function", wasm(t, "abi.wasm"), plugin.Config{}, "module imports extism:host/user.double, which the host does not provide"},
		{"WASI not enabled", wasm(t, "kitchen.wasm"), plugin.Config{HostFunctions: []plugin.HostFunction{riskScore()}}, "WASI is not enabled for this plugin"},
		{"wrong host signature", wasm(t, "kitchen.wasm"), plugin.Config{WASI: true, HostFunctions: []plugin.HostFunction{{Name: "risk_score", Params: []plugin.ValueType{plugin.I32}, Func: func(context.Context, *plugin.Current, []uint64) error { return nil }}}}, "with signature (i64) -> (i64), but the host provides (i32) -> ()"},
		{"reserved namespace", wasm(t, "abi.wasm"), plugin.Config{HostFunctions: []plugin.HostFunction{{Namespace: plugin.EnvNamespace, Name: "alloc", Func: func(context.Context, *plugin.Current, []uint64) error { return nil }}}}, "is Extism's own ABI"},
		{"bad allowed host", wasm(t, "kitchen.wasm"), plugin.Config{WASI: true, AllowedHosts: []string{"http//x"}}, "allowed hosts"},
		{"memory limit too small", wasm(t, "kitchen.wasm"), plugin.Config{WASI: true, HostFunctions: []plugin.HostFunction{riskScore()}, Limits: plugin.Limits{Memory: 64 << 10}}, "initial memory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := plugin.Load(ctx, tc.wasm, tc.cfg)
			if err == nil {
				p.Close(ctx)
				t.Fatal("loaded")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %q does not contain %q", err, tc.msg)
			}
		})
	}
}

func riskScore() plugin.HostFunction {
	return plugin.BytesFunction("risk_score", func(_ context.Context, in []byte) ([]byte, error) {
		return []byte(fmt.Sprint(len(in) * 10)), nil
	})
}

// TestCPlugin runs kitchen.wasm, built with clang against extism_abi.h, as
// Extism documents its functions: config, variables, host functions,
// errors, logging, stderr and an HTTP request to a loopback upstream.
func TestCPlugin(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("X-Upstream", "yes")
			w.Header()["Date"] = nil
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, "got %s as %s", body, r.Header.Get("Content-Type"))
			return
		}
		fmt.Fprintf(w, "upstream saw %s %s with X-Plugin=%s", r.Method, r.URL.Path, r.Header.Get("X-Plugin"))
	}))
	defer upstream.Close()
	var logs []string
	var mu sync.Mutex
	var stderr bytes.Buffer
	p, err := plugin.Load(context.Background(), wasm(t, "kitchen.wasm"), plugin.Config{
		WASI:          true,
		Stderr:        &stderr,
		Config:        map[string]string{"greeting": "Howdy"},
		AllowedHosts:  []string{"127.0.0.1"},
		HostFunctions: []plugin.HostFunction{riskScore()},
		Log: func(_ context.Context, level plugin.LogLevel, msg string) {
			mu.Lock()
			defer mu.Unlock()
			logs = append(logs, level.String()+": "+msg)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	ctx := context.Background()
	for _, tc := range []struct{ name, fn, in, want string }{
		{"count_vowels (Extism's example)", "count_vowels", "Hello, World!", `{"count":3,"total":3,"vowels":"aeiouAEIOU"}`},
		{"config", "greet", "Ada", "Howdy, Ada!"},
		{"host function", "risk", "abcd", "score=40"},
		{"http request", "fetch", upstream.URL + "/rules", "200 upstream saw GET /rules with X-Plugin=kitchen"},
		{"log and stderr", "log", "", ""},
		{"http request with a body, response headers", "post", upstream.URL + "/in", `201 got ping as text/plain {"content-length":"22","content-type":"text/plain; charset=utf-8","x-upstream":"yes"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := p.Call(ctx, tc.fn, []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.want {
				t.Fatalf("got %q, want %q", out, tc.want)
			}
		})
	}
	if got := strings.Join(logs, "|"); got != "info: info from C|error: error from C" {
		t.Errorf("logs: %q", got)
	}
	if stderr.String() != "stderr from C\n" {
		t.Errorf("stderr: %q", stderr.String())
	}
	_, err = p.Call(ctx, "fail", nil)
	var perr *plugin.Error
	if !errors.As(err, &perr) || perr.Message != "something went wrong" || perr.Code != 1 {
		t.Errorf("fail: %v", err)
	}
	// A host not allowed is refused, and the refusal says why.
	_, err = p.Call(ctx, "fetch", []byte("http://127.0.0.2:1/"))
	if err == nil || !strings.Contains(err.Error(), "http_request") {
		t.Errorf("fetch of a host not allowed: %v", err)
	}

	// Variables persist through an Instance, as Extism's total does.
	inst, err := p.NewInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)
	var last []byte
	for i := 0; i < 2; i++ {
		if last, err = inst.Call(ctx, "count_vowels", []byte("Hello, World!")); err != nil {
			t.Fatal(err)
		}
	}
	if string(last) != `{"count":3,"total":6,"vowels":"aeiouAEIOU"}` {
		t.Errorf("second count_vowels on one instance: %s", last)
	}
}

func TestClose(t *testing.T) {
	p := loadABI(t, plugin.Config{})
	ctx := context.Background()
	done := make(chan error, 1)
	go func() {
		_, err := p.Call(ctx, "spin", nil)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, plugin.ErrClosed) {
			t.Fatalf("running call: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not stop a running call")
	}
	if _, err := p.Call(ctx, "echo", nil); !errors.Is(err, plugin.ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

// TestHostileLeavesProcessHealthy floods a plugin with every hostile call at
// once and checks that the process is as it was: good calls answer, the
// goroutines the calls used are gone, and the Go heap is back to its size.
func TestHostileLeavesProcessHealthy(t *testing.T) {
	if testing.Short() {
		t.Skip("floods a plugin with hostile calls")
	}
	p := loadABI(t, plugin.Config{Limits: plugin.Limits{Memory: 8 << 20, Timeout: 20 * time.Millisecond}})
	ctx := context.Background()
	goroutines := runtime.NumGoroutine()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				for _, fn := range []string{"spin", "grow", "hoard", "wild", "huge", "peek", "forged"} {
					if _, err := p.Call(ctx, fn, nil); err == nil {
						t.Errorf("%s succeeded", fn)
					}
				}
				// A runaway stopped at its CPU budget rather than its deadline.
				if _, err := p.CallWith(ctx, "spin", nil, plugin.Limits{CPU: 2 * time.Millisecond, Timeout: time.Minute}); !errors.Is(err, plugin.ErrCPULimit) {
					t.Errorf("spin with a CPU budget: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	if out, err := p.Call(ctx, "upper", []byte("healthy")); err != nil || string(out) != "HEALTHY" {
		t.Fatalf("after the flood: %q, %v", out, err)
	}
	waitFor(t, "goroutines back to where they were", func() bool { return runtime.NumGoroutine() <= goroutines+2 })
	var m runtime.MemStats
	waitFor(t, "the heap back under 64 MiB", func() bool {
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc < 64<<20
	})
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLanguagePlugins runs the Go (wasip1, c-shared, //go:wasmexport) and
// Rust (cdylib) plugins built against Extism's ABI with their own bindings:
// config, variables (kept by an Instance), a host function and an error.
func TestLanguagePlugins(t *testing.T) {
	for _, tc := range []struct{ name, file string }{{"go", "goabi/goabi.wasm"}, {"rust", "rustabi/rustabi.wasm"}} {
		t.Run(tc.name, func(t *testing.T) { testLanguagePlugin(t, tc.file) })
	}
}

func testLanguagePlugin(t *testing.T, file string) {
	ctx := context.Background()
	p, err := plugin.Load(ctx, wasm(t, file), plugin.Config{
		WASI:          true,
		Config:        map[string]string{"greeting": "Ciao"},
		HostFunctions: []plugin.HostFunction{riskScore()},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	for _, tc := range []struct{ fn, in, want string }{
		{"greet", "Go", "Ciao, Go!"},
		{"risk", "abc", "score=30"},
		{"count", "", "1"},
	} {
		if _, ok := slices.BinarySearch(p.Functions(), tc.fn); !ok {
			continue // the Rust plugin has no risk
		}
		out, err := p.Call(ctx, tc.fn, []byte(tc.in))
		if err != nil || string(out) != tc.want {
			t.Errorf("%s(%q) = %q, %v; want %q", tc.fn, tc.in, out, err, tc.want)
		}
	}
	var perr *plugin.Error
	if _, err := p.Call(ctx, "fail", nil); !errors.As(err, &perr) || perr.Message != "something went wrong" {
		t.Errorf("fail: %v", err)
	}
	inst, err := p.NewInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)
	var got []string
	for i := 0; i < 3; i++ {
		out, err := inst.Call(ctx, "count", nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(out))
	}
	if strings.Join(got, ",") != "1,2,3" {
		t.Errorf("count through one instance: %v", got)
	}
}

// TestCommandPlugin calls a WASI command's _start, which exits: the call
// succeeds, and an Instance starts a fresh instance for the next one.
func TestCommandPlugin(t *testing.T) {
	ctx := context.Background()
	p, err := plugin.Load(ctx, wasm(t, "command.wasm"), plugin.Config{WASI: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	if out, err := p.Call(ctx, "_start", nil); err != nil || string(out) != "1" {
		t.Fatalf("_start: %q, %v", out, err)
	}
	inst, err := p.NewInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)
	for i := 0; i < 2; i++ {
		if out, err := inst.Call(ctx, "_start", nil); err != nil || string(out) != "1" {
			t.Fatalf("_start %d through an instance: %q, %v", i, out, err)
		}
	}
}
