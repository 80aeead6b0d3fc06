package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// To load a released module, wazero needs the module's bytes: it decodes
// them and finds the native code in its cache by their hash. The engine
// keeps a copy of every command module it compiles (reactors keep their
// bytes in memory anyway) in CacheDir/modules, named by
// the SHA-256 of the content, written once at Compile (through a temporary
// file, synced, then renamed: a crash leaves either no file or the whole
// one, never a torn file under the final name) and read back, with its
// hash checked, at each load. Files stay when modules are closed, like
// wazero's cache: a restarted node finds them there.

// sourceDirName is the directory under CacheDir holding module bytes.
const sourceDirName = "modules"

// staleTempAge is how old a temporary file in the sources directory must
// be for New to take it for the debris of a crashed write and delete it.
const staleTempAge = time.Hour

const tempPrefix = ".tmp-"

func sourcePath(dir string, sum [sha256.Size]byte) string {
	return filepath.Join(dir, hex.EncodeToString(sum[:])+".wasm")
}

// openSources creates the sources directory if needed and deletes
// temporary files left by writes a crash interrupted.
func openSources(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create module directory for reloading compiled code: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read module directory %s: %w", dir, err)
	}
	for _, ent := range entries {
		if !strings.HasPrefix(ent.Name(), tempPrefix) {
			continue
		}
		if info, err := ent.Info(); err == nil && time.Since(info.ModTime()) > staleTempAge {
			os.Remove(filepath.Join(dir, ent.Name()))
		}
	}
	return nil
}

// writeSource stores wasm, whose SHA-256 is sum, in dir unless a file of
// its size is there already.
func writeSource(dir string, sum [sha256.Size]byte, wasm []byte) error {
	path := sourcePath(dir, sum)
	if info, err := os.Stat(path); err == nil && info.Size() == int64(len(wasm)) {
		return nil
	}
	if err := writeFileAtomic(path, wasm); err != nil {
		return fmt.Errorf("keep a copy of the module for reloading its compiled code: %w (check that %s is writable and its disk has room)", err, dir)
	}
	return nil
}

func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), tempPrefix+"*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename, a no-op
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// errNoSource is wrapped by readSource's errors for a missing or damaged
// copy.
var errNoSource = errors.New("the copy of the module kept for reloading is missing")

// readSource reads back the module whose SHA-256 is sum. Errors wrap
// errNoSource when the file is missing or does not hold that module.
func readSource(dir string, sum [sha256.Size]byte) ([]byte, error) {
	path := sourcePath(dir, sum)
	wasm, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("load compiled module %x: %w: %s was deleted while the node ran; restart the node, which compiles its apps from its store again", sum[:6], errNoSource, path)
	}
	if err != nil {
		return nil, fmt.Errorf("load compiled module %x: %w", sum[:6], err)
	}
	if sha256.Sum256(wasm) != sum {
		return nil, fmt.Errorf("load compiled module %x: %w: %s holds other bytes (changed or damaged on disk); delete it and restart the node, which writes it again from its store", sum[:6], errNoSource, path)
	}
	return wasm, nil
}
