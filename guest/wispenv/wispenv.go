//go:build wasip1

// Package wispenv gives a Go Wisp app the environment of the request it is
// handling. Use it instead of os.Getenv and os.Environ in a reactor (a Go
// module built with -buildmode=c-shared that exports wisp_handle): the Go
// runtime copies the environment once, when the module initializes, and
// Wisp initializes a reactor once at deploy time, so os.Getenv sees the
// app's [env] but never a request's CGI variables. This package asks the
// host on every call, so it sees both. In a command module (package main
// with a main function) it returns what os.Environ would.
//
//	//go:wasmexport wisp_handle
//	func handle() {
//		fmt.Printf("Content-Type: text/plain\n\nYou asked for %s\n", wispenv.Getenv("PATH_INFO"))
//	}
//
// It has no dependencies outside the standard library and builds only for
// GOOS=wasip1.
package wispenv

import (
	"bytes"
	"strings"
	"unsafe"
)

//go:wasmimport wasi_snapshot_preview1 environ_sizes_get
//go:noescape
func environSizesGet(count, size *uint32) uint32

//go:wasmimport wasi_snapshot_preview1 environ_get
//go:noescape
func environGet(ptrs *uint32, buf *byte) uint32

// Environ returns the current invocation's environment as KEY=VALUE
// strings, or nil if the host refuses to give it.
func Environ() []string {
	var count, size uint32
	if environSizesGet(&count, &size) != 0 || count == 0 {
		return nil
	}
	ptrs := make([]uint32, count)
	buf := make([]byte, size)
	if environGet(&ptrs[0], &buf[0]) != 0 {
		return nil
	}
	base := uint32(uintptr(unsafe.Pointer(&buf[0])))
	env := make([]string, 0, count)
	for _, p := range ptrs {
		kv := buf[p-base:]
		if end := bytes.IndexByte(kv, 0); end >= 0 {
			kv = kv[:end]
		}
		env = append(env, string(kv))
	}
	return env
}

// Getenv returns the value of the variable key in the current invocation's
// environment, or "" if it is not set.
func Getenv(key string) string {
	v, _ := Lookup(key)
	return v
}

// Lookup returns the value of the variable key in the current
// invocation's environment and whether it is set.
func Lookup(key string) (string, bool) {
	for _, kv := range Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}
