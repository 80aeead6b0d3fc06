package engine

import (
	"context"
	"io"
	"testing"

	"github.com/wisphq/wisp/internal/component/wasi"
)

func TestTmpComp(t *testing.T) {
	e := newEngine(t, "")
	for _, name := range []string{"counter", "printenv"} {
		tc := compileComponent(t, e, name)
		t.Logf("%s snapshotted=%v pool=%v image=%v sparse=%d", name, tc.c.snapshotted, tc.c.pool != nil, tc.c.image != nil, len(tc.c.sparse))
		if tc.c.pool == nil {
			continue
		}
		for i := 0; i < 3; i++ {
			err := tc.runCommand(context.Background(), &wasi.State{Args: []string{name}, Stdout: io.Discard})
			t.Logf("err=%v", err)
		}
		t.Logf("fresh=%d reused=%d", tc.c.pool.fresh.Load(), tc.c.pool.reused.Load())
	}
}
