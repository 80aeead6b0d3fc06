package engine

import (
	"context"
	"fmt"
	"testing"
)

// TestReuseWithoutPagemap resets reused instances the other way, by
// mapping the image again, as where /proc/self/pagemap cannot be read:
// every request must still start pristine.
func TestReuseWithoutPagemap(t *testing.T) {
	p := reusePrepared(t)
	if p.snap.image.file.pagemap == nil {
		t.Skip("/proc/self/pagemap is not readable here: the remapping path is the only one")
	}
	p.snap.image.file.pagemap.Close()
	p.snap.image.file.pagemap = nil // copied into each instance's memory from now on
	for i := range 4 {
		secret := fmt.Sprintf("remap-%d", i)
		out, err := runProbe(context.Background(), p, "ok", secret)
		if err != nil {
			t.Fatal(err)
		}
		checkPristine(t, out, "ok", secret)
	}
	if reused := p.pool.reused.Load(); reused != 3 {
		t.Errorf("%d requests on a reused instance, want 3", reused)
	}
}
