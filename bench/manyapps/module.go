package main

import (
	"encoding/binary"
	"fmt"
)

// helloModule returns a WASI command module that writes a CGI response
// with body as its body: examples/hello/hello.wat, byte for byte, with
// another message. Each message gives a distinct module, so each app has
// its own hash and its own compiled code.
func helloModule(body string) []byte {
	response := "Content-Type: text/plain\n\n" + body
	m := []byte("\x00asm\x01\x00\x00\x00")
	section := func(id byte, content []byte) {
		m = append(m, id)
		m = binary.AppendUvarint(m, uint64(len(content)))
		m = append(m, content...)
	}
	name := func(b []byte, s string) []byte {
		return append(binary.AppendUvarint(b, uint64(len(s))), s...)
	}
	const i32, funcType, exportFunc, exportMemory = 0x7f, 0x60, 0x00, 0x02

	// Types: 0 is fd_write's (i32 i32 i32 i32) -> i32, 1 is _start's () -> ().
	section(1, []byte{2, funcType, 4, i32, i32, i32, i32, 1, i32, funcType, 0, 0})
	imports := name(name([]byte{1}, "wasi_snapshot_preview1"), "fd_write")
	section(2, append(imports, 0x00, 0)) // a function of type 0
	section(3, []byte{1, 1})             // one function, of type 1
	section(5, []byte{1, 0x00, 1})       // one memory, minimum 1 page, no maximum
	exports := append(name([]byte{2}, "memory"), exportMemory, 0)
	exports = append(name(exports, "_start"), exportFunc, 1) // function 1: after the import
	section(7, exports)

	// _start: fd_write(1 /* stdout */, 0 /* iovecs */, 1 /* one */, 8 /* nwritten */), dropped.
	const i32Const, call, drop, end = 0x41, 0x10, 0x1a, 0x0b
	body0 := []byte{0 /* no locals */, i32Const, 1, i32Const, 0, i32Const, 1, i32Const, 8, call, 0, drop, end}
	section(10, append(binary.AppendUvarint([]byte{1}, uint64(len(body0))), body0...))

	// Data: the iovec {ptr 16, len} at 0, the response at 16.
	iovec := binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, 16), uint32(len(response)))
	data := []byte{2}
	data = append(data, 0x00, i32Const, 0, end)
	data = append(binary.AppendUvarint(data, uint64(len(iovec))), iovec...)
	data = append(data, 0x00, i32Const, 16, end)
	data = append(binary.AppendUvarint(data, uint64(len(response))), response...)
	section(11, data)
	return m
}

// appName, appRoute and appBody name app i and say what it answers.
func appName(i int) string  { return fmt.Sprintf("app%05d", i) }
func appRoute(i int) string { return "/" + appName(i) }
func appBody(i int) string  { return fmt.Sprintf("Hello from %s!\n", appName(i)) }
