//go:build wasip1

// Command goabi is an Extism plugin in Go, built with the standard Go
// toolchain against Extism's host ABI (its own bindings below, written from
// the documented import list): a WASI reactor whose functions are
// //go:wasmexport'ed. Build (scripts/build-guests.sh), Go 1.24 or later:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o goabi.wasm ./plugin/testdata/goabi
package main

import (
	"strconv"
	"unsafe"
)

//go:wasmimport extism:host/env input_length
func inputLength() uint64

//go:wasmimport extism:host/env input_load_u8
func inputLoadU8(offset uint64) uint32

//go:wasmimport extism:host/env alloc
func alloc(n uint64) uint64

//go:wasmimport extism:host/env length
func length(h uint64) uint64

//go:wasmimport extism:host/env load_u8
func loadU8(p uint64) uint32

//go:wasmimport extism:host/env store_u8
func storeU8(p uint64, v uint32)

//go:wasmimport extism:host/env output_set
func outputSet(h, n uint64)

//go:wasmimport extism:host/env error_set
func errorSet(h uint64)

//go:wasmimport extism:host/env config_get
func configGet(key uint64) uint64

//go:wasmimport extism:host/env var_get
func varGet(key uint64) uint64

//go:wasmimport extism:host/env var_set
func varSet(key, value uint64)

//go:wasmimport extism:host/user risk_score
func riskScore(in uint64) uint64

func input() []byte {
	b := make([]byte, inputLength())
	for i := range b {
		b[i] = byte(inputLoadU8(uint64(i)))
	}
	return b
}

func put(b []byte) uint64 {
	h := alloc(uint64(len(b)))
	for i, c := range b {
		storeU8(h+uint64(i), uint32(c))
	}
	return h
}

func get(h uint64) []byte {
	if h == 0 {
		return nil
	}
	b := make([]byte, length(h))
	for i := range b {
		b[i] = byte(loadU8(h + uint64(i)))
	}
	return b
}

func output(s string) {
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	outputSet(put(b), uint64(len(b)))
}

//go:wasmexport greet
func greet() int32 {
	greeting := "Hello"
	if v := get(configGet(put([]byte("greeting")))); v != nil {
		greeting = string(v)
	}
	output(greeting + ", " + string(input()) + "!")
	return 0
}

//go:wasmexport count
func count() int32 {
	n, _ := strconv.Atoi(string(get(varGet(put([]byte("count"))))))
	n++
	varSet(put([]byte("count")), put([]byte(strconv.Itoa(n))))
	output(strconv.Itoa(n))
	return 0
}

//go:wasmexport risk
func risk() int32 {
	output("score=" + string(get(riskScore(put(input())))))
	return 0
}

//go:wasmexport fail
func fail() int32 {
	errorSet(put([]byte("something went wrong")))
	return 1
}

func main() {}
