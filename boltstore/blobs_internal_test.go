package boltstore

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wisphq/wisp"
)

// FuzzBlobPath checks that no digest, however malformed, yields a path
// other than DIR/blobs/sha256/<2 hex>/<64 hex> for that very digest.
func FuzzBlobPath(f *testing.F) {
	const sum = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	for _, seed := range []string{
		"sha256:" + sum,
		"",
		"sha256:",
		"sha256:../../etc/passwd",
		"sha256:" + strings.Repeat("../", 21) + "x",
		"sha256:/etc/passwd",
		"sha256:" + sum[:2] + "/../../../wisp.db",
		"sha256:" + strings.ToUpper(sum),
		"sha256:" + sum + "\n",
		"sha256:" + sum[:63] + "\x00",
	} {
		f.Add(seed)
	}
	blobDir := filepath.Join("data", "blobs", "sha256")
	s := &Store{blobDir: blobDir}
	f.Fuzz(func(t *testing.T, digest string) {
		p, err := s.blobPath(context.Background(), digest)
		if err != nil {
			if !errors.Is(err, wisp.ErrInvalid) {
				t.Fatalf("blobPath(%q) error %v does not wrap ErrInvalid", digest, err)
			}
			return
		}
		shard, file := filepath.Split(p)
		if filepath.Clean(shard) != filepath.Join(blobDir, file[:2]) || len(file) != 64 || "sha256:"+file != digest {
			t.Fatalf("blobPath(%q) = %q, outside the blob layout", digest, p)
		}
	})
}
