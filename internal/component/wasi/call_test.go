package wasi

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/wisphq/wisp/internal/component/canon"
)

// memory is a linear memory over a byte slice.
type memory []byte

func (m memory) Read(off, n uint32) ([]byte, bool) {
	if uint64(off)+uint64(n) > uint64(len(m)) {
		return nil, false
	}
	return m[off : off+n], true
}

func (m memory) Write(off uint32, v []byte) bool {
	if uint64(off)+uint64(len(v)) > uint64(len(m)) {
		return false
	}
	copy(m[off:], v)
	return true
}

func (m memory) Size() uint32 { return uint32(len(m)) }

// guest plays a component instance calling the functions the way the
// engine will (canon lower): lift the core arguments, Call, lower the
// results into its memory.
type guest struct {
	t    *testing.T
	s    *State
	ifs  map[string]Interface
	mem  memory
	next uint32
	inst *canon.Instance
	ctx  context.Context // nil: context.Background()
}

func newGuest(t *testing.T, s *State) *guest {
	return &guest{t: t, s: s, ifs: Interfaces(), mem: make(memory, 1<<16), next: 1024, inst: canon.NewInstance(nil)}
}

func (g *guest) realloc(_, _, align, size uint32) (uint32, error) {
	p := (g.next + align - 1) &^ (align - 1)
	if uint64(p)+uint64(size) > uint64(len(g.mem)) {
		return 0, errors.New("out of memory")
	}
	g.next = p + size
	return p, nil
}

// call makes the core call iface.name(flat...) and returns the core
// results (or the error that ends the call).
func (g *guest) call(iface, name string, flat ...uint64) ([]uint64, error) {
	g.t.Helper()
	f, found := g.ifs[iface][name]
	if !found {
		g.t.Fatalf("%s %s is not implemented", iface, name)
	}
	cx := &canon.Context{Memory: g.mem, Encoding: canon.UTF8, Realloc: g.realloc, Instance: g.inst, Subtask: &canon.Subtask{}}
	defer cx.Subtask.Finish()
	args, err := cx.LiftParams(&f.Type, flat)
	if err != nil {
		return nil, err
	}
	ctx := g.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	res, err := f.Call(ctx, g.s, args)
	if err != nil {
		return nil, err
	}
	return cx.LowerResults(&f.Type, flat, res)
}

// must is call that fails the test on an error.
func (g *guest) must(iface, name string, flat ...uint64) []uint64 {
	g.t.Helper()
	res, err := g.call(iface, name, flat...)
	if err != nil {
		g.t.Fatalf("%s %s: %v", iface, name, err)
	}
	return res
}

// bytesAt puts b in the guest's memory and returns its (pointer, length).
func (g *guest) bytesAt(b []byte) (uint64, uint64) {
	p, _ := g.realloc(0, 0, 1, uint32(len(b)))
	copy(g.mem[p:], b)
	return uint64(p), uint64(len(b))
}

func (g *guest) u32(p uint64) uint32 {
	b := g.mem[p : p+4]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// The adapter's fd_write path: get-stdout, blocking-write-and-flush through
// guest memory, drop; then the hostile part: drop the handle again.
func TestGuestWritesStdoutAndDropsTwice(t *testing.T) {
	var out bytes.Buffer
	g := newGuest(t, &State{Stdout: &out})
	h := g.must("wasi:cli/stdout", "get-stdout")[0]
	if g.inst.Handles() != 1 || g.s.Resources() != 1 {
		t.Fatalf("after get-stdout: %d handles, %d resources; want 1 and 1", g.inst.Handles(), g.s.Resources())
	}
	p, n := g.bytesAt([]byte("hello, component\n"))
	retp := uint64(8)
	g.must("wasi:io/streams", "[method]output-stream.blocking-write-and-flush", h, p, n, retp)
	if g.mem[retp] != 0 {
		t.Fatalf("blocking-write-and-flush returned case %d, want ok", g.mem[retp])
	}
	if out.String() != "hello, component\n" {
		t.Fatalf("stdout got %q", out.String())
	}
	g.must("wasi:io/streams", "[resource-drop]output-stream", h)
	if g.inst.Handles() != 0 || g.s.Resources() != 0 {
		t.Fatalf("after drop: %d handles, %d resources; want 0 and 0", g.inst.Handles(), g.s.Resources())
	}
	for _, tc := range []struct {
		name  string
		iface string
		fn    string
		flat  []uint64
	}{
		{"drop again", "wasi:io/streams", "[resource-drop]output-stream", []uint64{h}},
		{"write after drop", "wasi:io/streams", "[method]output-stream.check-write", []uint64{h, retp}},
		{"drop as another resource", "wasi:io/poll", "[resource-drop]pollable", []uint64{h}},
		{"handle never given", "wasi:io/streams", "[resource-drop]input-stream", []uint64{77}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := g.call(tc.iface, tc.fn, tc.flat...)
			if !canon.IsTrap(err) {
				t.Fatalf("want a trap, got %v", err)
			}
		})
	}
	// A handle of the wrong resource type traps too.
	hin := g.must("wasi:cli/stdin", "get-stdin")[0]
	if _, err := g.call("wasi:io/streams", "[resource-drop]output-stream", hin); !canon.IsTrap(err) {
		t.Fatalf("dropping an input-stream as an output-stream: want a trap, got %v", err)
	}
}

// Results with lists, strings and variants lower through canon into guest
// memory with the values the functions return.
func TestGuestReadsEnvironment(t *testing.T) {
	g := newGuest(t, &State{Env: []string{"A=1", "B=x=y"}, Args: []string{"prog", "-v"}})
	retp := uint64(8)
	g.must("wasi:cli/environment", "get-environment", retp)
	ptr, n := g.u32(retp), g.u32(retp+4)
	if n != 2 {
		t.Fatalf("get-environment lowered %d entries, want 2", n)
	}
	var got []string
	for i := range n {
		e := uint64(ptr + 16*i)
		k := string(g.mem[g.u32(e) : g.u32(e)+g.u32(e+4)])
		v := string(g.mem[g.u32(e+8) : g.u32(e+8)+g.u32(e+12)])
		got = append(got, k+"="+v)
	}
	if got[0] != "A=1" || got[1] != "B=x=y" {
		t.Fatalf("get-environment got %q", got)
	}
	g.must("wasi:cli/environment", "get-arguments", retp)
	if g.u32(retp+4) != 2 {
		t.Fatalf("get-arguments lowered %d arguments, want 2", g.u32(retp+4))
	}
	g.must("wasi:clocks/wall-clock", "now", retp)
	g.must("wasi:random/insecure-seed", "insecure-seed", retp)
	g.must("wasi:filesystem/preopens", "get-directories", retp)
	if g.u32(retp+4) != 0 {
		t.Fatalf("get-directories lowered %d preopens, want none", g.u32(retp+4))
	}
	h := g.must("wasi:cli/stdin", "get-stdin")[0]
	g.must("wasi:io/streams", "[method]input-stream.read", h, 10, retp)
	if g.mem[retp] != 1 || g.mem[retp+4] != 1 {
		t.Fatalf("read of an empty stdin: got result case %d, stream-error case %d; want err(closed)", g.mem[retp], g.mem[retp+4])
	}
}
