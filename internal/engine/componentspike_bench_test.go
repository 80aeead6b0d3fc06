package engine

// The spike's benchmarks (componentspike_test.go has the graph itself,
// renamed with the production plan.RenameImports; docs/components.md the
// design and the numbers).

import (
	"context"
	"crypto/rand"
	"encoding/binary"
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
	b.Cleanup(pool.regions.close)
	img, err := newMemoryImage(&pool.regions, data)
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
