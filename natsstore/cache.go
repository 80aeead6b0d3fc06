package natsstore

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
)

// blobCache keeps verified copies of blobs on the node's disk, so a node
// reads each module from NATS once: redeploys with new settings, restarts
// and NATS outages need no transfer. Files are named by their sha256, put
// in place by rename only after their content hashed to that name and was
// synced, and hashed again whenever they are opened.
type blobCache struct{ dir string }

// path returns where the blob with digest "sha256:<hex>" is cached.
func (c blobCache) path(digest string) string {
	return filepath.Join(c.dir, digest[len("sha256:"):])
}

// open returns the cached blob, positioned at its start, and its size, or
// ok false if it is not cached. A file that no longer hashes to its name
// (the disk corrupted it) is removed and reported as not cached, so the
// caller reads the blob from NATS again.
func (c blobCache) open(digest string) (f *os.File, size int64, ok bool) {
	if c.dir == "" {
		return nil, 0, false
	}
	f, err := os.Open(c.path(digest))
	if err != nil {
		return nil, 0, false
	}
	h := sha256.New()
	size, err = io.Copy(h, f)
	if err == nil && "sha256:"+hex.EncodeToString(h.Sum(nil)) != digest {
		os.Remove(f.Name())
		err = os.ErrNotExist
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, 0, false
	}
	return f, size, true
}

// keep moves tmp, an open file whose content hashes to digest, into the
// cache, after syncing it (a rename without a sync can leave a file of
// zeros under the final name after a power loss). It is best effort: a
// blob that is not cached is read from NATS.
func (c blobCache) keep(tmp *os.File, digest string) {
	if c.dir != "" && tmp.Sync() == nil {
		os.Rename(tmp.Name(), c.path(digest))
	}
}
