package hostile

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/component/binary"
)

// componentRefusalTime bounds how long the node may take to refuse a
// hostile component: the decoder's caps make every refusal cheap, so a
// slow one means a cap did not hold.
const componentRefusalTime = 5 * time.Second

// componentPreamble starts every component: the magic, version 0x0d and
// layer 1 (Binary.md).
var componentPreamble = []byte{0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00}

// Component section ids (Binary.md).
const (
	coreModuleSection = 1
	componentSection  = 4
	typeSection       = 7
	importSection     = 10
)

// component returns a component of the given sections.
func component(sections ...[]byte) []byte {
	return bytes.Join(append([][]byte{componentPreamble}, sections...), nil)
}

// section returns a section of id holding body.
func section(id byte, body []byte) []byte {
	return append(append([]byte{id}, uleb(len(body))...), body...)
}

// name encodes a name: its length, then its bytes.
func name(s string) []byte { return append(uleb(len(s)), s...) }

// componentBomb is one hostile component binary and what its refusal
// must name.
type componentBomb struct {
	name string
	wasm []byte
	want []string // the deploy's error names these (lower case)
}

// componentBombs builds the hostile components: malformed encodings, the
// decoder's caps (binary.MaxDepth, MaxVecLen, MaxItems), a core module
// that is a compile bomb, and an import the node does not provide.
func componentBombs(t *testing.T) []componentBomb {
	t.Helper()
	counter, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "components", "counter.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	localsBomb, err := os.ReadFile(hostileGuest("localsbomb.wasm"))
	if err != nil {
		t.Fatal(err)
	}

	// Nested components, each the only section of its parent, deeper
	// than the decoder follows.
	nested := component()
	for range binary.MaxDepth + 4 {
		nested = component(section(componentSection, nested))
	}

	// A type section of records, each a few bytes, more than the
	// decoder reads in one component: MaxItems counts every field.
	var types []byte
	records := binary.MaxVecLen
	types = append(types, uleb(records)...)
	for range records {
		types = append(types, 0x72, 0x03) // record, three fields
		for _, label := range []string{"a", "b", "c"} {
			types = append(append(types, name(label)...), 0x7f) // bool
		}
	}

	// An instance type with no declarations, imported under the name of
	// an interface the node does not provide.
	unknown := component(
		section(typeSection, []byte{0x01, 0x42, 0x00}),
		section(importSection, append(append([]byte{0x01, 0x00}, name("acme:cache/lookup@1.0.0")...), 0x05, 0x00)),
	)

	return []componentBomb{
		{"truncated", counter[:len(counter)/2], []string{"component binary", "remain"}},
		{"bad-section-id", component(section(0x20, nil)), []string{"component binary", "unknown section id 32"}},
		{"huge-count", component(section(typeSection, uleb(0xffff_ffff))), []string{"component binary", "type count 4294967295"}},
		{"deep-nesting", nested, []string{"component binary", "nest deeper"}},
		{"huge-type-section", component(section(typeSection, types)), []string{"component binary", "type section", "budget"}},
		{"locals-bomb-core-module", replaceFirstCoreModule(t, counter, localsBomb), []string{"local"}},
		{"unsupported-import", unknown, []string{"acme:cache/lookup@1.0.0", "not an interface wisp provides"}},
	}
}

// replaceFirstCoreModule returns comp with the body of its first
// top-level core module section replaced by module: a command component
// the world check accepts, whose program is module.
func replaceFirstCoreModule(t *testing.T, comp, module []byte) []byte {
	t.Helper()
	for i := len(componentPreamble); i < len(comp); {
		id := comp[i]
		size, n := readULEB(comp[i+1:])
		if n == 0 {
			break
		}
		start := i + 1 + n
		end := start + size
		if end > len(comp) {
			break
		}
		if id == coreModuleSection {
			out := append([]byte(nil), comp[:i]...)
			out = append(out, section(coreModuleSection, module)...)
			return append(out, comp[end:]...)
		}
		i = end
	}
	t.Fatal("the component has no top-level core module section")
	return nil
}

// readULEB decodes an unsigned LEB128 of at most 32 bits from b, returning
// it and the bytes it took (0 if b does not start with one).
func readULEB(b []byte) (int, int) {
	v := 0
	for i := 0; i < len(b) && i < 5; i++ {
		v |= int(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// TestComponentBombs deploys each hostile component through the real
// node: each must be refused quickly, with an error naming the problem,
// no app stored, and the node healthy afterwards.
func TestComponentBombs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node; run without -short")
	}
	s := startSuite(t)
	dir := t.TempDir()
	for _, b := range componentBombs(t) {
		t.Run(b.name, func(t *testing.T) {
			app := "bomb-" + b.name
			file := filepath.Join(dir, app+".wasm")
			if err := os.WriteFile(file, b.wasm, 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*bombDeployTimeout)
			defer cancel()
			start := time.Now()
			res, err := s.n.WispContext(ctx, "deploy", file, "--name", app, "--route", "/"+app)
			took := time.Since(start)
			if exit := s.n.Exited(); exit != nil {
				t.Fatalf("deploying %s (%d bytes) took the node down:\n%v", b.name, len(b.wasm), exit)
			}
			if err != nil {
				t.Fatalf("deploying %s did not finish: %v", b.name, err)
			}
			msg := strings.TrimSpace(res.Stderr)
			t.Logf("%s (%d bytes): exit %d after %s: %s", b.name, len(b.wasm), res.Code, took.Round(time.Millisecond), msg)
			if res.Code != 1 {
				t.Errorf("wisp deploy %s: exit %d, want 1 (refused)\nstdout: %s\nstderr: %s", b.name, res.Code, res.Stdout, res.Stderr)
			}
			for _, w := range b.want {
				if !strings.Contains(strings.ToLower(msg), w) {
					t.Errorf("the refusal %q does not name %q", msg, w)
				}
			}
			if took > componentRefusalTime {
				t.Errorf("the refusal took %s, more than %s", took.Round(time.Millisecond), componentRefusalTime)
			}
			if s.lists(t, app) {
				t.Errorf("the refused app %s is listed", app)
			}
			if res := s.wisp(t, "app", app); res.Code == 0 {
				t.Errorf("the refused app was stored:\n%s", res.Stdout)
			}
			// wisp deploy uploads the module before the node validates it,
			// so the blob store keeps the refused bytes, as it does for a
			// refused preview 1 module: not an app, nothing that serves.
			if s.hasBlob(t, b.wasm) {
				t.Logf("the blob store keeps the uploaded bytes (%d), like any refused module's", len(b.wasm))
			}
			s.healthy(t)
		})
	}
}
