package wisp

import (
	"context"
	"io"
)

// Store persists app records and content-addressed blobs (modules and file
// bundles). Implementations must be safe for concurrent use. boltstore is
// the embedded default; storetest holds the conformance suite every
// implementation must pass.
//
// Durability contract: when PutBlob, PutApp or DeleteApp returns nil, the
// change survives a crash of the process (and, where the backend promises
// it, of the machine).
type Store interface {
	// PutBlob streams r into the store, hashing it on the way, and returns
	// its digest ("sha256:<hex>") and size. Storing content that is already
	// present is cheap and returns the same digest. If r yields more than
	// limit bytes, PutBlob stores nothing and returns an error wrapping
	// ErrTooLarge.
	PutBlob(ctx context.Context, r io.Reader, limit int64) (BlobInfo, error)
	// OpenBlob returns a reader of the blob's content, or an error wrapping
	// ErrNotFound. The caller closes it.
	OpenBlob(ctx context.Context, digest string) (io.ReadCloser, error)
	// StatBlob returns the blob's digest and size, or an error wrapping ErrNotFound.
	StatBlob(ctx context.Context, digest string) (BlobInfo, error)

	// GetApp returns the app record with its Revision set, or an error
	// wrapping ErrNotFound.
	GetApp(ctx context.Context, name string) (App, error)
	// ListApps returns every app record, sorted by name.
	ListApps(ctx context.Context) ([]App, error)
	// PutApp stores app if the stored record's revision equals
	// app.Revision (zero: no record may exist yet), and returns the record
	// with its new revision. Otherwise it stores nothing and returns an
	// error wrapping ErrConflict.
	PutApp(ctx context.Context, app App) (App, error)
	// DeleteApp removes the record if its revision equals revision; it
	// returns an error wrapping ErrNotFound if there is none and
	// ErrConflict if the revision moved on.
	DeleteApp(ctx context.Context, name string, revision uint64) error

	// Close releases the store's resources.
	Close() error
}

// BlobInfo describes a stored blob.
type BlobInfo struct {
	Digest string `json:"digest"` // "sha256:<hex>"
	Size   int64  `json:"size"`
}
