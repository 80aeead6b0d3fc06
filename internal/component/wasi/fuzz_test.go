package wasi

import (
	"context"
	"encoding/binary"
	"sort"
	"testing"
	"time"
)

// The core imports of jco's preview 1 adapter in testdata/components (as
// `jco print` lists them: printenv, exit3, stderr, counter, reactor) are all
// implemented.
func TestAdapterImports(t *testing.T) {
	ifs := Interfaces()
	for _, imp := range [][2]string{
		{"wasi:cli/environment", "get-arguments"},
		{"wasi:cli/environment", "get-environment"},
		{"wasi:cli/exit", "exit"},
		{"wasi:cli/stderr", "get-stderr"},
		{"wasi:cli/stdin", "get-stdin"},
		{"wasi:cli/stdout", "get-stdout"},
		{"wasi:cli/terminal-input", "[resource-drop]terminal-input"},
		{"wasi:cli/terminal-output", "[resource-drop]terminal-output"},
		{"wasi:cli/terminal-stderr", "get-terminal-stderr"},
		{"wasi:cli/terminal-stdin", "get-terminal-stdin"},
		{"wasi:cli/terminal-stdout", "get-terminal-stdout"},
		{"wasi:filesystem/preopens", "get-directories"},
		{"wasi:filesystem/types", "[method]descriptor.append-via-stream"},
		{"wasi:filesystem/types", "[method]descriptor.get-flags"},
		{"wasi:filesystem/types", "[method]descriptor.get-type"},
		{"wasi:filesystem/types", "[method]descriptor.read-via-stream"},
		{"wasi:filesystem/types", "[method]descriptor.stat"},
		{"wasi:filesystem/types", "[method]descriptor.write-via-stream"},
		{"wasi:filesystem/types", "[resource-drop]descriptor"},
		{"wasi:filesystem/types", "[resource-drop]directory-entry-stream"},
		{"wasi:filesystem/types", "filesystem-error-code"},
		{"wasi:io/error", "[resource-drop]error"},
		{"wasi:io/streams", "[method]input-stream.blocking-read"},
		{"wasi:io/streams", "[method]input-stream.read"},
		{"wasi:io/streams", "[method]output-stream.blocking-flush"},
		{"wasi:io/streams", "[method]output-stream.blocking-write-and-flush"},
		{"wasi:io/streams", "[method]output-stream.check-write"},
		{"wasi:io/streams", "[method]output-stream.write"},
		{"wasi:io/streams", "[resource-drop]input-stream"},
		{"wasi:io/streams", "[resource-drop]output-stream"},
	} {
		if _, found := ifs[imp[0]][imp[1]]; !found {
			t.Errorf("%s %s, which jco's adapter imports, is not implemented", imp[0], imp[1])
		}
	}
}

// A hostile guest calling any function with any core arguments gets
// results, an error or a trap, never a panic, and never waits past its
// deadline.
func FuzzGuestCalls(f *testing.F) {
	f.Add([]byte{0, 1, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{5, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{40, 1, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0})
	names := func(ifs map[string]Interface) [][2]string {
		var out [][2]string
		for i, fs := range ifs {
			for n := range fs {
				out = append(out, [2]string{i, n})
			}
		}
		sort.Slice(out, func(a, b int) bool { return out[a][0]+" "+out[a][1] < out[b][0]+" "+out[b][1] })
		return out
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g := newGuest(t, &State{})
		all := names(g.ifs)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		defer cancel()
		g.ctx = ctx
		// Each call: one byte picks the function, then 8 bytes per
		// core argument, up to 8 calls.
		for calls := 0; len(data) > 0 && calls < 8; calls++ {
			fn := all[int(data[0])%len(all)]
			data = data[1:]
			var flat []uint64
			for len(data) >= 8 && len(flat) < 6 {
				flat = append(flat, binary.LittleEndian.Uint64(data)%(1<<17))
				data = data[8:]
			}
			g.call(fn[0], fn[1], flat...) //nolint:errcheck // any error is fine
		}
	})
}
