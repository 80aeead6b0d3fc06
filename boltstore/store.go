package boltstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/wisphq/wisp"
)

// DefaultLockTimeout is how long [Open] waits, by default, for another
// process to release the data directory before giving up. It is long
// enough to ride out a process that is just exiting during a restart.
const DefaultLockTimeout = time.Second

// ErrLocked is wrapped by the error [Open] returns when another Store, in
// this process or another, has the data directory open.
var ErrLocked = errors.New("locked")

// errClosed is wrapped by every method called after Close.
var errClosed = errors.New("store is closed")

// Names inside the data directory; see the package doc.
const (
	dbFile        = "wisp.db"
	blobsDirName  = "blobs"
	sha256DirName = "sha256"
	tmpDirName    = "tmp"
	digestAlgo    = "sha256:"
	dirPerm       = 0o700 // app records may hold secrets in env
	dbFilePerm    = 0o600
	shardLength   = 2 // hex digits of the digest naming a blob's directory
)

// Store is a [wisp.Store] kept in one data directory. It is safe for
// concurrent use by multiple goroutines. Methods called after Close fail.
type Store struct {
	dir     string
	db      *bolt.DB
	blobDir string // DIR/blobs/sha256
	tmpDir  string // DIR/blobs/tmp
	closed  atomic.Bool

	shardMu sync.Mutex
	// shardReady[i] is set once the shard directory of blobs whose digest
	// starts with byte i is known to exist durably.
	shardReady [256]bool
}

var _ wisp.Store = (*Store)(nil)

// Option configures [Open].
type Option func(*options)

type options struct {
	lockTimeout time.Duration
}

// WithLockTimeout sets how long Open waits for another process to release
// the data directory (default [DefaultLockTimeout]). Zero or negative
// tries once without waiting.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) { o.lockTimeout = d }
}

// Open opens the store in dir, creating the directory and its layout if
// needed, and removes temporary files left by a crash. It holds an
// exclusive lock on the directory until Close; if another Store holds it
// for longer than the lock timeout, Open fails with an error wrapping
// [ErrLocked] that names the directory.
func Open(dir string, opts ...Option) (*Store, error) {
	o := options{lockTimeout: DefaultLockTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.lockTimeout <= 0 {
		o.lockTimeout = time.Nanosecond // bbolt waits forever on zero; this tries once
	}
	if dir == "" {
		return nil, fmt.Errorf("open store: %w: the data directory is empty: pass a directory such as \"./data\"", wisp.ErrInvalid)
	}
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return nil, fmt.Errorf("open store: create data directory: %w", err)
	}
	dbPath := filepath.Join(dir, dbFile)
	db, err := bolt.Open(dbPath, dbFilePerm, &bolt.Options{Timeout: o.lockTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open store: %w: data directory %s is in use by another wisp process (%s stayed locked for %s); stop that process or use a different data directory",
			ErrLocked, dir, dbFile, o.lockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("open store: open %s: %w", dbPath, err)
	}
	s := &Store{
		dir:     dir,
		db:      db,
		blobDir: filepath.Join(dir, blobsDirName, sha256DirName),
		tmpDir:  filepath.Join(dir, blobsDirName, tmpDirName),
	}
	// The layout is prepared only once the lock is held, so that emptying
	// blobs/tmp never deletes another process's upload in progress.
	if err := s.prepare(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store in %s: %w", dir, err)
	}
	return s, nil
}

// prepare creates the bucket and directories the store needs and empties
// the temporary directory.
func (s *Store) prepare() error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(appsBucket)
		return err
	})
	if err != nil {
		return fmt.Errorf("create bucket %q: %w", appsBucket, err)
	}
	if err := os.MkdirAll(s.tmpDir, dirPerm); err != nil {
		return err
	}
	if err := removeContents(s.tmpDir); err != nil {
		return fmt.Errorf("remove leftover uploads: %w", err)
	}
	if err := os.MkdirAll(s.blobDir, dirPerm); err != nil {
		return err
	}
	for _, d := range []string{s.dir, filepath.Join(s.dir, blobsDirName), s.blobDir, s.tmpDir} {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
}

// removeContents deletes everything inside dir, but not dir itself.
func removeContents(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// syncDir fsyncs a directory, making the names created in or removed from
// it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return d.Close()
}

// checkOpen returns an error if Close was called.
func (s *Store) checkOpen() error {
	if s.closed.Load() {
		return fmt.Errorf("%w: %s", errClosed, s.dir)
	}
	return nil
}

// Close releases the directory lock. It waits for running transactions;
// calls made after it fail. Closing twice is harmless.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", s.dir, err)
	}
	return nil
}
