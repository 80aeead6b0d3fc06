package plugin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/wisphq/wisp/plugin"
)

// mustRead reads a test plugin (testdata/*.wasm, built from its source by
// scripts/build-guests.sh).
func mustRead(name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		panic(err)
	}
	return b
}

// The common case: load once, call a function with bytes in and out.
// kitchen.wasm is a C plugin built against Extism's ABI (testdata/kitchen.c).
func Example() {
	ctx := context.Background()
	p, err := plugin.Load(ctx, mustRead("kitchen.wasm"), plugin.Config{
		WASI:          true,
		HostFunctions: []plugin.HostFunction{riskScore()},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close(ctx)

	out, err := p.Call(ctx, "count_vowels", []byte("Hello, World!"))
	fmt.Println(string(out), err)
	// Output:
	// {"count":3,"total":3,"vowels":"aeiouAEIOU"} <nil>
}

// Configuration the plugin reads with config_get.
func ExampleConfig_config() {
	ctx := context.Background()
	p, _ := plugin.Load(ctx, mustRead("kitchen.wasm"), plugin.Config{
		WASI:          true,
		Config:        map[string]string{"greeting": "Bonjour"},
		HostFunctions: []plugin.HostFunction{riskScore()},
	})
	defer p.Close(ctx)

	out, _ := p.Call(ctx, "greet", []byte("Ada"))
	fmt.Println(string(out))
	// Output:
	// Bonjour, Ada!
}

// A host function the plugin imports from extism:host/user, here in the
// common bytes-in, bytes-out shape.
func ExampleBytesFunction() {
	ctx := context.Background()
	score := plugin.BytesFunction("risk_score", func(ctx context.Context, event []byte) ([]byte, error) {
		if strings.Contains(string(event), "wire") {
			return []byte("90"), nil
		}
		return []byte("10"), nil
	})
	p, _ := plugin.Load(ctx, mustRead("kitchen.wasm"), plugin.Config{WASI: true, HostFunctions: []plugin.HostFunction{score}})
	defer p.Close(ctx)

	for _, event := range []string{"card payment", "wire transfer"} {
		out, _ := p.Call(ctx, "risk", []byte(event))
		fmt.Println(event+":", string(out))
	}
	// Output:
	// card payment: score=10
	// wire transfer: score=90
}

// A host function with its own signature, reading and writing the guest's
// memory through bounds-checked accessors.
func ExampleHostFunction() {
	ctx := context.Background()
	peek := plugin.HostFunction{
		Name:    "peek",
		Params:  []plugin.ValueType{plugin.I32, plugin.I32}, // pointer, length
		Results: []plugin.ValueType{plugin.I32},
		Func: func(ctx context.Context, c *plugin.Current, stack []uint64) error {
			b, err := c.Read(uint32(stack[0]), uint32(stack[1]))
			if err != nil {
				return err // the call fails; errors.Is(err, plugin.ErrInvalidPointer)
			}
			sum := uint32(b[0]) + uint32(b[4])
			stack[0] = uint64(sum)
			return c.Write(uint32(stack[0])+72-uint32(sum), []byte{byte(sum), 0, 0, 0})
		},
	}
	double := plugin.BytesFunction("double", func(_ context.Context, in []byte) ([]byte, error) { return append(in, in...), nil })
	p, _ := plugin.Load(ctx, mustRead("abi.wasm"), plugin.Config{HostFunctions: []plugin.HostFunction{peek, double}})
	defer p.Close(ctx)

	out, err := p.Call(ctx, "sum", nil) // stores 40 and 2, asks the host for their sum
	fmt.Println(out[0], err)
	_, err = p.Call(ctx, "peek", nil) // passes a pointer past its memory
	fmt.Println(errors.Is(err, plugin.ErrInvalidPointer))
	// Output:
	// 42 <nil>
	// true
}

// Per-call limits: a runaway call is killed at its timeout, a memory hog at
// its memory limit, and the plugin keeps serving.
func ExampleLimits() {
	ctx := context.Background()
	p, _ := plugin.Load(ctx, mustRead("abi.wasm"), plugin.Config{
		Limits:        plugin.Limits{Memory: 1 << 20, Timeout: 20 * time.Millisecond, Output: 1 << 10},
		HostFunctions: hostFuncs(),
	})
	defer p.Close(ctx)

	_, err := p.Call(ctx, "spin", nil)
	fmt.Println("spin:", errors.Is(err, context.DeadlineExceeded))
	_, err = p.Call(ctx, "grow", nil)
	fmt.Println("grow:", errors.Is(err, plugin.ErrMemoryLimit))
	_, err = p.Call(ctx, "huge", nil)
	fmt.Println("huge:", errors.Is(err, plugin.ErrOutputTooLarge))
	out, err := p.CallWith(ctx, "echo", []byte("still here"), plugin.Limits{Timeout: time.Second})
	fmt.Println(string(out), err)
	// Output:
	// spin: true
	// grow: true
	// huge: true
	// still here <nil>
}

// A CPU budget per call: the guest's work is counted in fuel, the same on
// every run and machine, and a call past Limits.CPU is stopped with a
// *CPULimitError; Config.OnUsage sees every call's fuel and CPU time.
func ExampleLimits_cpu() {
	ctx := context.Background()
	p, _ := plugin.Load(ctx, mustRead("abi.wasm"), plugin.Config{
		Limits:        plugin.Limits{CPU: 5 * time.Millisecond, Timeout: time.Minute},
		HostFunctions: hostFuncs(),
		OnUsage: func(_ context.Context, fn string, u plugin.Usage) {
			fmt.Printf("%s used fuel: %v, less than 1ms: %v\n", fn, u.Fuel > 0, u.CPU < time.Millisecond)
		},
	})
	defer p.Close(ctx)

	out, err := p.Call(ctx, "upper", []byte("cheap"))
	fmt.Println(string(out), err)
	_, err = p.Call(ctx, "spin", nil)
	var cpu *plugin.CPULimitError
	if errors.As(err, &cpu) {
		fmt.Println("spin stopped at", cpu.Limit, errors.Is(err, plugin.ErrCPULimit), cpu.Fuel > 5*plugin.FuelPerMillisecond)
	}
	// Output:
	// upper used fuel: true, less than 1ms: true
	// CHEAP <nil>
	// spin used fuel: true, less than 1ms: false
	// spin stopped at 5ms true true
}

// Errors the plugin reports (Extism's error_set and a non-zero return).
func ExampleError() {
	ctx := context.Background()
	p, _ := plugin.Load(ctx, mustRead("kitchen.wasm"), plugin.Config{WASI: true, HostFunctions: []plugin.HostFunction{riskScore()}})
	defer p.Close(ctx)

	_, err := p.Call(ctx, "fail", nil)
	var perr *plugin.Error
	if errors.As(err, &perr) {
		fmt.Printf("%s: %q, code %d\n", perr.Function, perr.Message, perr.Code)
	}
	fmt.Println(err)
	// Output:
	// fail: "something went wrong", code 1
	// plugin function fail failed: something went wrong (code 1)
}

// An Instance keeps one instance, and the plugin's variables, across calls.
func ExamplePlugin_NewInstance() {
	ctx := context.Background()
	p, _ := plugin.Load(ctx, mustRead("kitchen.wasm"), plugin.Config{WASI: true, HostFunctions: []plugin.HostFunction{riskScore()}})
	defer p.Close(ctx)

	inst, _ := p.NewInstance(ctx)
	defer inst.Close(ctx)
	for _, text := range []string{"Hello", "World"} {
		out, _ := inst.Call(ctx, "count_vowels", []byte(text))
		fmt.Println(string(out))
	}
	// Output:
	// {"count":2,"total":2,"vowels":"aeiouAEIOU"}
	// {"count":1,"total":3,"vowels":"aeiouAEIOU"}
}

// Outbound HTTP (Extism's http_request) reaches only the allowed hosts.
func ExampleConfig_allowedHosts() {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "pong")
	}))
	defer upstream.Close()
	ctx := context.Background()
	p, _ := plugin.Load(ctx, mustRead("kitchen.wasm"), plugin.Config{
		WASI:          true,
		AllowedHosts:  []string{"127.0.0.1"}, // loopback is reached only when named
		HostFunctions: []plugin.HostFunction{riskScore()},
	})
	defer p.Close(ctx)

	out, err := p.Call(ctx, "fetch", []byte(upstream.URL+"/ping"))
	fmt.Println(string(out), err)
	// Output:
	// 200 pong <nil>
}

// A Cache shares compiled code between plugins: loading the same module
// again, for another configuration, does not compile it again.
func ExampleNewCache() {
	ctx := context.Background()
	cache, err := plugin.NewCache("") // "": in memory; a directory: on disk too
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cache.Close(ctx)
	wasm := mustRead("kitchen.wasm")
	for _, greeting := range []string{"Hello", "Hej"} {
		p, err := plugin.Load(ctx, wasm, plugin.Config{
			WASI: true, Cache: cache,
			Config:        map[string]string{"greeting": greeting},
			HostFunctions: []plugin.HostFunction{riskScore()},
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		out, _ := p.Call(ctx, "greet", []byte("Ada"))
		fmt.Println(string(out))
		p.Close(ctx)
	}
	// Output:
	// Hello, Ada!
	// Hej, Ada!
}
