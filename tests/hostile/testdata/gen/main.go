// Command gen writes the hostile modules that are easier to assemble byte by
// byte than to write as WAT (wat2wasm refuses or chokes on them):
//
//	localsbomb.wasm  _start declares 2^32-1 i32 locals in two entries
//	                 (0x7fffffff + 0x80000000); a compiler that allocates
//	                 per local needs tens of gigabytes
//	nestbomb.wasm    _start nests 131,072 empty blocks, deep enough to
//	                 exhaust a recursive validator or compiler
//
// Both are otherwise valid WASI commands that export "memory" and
// "_start" and import nothing. Run from tests/hostile/testdata:
//
//	go run ./gen
package main

import (
	"bytes"
	"fmt"
	"os"
)

// nestDepth is how many blocks nestbomb.wasm nests.
const nestDepth = 1 << 17

func main() {
	for name, body := range map[string][]byte{
		"localsbomb.wasm": localsBomb(),
		"nestbomb.wasm":   nestBomb(nestDepth),
	} {
		if err := os.WriteFile(name, command(body), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "gen: %v\n", err)
			os.Exit(1)
		}
		fmt.Println("wrote", name)
	}
}

// localsBomb is a function body declaring 0x7fffffff + 0x80000000 i32
// locals and doing nothing.
func localsBomb() []byte {
	var b []byte
	b = uleb(b, 2) // two local declarations
	b = uleb(b, 0x7fffffff)
	b = append(b, 0x7f) // i32
	b = uleb(b, 0x80000000)
	b = append(b, 0x7f)
	return append(b, 0x0b) // end
}

// nestBomb is a function body of depth nested empty blocks.
func nestBomb(depth int) []byte {
	b := []byte{0x00}                                         // no locals
	b = append(b, bytes.Repeat([]byte{0x02, 0x40}, depth)...) // block (no result)
	b = append(b, bytes.Repeat([]byte{0x0b}, depth)...)       // end of each block
	return append(b, 0x0b)                                    // end of the function
}

// command wraps a function body into a module with one memory page and
// that function exported as _start.
func command(body []byte) []byte {
	m := []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}
	m = section(m, 1, []byte{0x01, 0x60, 0x00, 0x00})     // type: () -> ()
	m = section(m, 3, []byte{0x01, 0x00})                 // function 0 has type 0
	m = section(m, 5, []byte{0x01, 0x00, 0x01})           // memory: min 1, no max
	exports := []byte{0x02}                               // two exports
	exports = append(name(exports, "memory"), 0x02, 0x00) // memory 0
	exports = append(name(exports, "_start"), 0x00, 0x00) // function 0
	m = section(m, 7, exports)                            // export
	code := uleb([]byte{0x01}, uint64(len(body)))         // one body
	return section(m, 10, append(code, body...))          // code
}

func section(m []byte, id byte, content []byte) []byte {
	m = append(m, id)
	m = uleb(m, uint64(len(content)))
	return append(m, content...)
}

func name(b []byte, s string) []byte {
	b = uleb(b, uint64(len(s)))
	return append(b, s...)
}

// uleb appends v in unsigned LEB128.
func uleb(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			c |= 0x80
		}
		b = append(b, c)
		if v == 0 {
			return b
		}
	}
}
