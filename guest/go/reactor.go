//go:build wasip1 && wisp_reactor

package wisp

import _ "unsafe" // for go:linkname

// mainMain is the program's main function, the one that calls Serve.
//
//go:linkname mainMain main.main
func mainMain()

// wispHandle is the reactor's request handler, which Wisp calls once per
// request on an instance started from the snapshot taken after
// _initialize (package initialization). It runs main, whose call to Serve
// handles the request from the environment of this request, so the same
// main works in a command and in a reactor.
//
//go:wasmexport wisp_handle
func wispHandle() { mainMain() }
