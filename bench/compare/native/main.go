// Command native is the peer benchmark's upper bound (bench/compare): a
// plain Go net/http server whose handler answers every request with
// "Hello, world!\n" as text/plain, with no WebAssembly at all. Whatever a
// server running a guest module per request reaches is measured against it.
//
// Usage:
//
//	native -listen 127.0.0.1:8080
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to serve on")
	flag.Parse()
	hello := []byte("Hello, world!\n")
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(hello)
	})
	if err := http.ListenAndServe(*listen, handler); err != nil {
		fmt.Fprintln(os.Stderr, "native:", err)
		os.Exit(1)
	}
}
