package wisp

import (
	"context"
	"errors"
	"regexp"
	"time"
	"unicode/utf8"
)

// ErrLimit is returned when a platform-service limit is reached: a key or
// value too large, a key-value store full, too many key-value operations
// or outbound requests in one invocation. The wrapping error names the
// limit and how to raise it.
var ErrLimit = errors.New("limit reached")

// ErrDenied is returned when an app asks for something its manifest does
// not grant: a key-value store it does not declare, an outbound URL its
// allowed_outbound_hosts does not match, a variable it does not declare.
var ErrDenied = errors.New("denied")

// KV holds a node's key-value stores, each named by a label. Apps reach
// the stores their manifest declares (AppSpec.KeyValueStores); apps
// declaring the same label share one store. memstore, boltstore and
// natsstore implement it; kvtest holds the conformance suite every
// implementation passes. Implementations are safe for concurrent use.
type KV interface {
	// Open returns the named store, creating it if it does not exist,
	// with quota as its limits. Opening the same name again returns a
	// store over the same data. Names are checked with
	// ValidateKVStoreOpenName (ErrInvalid): those starting with
	// KVReservedPrefix are the node's own.
	Open(ctx context.Context, name string, quota KVQuota) (KVStore, error)
	// Stores lists the names of the stores that exist, sorted, leaving
	// out those starting with KVReservedPrefix.
	Stores(ctx context.Context) ([]string, error)
}

// KVQuota bounds one store. A write that would exceed it fails with an
// error wrapping ErrLimit that names the store, the limit and its value,
// and changes nothing; a write that does not grow the store (an update of
// an existing key to a value no larger) succeeds in a full store. Expired
// entries do not count. Zero fields mean no limit.
type KVQuota struct {
	MaxKeys  int64 // live keys
	MaxBytes int64 // sum of live keys' and values' sizes, as the backend counts them
}

// KVEntry is a stored value with the revision it was written at.
type KVEntry struct {
	Value []byte
	// Revision increases with every write to the key (in NATS, every
	// write to the store); it is never zero for a stored entry.
	Revision uint64
	// Expires is when the entry stops existing; zero: never.
	Expires time.Time
}

// KVStore is one named key-value store. Keys are valid per
// ValidateKVKey (every method refuses others with ErrInvalid). An entry
// whose Expires has passed is absent for every method: Get reports
// ErrNotFound, Create succeeds over it, Update at its revision conflicts,
// Keys skips it. Implementations remove expired entries when a call comes
// across them, best effort; the backends' docs say which calls do.
//
// Durability: when a write returns nil it survives a crash of the process
// (bbolt fsyncs; NATS has a quorum of its servers store it).
type KVStore interface {
	// Get returns the entry, or an error wrapping ErrNotFound.
	Get(ctx context.Context, key string) (KVEntry, error)
	// Set stores value unconditionally and returns the new revision.
	// expires zero: never.
	Set(ctx context.Context, key string, value []byte, expires time.Time) (uint64, error)
	// Create stores value only if the key is absent; otherwise it returns
	// an error wrapping ErrConflict.
	Create(ctx context.Context, key string, value []byte, expires time.Time) (uint64, error)
	// Update stores value only if the key's current revision is revision;
	// otherwise (absent, or changed since) an error wrapping ErrConflict.
	Update(ctx context.Context, key string, value []byte, expires time.Time, revision uint64) (uint64, error)
	// Delete removes the key; deleting an absent key is not an error.
	Delete(ctx context.Context, key string) error
	// Keys returns up to limit keys that start with prefix and sort after
	// after (bytewise; "" is before every key), in ascending order, and
	// whether more such keys exist. prefix and after are bytes: they need
	// not be valid keys. A limit below 1 is ErrInvalid.
	Keys(ctx context.Context, prefix, after string, limit int) (keys []string, more bool, err error)
}

// Key-value limits that hold on every node.
const (
	// MaxKVKey is the longest key in bytes.
	MaxKVKey = 512
	// DefaultKVValue is the default largest value (NATS's default
	// message size; `wisp serve --kv-max-value`).
	DefaultKVValue = 1 << 20
	// DefaultKVKeys and DefaultKVBytes are a store's default quota.
	DefaultKVKeys  = 100_000
	DefaultKVBytes = 256 << 20
)

var kvStoreRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidateKVStoreName reports whether name may label a key-value store:
// 1 to 63 lower case letters, digits, '_' and '-', starting with a letter
// or digit.
func ValidateKVStoreName(name string) error {
	if !kvStoreRE.MatchString(name) {
		return errorf(ErrInvalid, "key-value store name %q: use 1-63 lower case letters, digits, '_' and '-', starting with a letter or digit, like \"default\"", name)
	}
	return nil
}

// ValidateKVKey reports whether key may be stored: 1 to MaxKVKey bytes of
// UTF-8 without NUL.
func ValidateKVKey(key string) error {
	switch {
	case key == "":
		return errorf(ErrInvalid, "key-value key is empty")
	case len(key) > MaxKVKey:
		return errorf(ErrInvalid, "key-value key of %d bytes is longer than %d", len(key), MaxKVKey)
	case !utf8.ValidString(key):
		return errorf(ErrInvalid, "key-value key %q is not valid UTF-8", key)
	}
	for i := 0; i < len(key); i++ {
		if key[i] == 0 {
			return errorf(ErrInvalid, "key-value key %q contains a NUL byte", key)
		}
	}
	return nil
}
