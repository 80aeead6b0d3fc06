package engine

import (
	"context"
	"fmt"
	"testing"
)

// TestReuseResetPaths resets reused instances the other ways: by reading
// the image file (where it could not be mapped for reading), and by
// mapping the image again (where /proc/self/pagemap cannot be read).
// Every request must still start pristine, on a reused instance.
func TestReuseResetPaths(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, p *Prepared)
	}{
		{"read the file", func(t *testing.T, p *Prepared) {
			img := &p.snap.image.file
			if img.view == nil {
				t.Skip("the image is not mapped for reading here: reading the file is the only way")
			}
			img.view.unmap()
			img.view = nil
		}},
		{"map the image again", func(t *testing.T, p *Prepared) {
			regions := &p.m.e.memory.regions
			if regions.pagemapFile() == nil {
				t.Skip("/proc/self/pagemap is not readable here: the remapping path is the only one")
			}
			regions.pagemap.Close()
			regions.pagemap = nil // instances made from now on map the image again
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := reusePrepared(t)
			tc.setup(t, p)
			for i := range 4 {
				secret := fmt.Sprintf("%s-%d", tc.name, i)
				out, err := runProbe(context.Background(), p, "ok", secret)
				if err != nil {
					t.Fatal(err)
				}
				checkPristine(t, out, "ok", secret)
			}
			if reused := p.pool.reused.Load(); reused != 3 {
				t.Errorf("%d requests on a reused instance, want 3", reused)
			}
		})
	}
}
