package engine

import (
	"bytes"
	"context"
	"os"
	"testing"
)

type privKey struct{}

// TestPrivateMemoryIsFresh: a step with an unexported memory of its own
// beside the main one. Only the main memory is snapshotted and reset, so
// such a graph must not be reused (nor its private memory rewritten for a
// reserve): every run sees that memory fresh, a page of zeros, never the
// previous run's secret.
func TestPrivateMemoryIsFresh(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile("testdata/privmem/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	e := newEngine(t, "")
	for _, tc := range []struct {
		name  string
		entry *ComponentEntry
	}{
		{"no entry", nil},
		{"an entry that grows the main memory", &ComponentEntry{Step: 0, Name: "grow"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := ComponentSpec{Steps: [][]byte{read("main.wasm"), read("priv.wasm")}, Entry: tc.entry, Host: []ComponentHostFunc{
				{Params: []ValueType{I32, I32}, Fn: func(ctx context.Context, s []uint64) error {
					r := ctx.Value(privKey{}).(*[2]uint32)
					r[0], r[1] = uint32(s[0]), uint32(s[1])
					return nil
				}},
			}}
			c, err := e.CompileComponent(context.Background(), spec, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(context.Background())
			for i := range 3 {
				var r [2]uint32
				ctx := context.WithValue(context.Background(), privKey{}, &r)
				g, err := c.Instantiate(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if tc.entry != nil {
					if _, err := g.Call(ctx, 0, "grow"); err != nil {
						t.Fatal(err)
					}
				}
				_, err = g.Call(ctx, 1, "run")
				g.Close(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if r != [2]uint32{0, 1} {
					t.Fatalf("run %d: the private memory's word 0 is %#x and its size %d pages, want 0 and 1 (a fresh memory)", i, r[0], r[1])
				}
			}
		})
	}
}

// TestResetAfterClose: a run still in progress when its Prepared or
// Component is closed ends without touching the closed image (its memory
// is discarded, not reset from an unmapped view).
func TestResetAfterClose(t *testing.T) {
	t.Run("component closed under a graph", func(t *testing.T) {
		c := compileGrow(t, newEngine(t, ""), true)
		if c.image == nil || c.image.file.view == nil {
			t.Skip("the image is not mapped for reading here")
		}
		var r growReport
		ctx := context.WithValue(context.Background(), growKey{}, &growArgs{report: &r})
		g, err := c.Instantiate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.Call(ctx, 0, "run"); err != nil {
			t.Fatal(err)
		}
		c.Close(context.Background())
		g.Close(ctx) // the reset: must fail, not fault
	})
	t.Run("prepared closed during a run", func(t *testing.T) {
		p := reusePrepared(t)
		if p.snap.image == nil || p.snap.image.file.view == nil {
			t.Skip("the image is not mapped for reading here")
		}
		out, err := runProbe(context.Background(), p, "ok", "first")
		if err != nil {
			t.Fatal(err)
		}
		checkPristine(t, out, "ok", "first")
		// The next run takes the idle instance; the Prepared closes under it.
		var buf bytes.Buffer
		err = p.Run(context.Background(), Call{Args: []string{"probe", "mode=ok", "secret=x"}, Stdout: &buf, Hooks: closeOnStart{p}})
		t.Logf("the run under Close ended with %v", err) // either way: what matters is that the node is still here
	})
}

// closeOnStart closes its Prepared as the run's instance starts.
type closeOnStart struct{ p *Prepared }

func (h closeOnStart) Instantiated() { h.p.Close(context.Background()) }
func (closeOnStart) Ended(uint64)    {}
