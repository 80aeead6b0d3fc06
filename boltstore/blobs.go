package boltstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/wisphq/wisp"
)

// PutBlob streams r to a temporary file while hashing it, then makes it
// durable under its digest: see the package doc. It reads at most one byte
// more than limit. A negative limit is invalid. If ctx is cancelled the
// upload stops at the next read and nothing is stored.
func (s *Store) PutBlob(ctx context.Context, r io.Reader, limit int64) (wisp.BlobInfo, error) {
	if err := s.checkOpen(); err != nil {
		return wisp.BlobInfo{}, fmt.Errorf("put blob: %w", err)
	}
	if limit < 0 {
		return wisp.BlobInfo{}, fmt.Errorf("put blob: %w: limit %d is negative: pass the largest size to accept, in bytes", wisp.ErrInvalid, limit)
	}
	tmp, err := os.CreateTemp(s.tmpDir, "put-*")
	if err != nil {
		return wisp.BlobInfo{}, fmt.Errorf("put blob: %w", err)
	}
	info, err := s.storeTemp(ctx, tmp, r, limit)
	if err != nil {
		tmp.Close() // may already be closed; the error is the one above
		os.Remove(tmp.Name())
		return wisp.BlobInfo{}, fmt.Errorf("put blob: %w", err)
	}
	return info, nil
}

// storeTemp fills tmp from r and moves it into place. On error the caller
// removes tmp; on success tmp is closed and either renamed or removed.
func (s *Store) storeTemp(ctx context.Context, tmp *os.File, r io.Reader, limit int64) (wisp.BlobInfo, error) {
	// Reading one byte past the limit tells "too large" from "exactly at it".
	readLimit := limit
	if readLimit < math.MaxInt64 {
		readLimit++
	}
	h := sha256.New()
	n, err := io.Copy(tmp, io.TeeReader(io.LimitReader(ctxReader{ctx, r}, readLimit), h))
	if err != nil {
		return wisp.BlobInfo{}, err
	}
	if n > limit {
		return wisp.BlobInfo{}, fmt.Errorf("%w: content is larger than the limit of %s: upload less or raise the limit",
			wisp.ErrTooLarge, wisp.ByteSize(limit))
	}
	if err := tmp.Sync(); err != nil {
		return wisp.BlobInfo{}, err
	}
	if err := tmp.Close(); err != nil {
		return wisp.BlobInfo{}, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	info := wisp.BlobInfo{Digest: digestAlgo + sum, Size: n}
	final := s.pathOf(sum)
	if err := s.ensureShard(sum); err != nil {
		return wisp.BlobInfo{}, err
	}
	if _, err := os.Lstat(final); err == nil {
		// Already stored. Its directory is synced anyway, in case the
		// PutBlob that stored it is still between its rename and its sync.
		if err := os.Remove(tmp.Name()); err != nil {
			return wisp.BlobInfo{}, err
		}
	} else if err := os.Rename(tmp.Name(), final); err != nil {
		return wisp.BlobInfo{}, err
	}
	if err := syncDir(filepath.Dir(final)); err != nil {
		return wisp.BlobInfo{}, err
	}
	return info, nil
}

// ensureShard makes sure the directory of the blob whose sha256 is sum
// exists and that its name is durable, creating and syncing it the first
// time this Store puts a blob there. Concurrent callers wait for the sync.
func (s *Store) ensureShard(sum string) error {
	i, err := strconv.ParseUint(sum[:shardLength], 16, 8)
	if err != nil {
		return err // unreachable: sum is hex
	}
	s.shardMu.Lock()
	defer s.shardMu.Unlock()
	if s.shardReady[i] {
		return nil
	}
	// Even a directory that exists may not be durable yet, if a process
	// that crashed created it, so its parent is synced either way.
	if err := os.MkdirAll(filepath.Join(s.blobDir, sum[:shardLength]), dirPerm); err != nil {
		return err
	}
	if err := syncDir(s.blobDir); err != nil {
		return err
	}
	s.shardReady[i] = true
	return nil
}

// OpenBlob returns the blob's file, open for reading. The caller closes it.
func (s *Store) OpenBlob(ctx context.Context, digest string) (io.ReadCloser, error) {
	p, err := s.blobPath(ctx, digest)
	if err != nil {
		return nil, fmt.Errorf("open blob: %w", err)
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open blob: %w: %s is not stored; upload it first", wisp.ErrNotFound, digest)
	}
	if err != nil {
		return nil, fmt.Errorf("open blob: %w", err)
	}
	return f, nil
}

// StatBlob returns the blob's digest and size.
func (s *Store) StatBlob(ctx context.Context, digest string) (wisp.BlobInfo, error) {
	p, err := s.blobPath(ctx, digest)
	if err != nil {
		return wisp.BlobInfo{}, fmt.Errorf("stat blob: %w", err)
	}
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return wisp.BlobInfo{}, fmt.Errorf("stat blob: %w: %s is not stored; upload it first", wisp.ErrNotFound, digest)
	}
	if err != nil {
		return wisp.BlobInfo{}, fmt.Errorf("stat blob: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return wisp.BlobInfo{}, fmt.Errorf("stat blob: %s is a %s, not a file; remove it so the blob can be uploaded again", p, fi.Mode().Type())
	}
	return wisp.BlobInfo{Digest: digest, Size: fi.Size()}, nil
}

// blobPath checks that the store is open, ctx is live and digest is
// well-formed, and only then returns the blob's path.
func (s *Store) blobPath(ctx context.Context, digest string) (string, error) {
	if err := s.checkOpen(); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := wisp.ValidateDigest(digest); err != nil {
		return "", err
	}
	return s.pathOf(digest[len(digestAlgo):]), nil
}

// pathOf returns the path of the blob whose sha256 is sum, 64 lower case
// hex digits: the caller has checked that.
func (s *Store) pathOf(sum string) string {
	return filepath.Join(s.blobDir, sum[:shardLength], sum)
}

// ctxReader stops a read once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
