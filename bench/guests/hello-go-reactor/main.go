//go:build wasip1

// Command hello-go-reactor is hello-go built as a Wisp reactor (see
// docs/reactors.md): the same answer, "Hello, world!", from an exported
// wisp_handle instead of main. Wisp runs the Go runtime's start-up once at
// deploy time and starts every request from a snapshot of it, which is
// what this module measures next to the command. Only Wisp can serve it.
//
// Build: bench/guests/build.sh (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared).
package main

import "os"

//go:wasmexport wisp_handle
func handle() {
	os.Stdout.WriteString("Content-Type: text/plain\n\nHello, world!\n")
}

func main() {}
