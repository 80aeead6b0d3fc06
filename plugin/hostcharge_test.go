package plugin_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wisphq/wisp/plugin"
)

// churnPlugin exports churn, which allocates and frees a 32 MiB Extism
// block forever: its time is in the host, which zeroes the block.
func churnPlugin() []byte {
	b := []byte{0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00}
	// types: 0 (i64)->i64, 1 (i64)->(), 2 ()->i32
	b = append(b, 0x01, 0x0E, 0x03, 0x60, 0x01, 0x7E, 0x01, 0x7E, 0x60, 0x01, 0x7E, 0x00, 0x60, 0x00, 0x01, 0x7F)
	var imp []byte
	imp = append(imp, 0x02)
	for _, f := range []struct {
		name string
		typ  byte
	}{{"alloc", 0}, {"free", 1}} {
		imp = append(imp, byte(len(plugin.EnvNamespace)))
		imp = append(imp, plugin.EnvNamespace...)
		imp = append(imp, byte(len(f.name)))
		imp = append(imp, f.name...)
		imp = append(imp, 0x00, f.typ)
	}
	b = append(b, 0x02, byte(len(imp)))
	b = append(b, imp...)
	b = append(b, 0x03, 0x02, 0x01, 0x02)       // func 2: type 2
	b = append(b, 0x05, 0x03, 0x01, 0x00, 0x01) // memory: 1 page
	b = append(b, 0x07, 0x12, 0x02,
		0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
		0x05, 'c', 'h', 'u', 'r', 'n', 0x00, 0x02)
	fn := []byte{0x01, 0x01, 0x7E, // one i64 local
		0x03, 0x40, // loop
		0x42, 0x80, 0x80, 0x80, 0x10, 0x10, 0x00, 0x21, 0x00, // local 0 = alloc(32 MiB)
		0x20, 0x00, 0x10, 0x01, // free(local 0)
		0x0C, 0x00, 0x0B, // br 0; end
		0x00, 0x0B} // unreachable; end
	code := append([]byte{0x01, byte(len(fn))}, fn...)
	b = append(b, 0x0A, byte(len(code)))
	return append(b, code...)
}

// TestHostWorkCountsTowardCPULimit: a plugin whose time is in Extism's
// alloc and free (zeroing 32 MiB each time) is stopped at its CPU limit:
// the host's work on the block is charged by its bytes. With the flat
// charge of a host call alone it ran for minutes on a 5ms limit.
func TestHostWorkCountsTowardCPULimit(t *testing.T) {
	ctx := context.Background()
	p, err := plugin.Load(ctx, churnPlugin(), plugin.Config{Limits: plugin.Limits{Memory: 256 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := p.CallWith(ctx, "churn", nil, plugin.Limits{CPU: 5 * time.Millisecond, Timeout: 10 * time.Minute, Memory: 256 << 20})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, plugin.ErrCPULimit) {
			t.Fatalf("err = %v; want ErrCPULimit", err)
		}
	case <-time.After(30 * time.Second): // a hang guard, not a timing
		t.Fatal("the plugin was not stopped at its CPU limit")
	}
}
