package natsstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wisphq/wisp"
)

// PutBlob implements wisp.Store. The content is spooled to a temporary
// file while it is hashed (the object's name is its digest, known only at
// the end), then put into the Object Store unless an object of that name
// is there already: a blob is never rewritten, so readers of it never see
// it change.
func (s *Store) PutBlob(ctx context.Context, r io.Reader, limit int64) (wisp.BlobInfo, error) {
	if limit < 0 {
		return wisp.BlobInfo{}, fmt.Errorf("natsstore: put blob: negative limit %d", limit)
	}
	tmp, err := os.CreateTemp(s.cfg.CacheDir, "upload-*")
	if err != nil {
		return wisp.BlobInfo{}, fmt.Errorf("natsstore: put blob: spool: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()

	readLimit := limit // one byte past the limit tells "too large" from "exactly at it"
	if readLimit < math.MaxInt64 {
		readLimit++
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, readLimit))
	if err != nil {
		return wisp.BlobInfo{}, fmt.Errorf("natsstore: put blob: read upload: %w", err)
	}
	if n > limit {
		return wisp.BlobInfo{}, fmt.Errorf("%w: content is larger than the limit of %s: upload less or raise the limit", wisp.ErrTooLarge, wisp.ByteSize(limit))
	}
	info := wisp.BlobInfo{Digest: "sha256:" + hex.EncodeToString(h.Sum(nil)), Size: n}

	// One upload of a digest at a time in this process: a second one
	// finds the first's object. (Across nodes two may race; the loser
	// replaces the object with the same content.)
	mu, _ := s.putting.LoadOrStore(info.Digest, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	// An object whose content does not match its name (written around
	// Wisp) is replaced with the verified upload.
	if _, err := s.statRemote(ctx, info.Digest); err == nil {
		s.cache.keep(tmp, info.Digest)
		return info, nil
	} else if !errors.Is(err, wisp.ErrNotFound) && !errors.Is(err, errWrongContent) {
		return wisp.BlobInfo{}, err
	} else if errors.Is(err, wisp.ErrNotFound) {
		// The stat may have been answered by a replica that has not seen
		// the object yet (the bucket allows direct gets). Putting it again
		// would replace its chunks under readers that have it open, so the
		// stream's leader has the last word.
		ok, err := s.onLeader(ctx, info.Digest)
		if err != nil {
			return wisp.BlobInfo{}, err
		}
		if ok {
			s.cache.keep(tmp, info.Digest)
			return info, nil
		}
	}
	// Putting the same content under its digest again is harmless, so a
	// put that failed midway is retried from the start.
	err = s.retry(ctx, func(ctx context.Context) error {
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		_, err := s.blobs.Put(ctx, jetstream.ObjectMeta{Name: info.Digest}, tmp)
		return err
	})
	if err != nil {
		return wisp.BlobInfo{}, fmt.Errorf("natsstore: put blob %s: %w", info.Digest, unavailable(err))
	}
	s.cache.keep(tmp, info.Digest)
	return info, nil
}

// OpenBlob implements wisp.Store. A blob not in the node's cache is read
// from the Object Store into it first (NATS verifies the content against
// the object's SHA-256 as it arrives, and the cache against the digest).
func (s *Store) OpenBlob(ctx context.Context, digest string) (io.ReadCloser, error) {
	if err := wisp.ValidateDigest(digest); err != nil {
		return nil, err
	}
	if f, _, ok := s.cache.open(digest); ok {
		return f, nil
	}
	info, err := s.statRemote(ctx, digest)
	if err != nil {
		return nil, err
	}
	if s.cfg.CacheDir == "" {
		// The transfer lives on ctx until the reader is closed. It is not
		// tied to untilDisconnected: with that context, reads in a 3-server
		// cluster failed now and then with "corrupt object" (the
		// conformance suite, 1 run in 15). During an outage the stat above
		// already fails within 2 s; a transfer cut midway ends at its
		// timeout.
		ctx, cancel := context.WithTimeout(ctx, transferTimeout(info.Size))
		var res jetstream.ObjectResult
		err := s.retry(ctx, func(context.Context) (err error) { res, err = s.blobs.Get(ctx, digest); return err })
		if err != nil {
			cancel()
			return nil, s.blobError("open", digest, err)
		}
		return cancelOnClose{res, cancel}, nil
	}
	if err := s.fetch(ctx, info); err != nil {
		return nil, err
	}
	rc, _, ok := s.cache.open(digest)
	if !ok {
		return nil, fmt.Errorf("natsstore: blob %s vanished from the cache %s as it was read", digest, s.cfg.CacheDir)
	}
	return rc, nil
}

// transferTimeout bounds reading a blob of size bytes from the Object
// Store: 30 s, plus a second per MiB. (Without a deadline of the caller's,
// nats.go stops any transfer after 5 s, too short for a large module.)
func transferTimeout(size int64) time.Duration {
	return 30*time.Second + time.Duration(size>>20)*time.Second
}

// cancelOnClose ends a transfer's context when its reader is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	defer c.cancel()
	return c.ReadCloser.Close()
}

// fetch copies a blob from the Object Store into the cache, verified.
func (s *Store) fetch(ctx context.Context, info wisp.BlobInfo) error {
	digest := info.Digest
	ctx, cancel := context.WithTimeout(ctx, transferTimeout(info.Size))
	defer cancel()
	return s.retry(ctx, func(ctx context.Context) error {
		tmp, err := os.CreateTemp(s.cfg.CacheDir, "fetch-*")
		if err != nil {
			return fmt.Errorf("natsstore: cache blob %s: %w", digest, err)
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		res, err := s.blobs.Get(ctx, digest)
		if err != nil {
			return s.blobError("open", digest, err)
		}
		defer res.Close()
		h := sha256.New()
		if _, err := io.Copy(io.MultiWriter(tmp, h), res); err != nil {
			return fmt.Errorf("natsstore: read blob %s: %w", digest, unavailable(err))
		}
		if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != digest {
			return fmt.Errorf("natsstore: blob %s read from NATS hashes to %s: the bucket was written around Wisp; upload the blob again", digest, got)
		}
		s.cache.keep(tmp, digest)
		return nil
	})
}

// StatBlob implements wisp.Store. It asks the Object Store, not the
// node's cache: a blob this node has cached is not necessarily in the
// fleet (the node may have joined another one), and a deploy that skipped
// its upload would then load nowhere else.
func (s *Store) StatBlob(ctx context.Context, digest string) (wisp.BlobInfo, error) {
	if err := wisp.ValidateDigest(digest); err != nil {
		return wisp.BlobInfo{}, err
	}
	return s.statRemote(ctx, digest)
}

// errWrongContent marks an object whose content does not hash to its name.
var errWrongContent = errors.New("wrong content")

// statRemote asks the Object Store about a blob, checking that the
// object's own digest is the one it is named by.
func (s *Store) statRemote(ctx context.Context, digest string) (wisp.BlobInfo, error) {
	var oi *jetstream.ObjectInfo
	err := s.retry(ctx, func(ctx context.Context) (err error) { oi, err = s.blobs.GetInfo(ctx, digest); return err })
	if err != nil {
		return wisp.BlobInfo{}, s.blobError("stat", digest, err)
	}
	sum, _ := hex.DecodeString(digest[len("sha256:"):])
	if want := "SHA-256=" + base64.URLEncoding.EncodeToString(sum); oi.Digest != want {
		return wisp.BlobInfo{}, fmt.Errorf("natsstore: blob %s holds content with digest %s (%w): the bucket was written around Wisp; upload the blob again", digest, oi.Digest, errWrongContent)
	}
	return wisp.BlobInfo{Digest: digest, Size: int64(oi.Size)}, nil
}

func (s *Store) blobError(op, digest string, err error) error {
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("blob %s: %w", digest, wisp.ErrNotFound)
	}
	return fmt.Errorf("natsstore: %s blob %s: %w", op, digest, unavailable(err))
}

// onLeader reports whether the Object Store's stream leader holds a live
// object of the digest's name with the content it names (leaderGet).
func (s *Store) onLeader(ctx context.Context, digest string) (bool, error) {
	bucket := s.cfg.Fleet + "_blobs"
	var m *leaderMsg
	err := s.retry(ctx, func(ctx context.Context) (err error) {
		m, err = s.leaderGet(ctx, "OBJ_"+bucket, "$O."+bucket+".M."+base64.URLEncoding.EncodeToString([]byte(digest)))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("natsstore: stat blob %s on the stream leader: %w", digest, unavailable(err))
	}
	if m == nil {
		return false, nil
	}
	var oi jetstream.ObjectInfo
	if err := json.Unmarshal(m.Data, &oi); err != nil {
		return false, fmt.Errorf("natsstore: stat blob %s on the stream leader: %w", digest, err)
	}
	sum, _ := hex.DecodeString(digest[len("sha256:"):])
	return !oi.Deleted && oi.Digest == "SHA-256="+base64.URLEncoding.EncodeToString(sum), nil
}
