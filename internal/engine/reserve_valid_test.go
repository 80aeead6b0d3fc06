package engine

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/wisphq/wisp/internal/meter"
	"github.com/wisphq/wisp/internal/preinit"
	"github.com/wisphq/wisp/internal/wasmscan"
)

// TestReserveKeepsModulesValid: every core module in the repository that
// wazero accepts, metered as a deploy meters it, is still accepted once
// preinit.Reserve has rewritten its memory instructions (or is refused by
// Reserve with an error, never turned into an invalid module).
func TestReserveKeepsModulesValid(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles every module in the repository")
	}
	var files []string
	filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && p != "../.." {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, ".wasm") {
			files = append(files, p)
		}
		return nil
	})
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	valid, rewritten := 0, 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || len(b) < 8 || string(b[4:8]) != "\x01\x00\x00\x00" || len(b) > 32<<20 {
			continue // not a core module (a component, say), or too large to bother
		}
		if _, err := wasmscan.Scan(b, wasmscan.DefaultLimits); err != nil {
			continue
		}
		if m, err := meter.Instrument(b); err == nil {
			b = m
		}
		cm, err := compileModule(ctx, rt, b)
		if err != nil {
			continue // hostile fixtures wazero refuses
		}
		cm.Close(ctx)
		valid++
		out, err := preinit.Reserve(b)
		if err != nil {
			continue
		}
		if len(out) != len(b) {
			rewritten++
		}
		cm, err = compileModule(ctx, rt, out)
		if err != nil {
			t.Errorf("%s: valid before preinit.Reserve, invalid after: %v", f, err)
			continue
		}
		cm.Close(ctx)
	}
	if valid < 20 || rewritten == 0 {
		t.Fatalf("%d valid modules found, %d rewritten: the walk found too few to say anything", valid, rewritten)
	}
	t.Logf("%d valid modules, %d rewritten", valid, rewritten)
}
