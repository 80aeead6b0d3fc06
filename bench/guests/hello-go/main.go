//go:build wasip1

// Command hello-go is the Go hello of the peer benchmark (bench/compare):
// a WASI command module that answers every request with a CGI response, a
// Content-Type header, a blank line and "Hello, world!". Its cost is
// almost all the Go runtime's start-up.
//
// Build: bench/guests/build.sh (GOOS=wasip1 GOARCH=wasm go build).
package main

import "os"

func main() {
	os.Stdout.WriteString("Content-Type: text/plain\n\nHello, world!\n")
}
