package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/wisphq/wisp"
)

// boltKVStore is one key-value store: a handle on its bucket with the
// quota it was opened with.
type boltKVStore struct {
	s       *Store
	commits *kvCommitter // the KV's: every write goes through it
	name    string
	bname   []byte
	quota   wisp.KVQuota
}

// begin checks a call's key and context and that the store is open.
func (st *boltKVStore) begin(ctx context.Context, key string) error {
	if err := wisp.ValidateKVKey(key); err != nil {
		return err
	}
	if err := st.s.checkOpen(); err != nil {
		return fmt.Errorf("key-value store %q: %w", st.name, err)
	}
	return ctx.Err()
}

// buckets returns the store's bucket and its entries bucket in tx.
func (st *boltKVStore) buckets(tx *bolt.Tx) (b, entries *bolt.Bucket, err error) {
	if top := tx.Bucket(kvBucket); top != nil {
		b = top.Bucket(st.bname)
	}
	if b != nil {
		entries = b.Bucket(kvEntries)
	}
	if entries == nil {
		return nil, nil, fmt.Errorf("key-value store %q: %w", st.name, errStoreGone)
	}
	return b, entries, nil
}

// load reads key's entry; found is false if it is absent (expired
// entries are found: the caller decides).
func (st *boltKVStore) load(entries *bolt.Bucket, key []byte) (e kvEntry, found bool, err error) {
	data := entries.Get(key)
	if data == nil {
		return kvEntry{}, false, nil
	}
	e, err = decodeEntry(st.name, key, data)
	return e, err == nil, err
}

// Get implements wisp.KVStore.
func (st *boltKVStore) Get(ctx context.Context, key string) (wisp.KVEntry, error) {
	if err := st.begin(ctx, key); err != nil {
		return wisp.KVEntry{}, err
	}
	var e kvEntry
	var found bool
	err := st.s.db.View(func(tx *bolt.Tx) error {
		_, entries, err := st.buckets(tx)
		if err != nil {
			return err
		}
		e, found, err = st.load(entries, []byte(key))
		e.value = bytes.Clone(e.value) // the page is unmapped after the transaction
		return err
	})
	switch {
	case err != nil:
		return wisp.KVEntry{}, fmt.Errorf("get key %q from key-value store %q: %w", key, st.name, err)
	case found && e.expired(time.Now()):
		st.removeExpired(map[string]uint64{key: e.rev})
		found = false
	}
	if !found {
		return wisp.KVEntry{}, fmt.Errorf("key %q in key-value store %q: %w", key, st.name, wisp.ErrNotFound)
	}
	if e.value == nil {
		e.value = []byte{}
	}
	return wisp.KVEntry{Value: e.value, Revision: e.rev, Expires: e.expires}, nil
}

// Set implements wisp.KVStore.
func (st *boltKVStore) Set(ctx context.Context, key string, value []byte, expires time.Time) (uint64, error) {
	return st.write(ctx, "set", key, value, expires, func(kvEntry, bool) error { return nil })
}

// Create implements wisp.KVStore.
func (st *boltKVStore) Create(ctx context.Context, key string, value []byte, expires time.Time) (uint64, error) {
	return st.write(ctx, "create", key, value, expires, func(_ kvEntry, live bool) error {
		if live {
			return fmt.Errorf("it exists: %w", wisp.ErrConflict)
		}
		return nil
	})
}

// Update implements wisp.KVStore.
func (st *boltKVStore) Update(ctx context.Context, key string, value []byte, expires time.Time, revision uint64) (uint64, error) {
	return st.write(ctx, "update", key, value, expires, func(cur kvEntry, live bool) error {
		switch {
		case !live:
			return fmt.Errorf("the key is absent, not at revision %d: %w", revision, wisp.ErrConflict)
		case cur.rev != revision:
			return fmt.Errorf("it is at revision %d, not %d: %w", cur.rev, revision, wisp.ErrConflict)
		}
		return nil
	})
}

