// Command gomem is a memory bomb written in Go: it allocates 1 MiB blocks
// and keeps them all, writing "allocated N MiB" to stderr every 8 MiB
// (with println, so the module needs no package but the runtime),
// until the Go runtime inside the guest cannot grow linear memory any more
// and dies ("fatal error: out of memory", exit code 2). It never writes a
// response.
//
// Build (from tests/hostile/testdata/gomem, or ../build.sh):
//
//	GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags=-s -o gomem.wasm main.go
package main

func main() {
	var keep [][]byte
	for mib := 1; ; mib++ {
		block := make([]byte, 1<<20)
		for i := range block {
			block[i] = byte(mib) // touch every byte: no lazily zeroed pages
		}
		keep = append(keep, block)
		if mib%8 == 0 {
			println("allocated", mib, "MiB") // the runtime writes it to stderr
		}
	}
}
