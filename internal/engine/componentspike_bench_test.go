package engine

// The spike's benchmarks and the byte-level import renamer it uses
// (componentspike_test.go has the graph itself; docs/components.md the
// design and the numbers).

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// BenchmarkComponentSpike is the per-request cost of the graph (four
// anonymous instances wired by the resolver, the table filled by an
// element segment) against one core module doing the same work.
func BenchmarkComponentSpike(b *testing.B) {
	rt := newSpikeRuntime(b, 16)
	for _, bc := range []struct {
		name  string
		plan  []spikeStep
		entry int
	}{
		{"graph", spikePlan, 1},
		{"monolith", monolithPlan, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := deploySpike(b, rt, bc.plan)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := c.runOnce(ctx, bc.entry); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkComponentSpikeHeap is a 13 MB pre-initialized heap (a
// componentize-js component's main memory) instantiated per request, as
// active data segments copied into a zeroed pooled memory (what wazero does
// with the module as shipped) and as the reactors' copy-on-write image of
// the same bytes (the module rewritten without its data). Each request
// writes one byte in each of 256 pages (1 MiB); untouched writes none.
func BenchmarkComponentSpikeHeap(b *testing.B) {
	const pages = 13 << 4 // 13 MiB
	data := make([]byte, pages*pageSize)
	for i := range data {
		data[i] = byte(i*7 + 1)
	}
	rt := newSpikeRuntime(b, pages)
	ctx := context.Background()
	pool := &memoryPool{}
	img, err := newMemoryImage(data)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { img.close() })
	touch := func(m api.Module, pages uint32) {
		mem := m.Memory()
		for p := range pages {
			if v, _ := mem.ReadByte(p * 4096); v != byte(int(p*4096)*7+1) {
				b.Fatalf("page %d: the heap's bytes are not there", p)
			}
			mem.WriteByte(p*4096, 0)
		}
	}
	for _, bc := range []struct {
		name    string
		module  []byte
		memory  func() experimentalMemory
		touched uint32
	}{
		{"data-segments", heapModule(pages, data), func() experimentalMemory { return &instanceMemory{pool: pool} }, 256},
		{"cow-image", heapModule(pages, nil), func() experimentalMemory { return img.instanceMemory(pool, pages*pageSize) }, 256},
		{"cow-image-untouched", heapModule(pages, nil), func() experimentalMemory { return img.instanceMemory(pool, pages*pageSize) }, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cm, err := rt.CompileModule(ctx, bc.module)
			if err != nil {
				b.Fatal(err)
			}
			cfg := wazero.NewModuleConfig().WithName("").WithRandSource(rand.Reader)
			b.ReportAllocs()
			for b.Loop() {
				mem := bc.memory()
				m, err := rt.InstantiateModule(withMemory(ctx, mem), cm, cfg)
				if err != nil {
					b.Fatal(err)
				}
				touch(m, bc.touched)
				m.Close(ctx)
				mem.Free()
			}
		})
	}
}

// heapModule encodes a module with one memory of pages pages and, if data
// is not nil, one active data segment holding it at 0.
func heapModule(pages uint32, data []byte) []byte {
	section := func(out []byte, id byte, body []byte) []byte {
		out = append(out, id)
		out = binary.AppendUvarint(out, uint64(len(body)))
		return append(out, body...)
	}
	out := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	mem := binary.AppendUvarint([]byte{1, 1}, uint64(pages)) // one memory, min and max
	out = section(out, 5, binary.AppendUvarint(mem, uint64(pages)))
	if data != nil {
		seg := []byte{1, 0, 0x41, 0, 0x0b} // one active segment at i32.const 0
		seg = binary.AppendUvarint(seg, uint64(len(data)))
		out = section(out, 11, append(seg, data...))
	}
	return out
}

// renameImports rewrites the names of a core module's imports with to,
// leaving every other byte as it is. It is how the plan points each import
// at ("i<k>", export) so one resolver answer per import module serves it.
func renameImports(wasm []byte, to func(mod, name string) (string, string, error)) ([]byte, error) {
	if len(wasm) < 8 {
		return nil, errors.New("rename imports: not a module")
	}
	out := append([]byte(nil), wasm[:8]...)
	r := &wasmReader{b: wasm[8:]}
	for len(r.b) > 0 && !r.bad {
		id := r.take(1)
		body := r.take(r.uleb())
		if r.bad {
			break
		}
		if id[0] == 2 {
			var err error
			if body, err = renameSection(&wasmReader{b: body}, to); err != nil {
				return nil, fmt.Errorf("rename imports: %w", err)
			}
		}
		out = append(append(out, id[0]), binary.AppendUvarint(nil, uint64(len(body)))...)
		out = append(out, body...)
	}
	if r.bad {
		return nil, errors.New("rename imports: truncated section")
	}
	return out, nil
}

// wasmReader reads a module's bytes; bad is set at the first overrun.
type wasmReader struct {
	b   []byte
	bad bool
}

func (r *wasmReader) uleb() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *wasmReader) take(n uint64) []byte {
	if r.bad || uint64(len(r.b)) < n {
		r.bad = true
		return []byte{0}
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *wasmReader) limits() {
	if r.take(1)[0]&1 != 0 {
		r.uleb()
	}
	r.uleb()
}

func renameSection(r *wasmReader, to func(mod, name string) (string, string, error)) ([]byte, error) {
	count := r.uleb()
	out := binary.AppendUvarint(nil, count)
	for i := uint64(0); i < count && !r.bad; i++ {
		mod, name := string(r.take(r.uleb())), string(r.take(r.uleb()))
		start := r.b
		switch r.take(1)[0] {
		case 0: // func: type index
			r.uleb()
		case 1: // table: reftype, limits
			r.take(1)
			r.limits()
		case 2: // memory: limits
			r.limits()
		case 3: // global: valtype, mutability
			r.take(2)
		default:
			r.bad = true
		}
		if r.bad {
			break
		}
		newMod, newName, err := to(mod, name)
		if err != nil {
			return nil, err
		}
		for _, n := range []string{newMod, newName} {
			out = append(binary.AppendUvarint(out, uint64(len(n))), n...)
		}
		out = append(out, start[:len(start)-len(r.b)]...)
	}
	if r.bad || len(r.b) != 0 {
		return nil, errors.New("malformed import section")
	}
	return out, nil
}
