package wisp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wisphq/wisp"
)

// randomGetLoop is a WASI command whose _start calls random_get for 4 MiB
// in a loop forever: its time is in the host.
func randomGetLoop() []byte {
	b := []byte{0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00}
	b = append(b, 0x01, 0x0A, 0x02, 0x60, 0x02, 0x7F, 0x7F, 0x01, 0x7F, 0x60, 0x00, 0x00)
	imp := []byte{0x01, 22}
	imp = append(imp, "wasi_snapshot_preview1"...)
	imp = append(imp, 10)
	imp = append(imp, "random_get"...)
	imp = append(imp, 0x00, 0x00)
	b = append(b, 0x02, byte(len(imp)))
	b = append(b, imp...)
	b = append(b, 0x03, 0x02, 0x01, 0x01, 0x05, 0x03, 0x01, 0x00, 0x40)
	b = append(b, 0x07, 0x13, 0x02,
		0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
		0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x01)
	fn := []byte{0x00, 0x03, 0x40, 0x41, 0x00, 0x41, 0x80, 0x80, 0x80, 0x02, 0x10, 0x00, 0x1A, 0x0C, 0x00, 0x0B, 0x0B}
	code := append([]byte{0x01, byte(len(fn))}, fn...)
	b = append(b, 0x0A, byte(len(code)))
	return append(b, code...)
}

// TestCPULimitOnEveryPath: a guest stopped at its CPU limit gives an error
// matching wisp.ErrCPULimit (and not ErrTimeout) whatever ran it: a
// command, a reactor, a component, a guest whose time is in host calls,
// and the same apps again (pooled or reused instances).
func TestCPULimitOnEveryPath(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	read := func(path string) []byte {
		b, err := os.ReadFile(filepath.FromSlash(path))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	limits := wisp.Limits{CPU: wisp.Duration(10 * time.Millisecond), Timeout: wisp.Duration(time.Minute)}
	for _, tc := range []struct {
		name string
		wasm []byte
	}{
		{"command", read("testdata/wasm/loop.wasm")},
		{"reactor", read("testdata/wasm/spin-reactor.wasm")},
		{"component", read("testdata/components/extra/loop.wasm")},
		{"host-calls", randomGetLoop()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, err := n.PutBlob(ctx, bytes.NewReader(tc.wasm))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := n.Deploy(ctx, wisp.AppSpec{Name: tc.name, Module: info.Digest, Routes: routes(t, "/"+tc.name), Limits: limits}); err != nil {
				t.Fatal(err)
			}
			for i := range 2 { // the second on a pooled or reused instance where there is one
				err := n.InvokeApp(ctx, tc.name, wisp.Input{Args: []string{tc.name}, Stdout: io.Discard})
				if !errors.Is(err, wisp.ErrCPULimit) || errors.Is(err, wisp.ErrTimeout) {
					t.Fatalf("run %d: err = %v; want ErrCPULimit", i+1, err)
				}
			}
		})
	}
}
