package natsstore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
)

// blobCache keeps verified copies of blobs on the node's disk, so a node
// reads each module from NATS once: redeploys with new settings, restarts
// and NATS outages need no transfer. Files are named by their sha256 and
// put in place by rename only after their content hashed to that name.
type blobCache struct{ dir string }

// path returns where the blob with digest "sha256:<hex>" is cached.
func (c blobCache) path(digest string) string {
	return filepath.Join(c.dir, digest[len("sha256:"):])
}

// open returns the cached blob and its size, or ok false if it is not
// cached. The reader fails at its end if the file no longer hashes to
// its name (the disk corrupted it), and the file is then removed.
func (c blobCache) open(digest string) (rc io.ReadCloser, size int64, ok bool) {
	if c.dir == "" {
		return nil, 0, false
	}
	f, err := os.Open(c.path(digest))
	if err != nil {
		return nil, 0, false
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, false
	}
	return &verifyingReader{f: f, h: sha256.New(), want: digest}, fi.Size(), true
}

// keep moves the file at tmp, whose content hashes to digest, into the
// cache. It is best effort: a blob that is not cached is read from NATS.
func (c blobCache) keep(tmp, digest string) {
	if c.dir != "" {
		os.Rename(tmp, c.path(digest))
	}
}

// verifyingReader reads a cached file and checks its hash at the end.
type verifyingReader struct {
	f    *os.File
	h    hash.Hash
	want string
}

func (r *verifyingReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	r.h.Write(p[:n])
	if errors.Is(err, io.EOF) {
		if got := "sha256:" + hex.EncodeToString(r.h.Sum(nil)); got != r.want {
			os.Remove(r.f.Name())
			return n, fmt.Errorf("natsstore: cached blob %s hashes to %s: the disk corrupted it; it was removed, so the next read fetches it from NATS again", r.want, got)
		}
	}
	return n, err
}

func (r *verifyingReader) Close() error { return r.f.Close() }
