package boltstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/wisphq/wisp"
)

// The key-value stores live in the store's database, wisp.db:
//
//	bucket "kv"
//	  bucket NAME                 one per store
//	    sequence                  the store's last revision
//	    key "keys"                live entries, expired ones included (8 bytes)
//	    key "bytes"               sum of len(key)+len(value) over them (8 bytes)
//	    bucket "entries"          key: the user's key; value: an entry
//
// An entry is a format byte (kvFormat, with kvHasExpiry set if it
// expires), the revision (8 bytes), the expiry in Unix nanoseconds (8
// bytes, 0 without one; one past 2262, the last time they reach, is kept
// as that time) and the value. Integers are big-endian.
var (
	kvBucket     = []byte("kv")
	kvEntries    = []byte("entries")
	kvKeysCount  = []byte("keys")
	kvBytesCount = []byte("bytes")
)

const (
	kvFormat      byte = 1
	kvHasExpiry   byte = 0x80
	kvHeaderBytes      = 17 // format, revision, expiry
)

// kvSweepMax bounds how many expired entries one listing removes.
const kvSweepMax = 1000

// KV returns the key-value stores kept in the store's database, one
// bbolt bucket per store: a write that returns nil is committed and
// fsynced, like PutApp.
//
// Revisions come from the store's bucket sequence: they count up per
// store, are never reused, and survive restarts. The quota is exact:
// keys and bytes (len(key)+len(value) per entry) are counted in the
// transaction that writes. Expired entries are removed when a call comes
// across them: a Get of the key (in a second transaction), a listing (up
// to 1,000 at a time), a write of the key, or a write refused by the
// quota, which first removes every expired entry of the store. Entries
// that expire and are never touched again stay in the file.
//
// The KV is safe for concurrent use. Its writes, to every store, are
// committed in groups (see kvCommitter): a write that finds no commit
// under way commits at once; writes that arrive meanwhile share the next
// transaction and its fsync. So concurrent writers take bbolt's single
// writer, which the app registry's writes also need, once per group
// rather than once each (on a 2-core machine with 64 writers: about 11 µs
// a Set instead of 110 µs, and a PutApp meanwhile 0.2 ms instead of 7 ms),
// and a lone writer waits for no one. Calls fail once the Store is
// closed.
func (s *Store) KV() wisp.KV { return &boltKV{s: s, commits: &kvCommitter{db: s.db}} }

type boltKV struct {
	s       *Store
	commits *kvCommitter
	opened  sync.Map // name -> struct{}: buckets known to exist
}

// Open implements wisp.KV. The first Open of a name creates its bucket;
// every Open returns a handle with its own quota over the same entries.
func (kv *boltKV) Open(ctx context.Context, name string, quota wisp.KVQuota) (wisp.KVStore, error) {
	if err := wisp.ValidateKVStoreOpenName(name); err != nil {
		return nil, err
	}
	if err := kv.s.checkOpen(); err != nil {
		return nil, fmt.Errorf("open key-value store %q: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, ok := kv.opened.Load(name); !ok {
		err := kv.s.db.Update(func(tx *bolt.Tx) error {
			top, err := tx.CreateBucketIfNotExists(kvBucket)
			if err != nil {
				return err
			}
			b, err := top.CreateBucketIfNotExists([]byte(name))
			if err != nil {
				return err
			}
			_, err = b.CreateBucketIfNotExists(kvEntries)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("open key-value store %q: %w", name, err)
		}
		kv.opened.Store(name, struct{}{})
	}
	return &boltKVStore{s: kv.s, commits: kv.commits, name: name, bname: []byte(name), quota: quota}, nil
}

// Stores implements wisp.KV.
func (kv *boltKV) Stores(ctx context.Context) ([]string, error) {
	if err := kv.s.checkOpen(); err != nil {
		return nil, fmt.Errorf("list key-value stores: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	names := []string{}
	err := kv.s.db.View(func(tx *bolt.Tx) error {
		top := tx.Bucket(kvBucket)
		if top == nil {
			return nil
		}
		// bbolt iterates in byte order, which sorts the names.
		return top.ForEachBucket(func(k []byte) error {
			if !strings.HasPrefix(string(k), wisp.KVReservedPrefix) {
				names = append(names, string(k))
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list key-value stores: %w", err)
	}
	return names, nil
}

// kvEntry is an entry as stored.
type kvEntry struct {
	rev     uint64
	expires time.Time
	value   []byte // aliases the database unless copied
}

func (e kvEntry) expired(now time.Time) bool { return !e.expires.IsZero() && !now.Before(e.expires) }

func encodeEntry(rev uint64, expires time.Time, value []byte) []byte {
	buf := make([]byte, kvHeaderBytes+len(value))
	buf[0] = kvFormat
	if !expires.IsZero() {
		buf[0] |= kvHasExpiry
		// Sub saturates: an expiry past 2262, the last time int64
		// nanoseconds reach, is stored as that time.
		binary.BigEndian.PutUint64(buf[9:], uint64(expires.Sub(time.Unix(0, 0))))
	}
	binary.BigEndian.PutUint64(buf[1:], rev)
	copy(buf[kvHeaderBytes:], value)
	return buf
}

func decodeEntry(store string, key, data []byte) (kvEntry, error) {
	if len(data) < kvHeaderBytes || data[0]&^kvHasExpiry != kvFormat {
		return kvEntry{}, fmt.Errorf("key %q of key-value store %q holds an entry this version cannot read (%d bytes, format byte %#x): %w", key, store, len(data), firstByte(data), ErrCorrupt)
	}
	e := kvEntry{rev: binary.BigEndian.Uint64(data[1:]), value: data[kvHeaderBytes:]}
	if data[0]&kvHasExpiry != 0 {
		e.expires = time.Unix(0, int64(binary.BigEndian.Uint64(data[9:])))
	}
	return e, nil
}

func firstByte(b []byte) byte {
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// counter reads one of a store's counters.
func counter(b *bolt.Bucket, name []byte) int64 {
	v := b.Get(name)
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

func putCounter(b *bolt.Bucket, name []byte, n int64) error {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], uint64(n))
	return b.Put(name, buf[:])
}

// errStoreGone is returned when a store's bucket is missing: Open made
// it, so the database was changed behind the store's back.
var errStoreGone = errors.New("its bucket is missing from the database; open it again")
