package engine

import (
	"testing"
)

// TestRegionPoolAccounting checks the region pool's books: what instances
// hold and free regions keep resident is counted in held, the resident
// cap counts pages an earlier instance left resident above a later one's
// use, and every region comes back zeroed.
func TestRegionPoolAccounting(t *testing.T) {
	var p regionPool
	defer p.close()
	const size = 64 << 20
	var regions [][]byte
	for range 8 {
		r, base := p.get(size)
		if r == nil || base != 0 {
			t.Fatalf("get: %d bytes, %d resident; want a fresh region", len(r), base)
		}
		regions = append(regions, r)
	}
	// Each instance touches 16 MiB, then a later one only 4 KiB.
	for _, r := range regions {
		p.grew(16 << 20)
		for i := 0; i < 16<<20; i += pageSize {
			r[i] = 1
		}
	}
	if got := p.held.Load(); got != 8*16<<20 {
		t.Fatalf("held %d; want %d", got, 8*16<<20)
	}
	for _, r := range regions {
		p.put(r, 16<<20, 0)
	}
	for range regions {
		r, base := p.get(size)
		for i := 0; i < int(base); i += pageSize {
			if r[i] != 0 {
				t.Fatalf("byte %d of a pooled region is %d; want zero", i, r[i])
			}
		}
		if base < pageSize {
			p.grew(pageSize - base) // as instanceMemory reports its growth
		}
		r[0] = 2
		p.put(r, pageSize, base)
	}
	if p.resident > maxPooledResident {
		t.Errorf("free regions keep %d bytes resident; want at most %d", p.resident, maxPooledResident)
	}
	if got := p.held.Load(); got != int64(p.resident) {
		t.Errorf("held %d with no region in use; want the %d the free regions keep", got, p.resident)
	}
}