// write stores value at key if check, given the current entry and
// whether it is live, returns nil and the quota allows it.
func (st *boltKVStore) write(ctx context.Context, op, key string, value []byte, expires time.Time, check func(cur kvEntry, live bool) error) (uint64, error) {
	if err := st.begin(ctx, key); err != nil {
		return 0, err
	}
	var rev uint64
	var refused error // a conflict or a full store: nothing written but a sweep
	// The function may run more than once (see kvCommitter).
	err := st.commits.do(func(tx *bolt.Tx) (bool, error) {
		rev, refused = 0, nil
		b, entries, err := st.buckets(tx)
		if err != nil {
			return false, err
		}
		k := []byte(key)
		cur, found, err := st.load(entries, k)
		if err != nil {
			return false, err
		}
		now := time.Now()
		if refused = check(cur, found && !cur.expired(now)); refused != nil {
			return false, nil
		}
		keys, size := counter(b, kvKeysCount), counter(b, kvBytesCount)
		newKeys, newSize := keys+1, size+int64(len(key)+len(value))
		if found {
			newKeys, newSize = keys, newSize-int64(len(key)+len(cur.value))
		}
		if st.overQuota(newKeys, newSize) {
			swept, sweptBytes, err := st.sweep(entries, now, k, -1)
			if err != nil {
				return false, err
			}
			keys, size, newKeys, newSize = keys-swept, size-sweptBytes, newKeys-swept, newSize-sweptBytes
			if refused = st.quotaError(key, newKeys, newSize); refused != nil {
				if swept == 0 {
					return false, nil
				}
				return true, st.putCounters(b, keys, size)
			}
		}
		if rev, err = b.NextSequence(); err != nil {
			return false, err
		}
		if err := entries.Put(k, encodeEntry(rev, expires, value)); err != nil {
			return false, err
		}
		return true, st.putCounters(b, newKeys, newSize)
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return 0, fmt.Errorf("%s key %q in key-value store %q: %w", op, key, st.name, err)
	}
	return rev, nil
}

func (st *boltKVStore) putCounters(b *bolt.Bucket, keys, size int64) error {
	if err := putCounter(b, kvKeysCount, keys); err != nil {
		return err
	}
	return putCounter(b, kvBytesCount, size)
}

func (st *boltKVStore) overQuota(keys, size int64) bool {
	return (st.quota.MaxKeys > 0 && keys > st.quota.MaxKeys) || (st.quota.MaxBytes > 0 && size > st.quota.MaxBytes)
}

// quotaError refuses a write that would leave the store with keys keys
// and size bytes, if either is past the quota.
func (st *boltKVStore) quotaError(key string, keys, size int64) error {
	if q := st.quota.MaxKeys; q > 0 && keys > q {
		return fmt.Errorf("key-value store %q is full: %d keys, its max_keys; delete keys or raise --kv-max-keys: %w", st.name, q, wisp.ErrLimit)
	}
	if q := st.quota.MaxBytes; q > 0 && size > q {
		return fmt.Errorf("key-value store %q is full: the write would take it to %d bytes, past its max_bytes of %d; delete keys or raise --kv-max-bytes: %w", st.name, size, q, wisp.ErrLimit)
	}
	return nil
}

// sweep removes up to max (negative: all) expired entries other than
// keep, and returns how many it removed and their bytes. It does not
// update the counters.
func (st *boltKVStore) sweep(entries *bolt.Bucket, now time.Time, keep []byte, max int) (n, size int64, err error) {
	var expired [][]byte
	err = entries.ForEach(func(k, v []byte) error {
		if max >= 0 && len(expired) >= max {
			return nil
		}
		e, err := decodeEntry(st.name, k, v)
		if err != nil {
			return err
		}
		if e.expired(now) && !bytes.Equal(k, keep) {
			expired = append(expired, k)
			size += int64(len(k) + len(e.value))
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	for _, k := range expired {
		if err := entries.Delete(k); err != nil {
			return 0, 0, err
		}
	}
	return int64(len(expired)), size, nil
}

// removeExpired deletes the given keys (key -> revision seen expired) if
// they are still at that revision. Best effort: a failure leaves them for
// the next call that comes across them.
func (st *boltKVStore) removeExpired(keys map[string]uint64) {
	if st.s.checkOpen() != nil {
		return
	}
	_ = st.commits.do(func(tx *bolt.Tx) (bool, error) {
		b, entries, err := st.buckets(tx)
		if err != nil {
			return false, err
		}
		n, size := counter(b, kvKeysCount), counter(b, kvBytesCount)
		removed := false
		for key, rev := range keys {
			e, found, err := st.load(entries, []byte(key))
			if err != nil || !found || e.rev != rev {
				continue
			}
			if err := entries.Delete([]byte(key)); err != nil {
				return false, err
			}
			n, size, removed = n-1, size-int64(len(key)+len(e.value)), true
		}
		if !removed {
			return false, nil
		}
		return true, st.putCounters(b, n, size)
	})
}

// Delete implements wisp.KVStore. Deleting an absent key writes nothing.
func (st *boltKVStore) Delete(ctx context.Context, key string) error {
	if err := st.begin(ctx, key); err != nil {
		return err
	}
	k := []byte(key)
	var found bool
	err := st.s.db.View(func(tx *bolt.Tx) error {
		_, entries, err := st.buckets(tx)
		if err == nil {
			found = entries.Get(k) != nil
		}
		return err
	})
	if err == nil && found {
		err = st.commits.do(func(tx *bolt.Tx) (bool, error) {
			b, entries, err := st.buckets(tx)
			if err != nil {
				return false, err
			}
			v := entries.Get(k)
			if v == nil {
				return false, nil
			}
			if len(v) < kvHeaderBytes {
				v = make([]byte, kvHeaderBytes) // a corrupt entry: count its key
			}
			size := int64(len(k) + len(v) - kvHeaderBytes)
			if err := entries.Delete(k); err != nil {
				return false, err
			}
			return true, st.putCounters(b, counter(b, kvKeysCount)-1, counter(b, kvBytesCount)-size)
		})
	}
	if err != nil {
		return fmt.Errorf("delete key %q from key-value store %q: %w", key, st.name, err)
	}
	return nil
}

// Keys implements wisp.KVStore.
func (st *boltKVStore) Keys(ctx context.Context, prefix, after string, limit int) ([]string, bool, error) {
	if limit < 1 {
		return nil, false, fmt.Errorf("list keys of key-value store %q: limit %d: %w: ask for at least 1 key", st.name, limit, wisp.ErrInvalid)
	}
	if err := st.s.checkOpen(); err != nil {
		return nil, false, fmt.Errorf("key-value store %q: %w", st.name, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	keys := []string{}
	more := false
	expired := map[string]uint64{}
	now := time.Now()
	err := st.s.db.View(func(tx *bolt.Tx) error {
		_, entries, err := st.buckets(tx)
		if err != nil {
			return err
		}
		c := entries.Cursor()
		k, v := c.Seek([]byte(max(prefix, after)))
		for ; k != nil && bytes.HasPrefix(k, []byte(prefix)); k, v = c.Next() {
			if string(k) <= after {
				continue
			}
			e, err := decodeEntry(st.name, k, v)
			if err != nil {
				return err
			}
			if e.expired(now) {
				if len(expired) < kvSweepMax {
					expired[string(k)] = e.rev
				}
				continue
			}
			if len(keys) == limit {
				more = true
				break
			}
			keys = append(keys, string(k))
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("list keys of key-value store %q: %w", st.name, err)
	}
	if len(expired) > 0 {
		st.removeExpired(expired)
	}
	return slices.Clip(keys), more, nil
}
