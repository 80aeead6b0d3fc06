package memstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wisphq/wisp"
)

// KV is a [wisp.KV] in memory: what it holds lasts as long as the value.
// Revisions count up per store from 1 and are never reused. Expired
// entries are removed when a call comes across them (a read of the key, a
// listing, or a write that finds the store full); until then they take
// no part in any result but stay in memory. The quota is exact: it is
// checked under the store's lock, counting live keys and len(key) +
// len(value) per entry. Keys sorts the matching keys on every call, so a
// page costs O(n log n) in the keys with the prefix. Safe for concurrent
// use; a store's calls are serialized by one mutex.
type KV struct {
	mu     sync.Mutex
	stores map[string]*kvData
}

var _ wisp.KV = (*KV)(nil)

// NewKV returns a KV with no stores.
func NewKV() *KV { return &KV{stores: map[string]*kvData{}} }

// kvData is one store's entries; its mutex guards everything in it.
type kvData struct {
	mu      sync.Mutex
	entries map[string]kvEntry
	rev     uint64 // the last revision given
	bytes   int64  // sum of len(key)+len(value), expired entries included
}

type kvEntry struct {
	value   []byte // owned by the store: copied in and out
	rev     uint64
	expires time.Time
}

func (e kvEntry) expired(now time.Time) bool { return !e.expires.IsZero() && !now.Before(e.expires) }

// Open implements wisp.KV. Each call returns a handle with its own quota
// over the store's one set of entries.
func (kv *KV) Open(ctx context.Context, name string, quota wisp.KVQuota) (wisp.KVStore, error) {
	if err := wisp.ValidateKVStoreOpenName(name); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	kv.mu.Lock()
	defer kv.mu.Unlock()
	d := kv.stores[name]
	if d == nil {
		d = &kvData{entries: map[string]kvEntry{}}
		kv.stores[name] = d
	}
	return &kvStore{name: name, quota: quota, d: d}, nil
}

// Stores implements wisp.KV.
func (kv *KV) Stores(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	kv.mu.Lock()
	defer kv.mu.Unlock()
	names := []string{}
	for name := range kv.stores {
		if !strings.HasPrefix(name, wisp.KVReservedPrefix) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

type kvStore struct {
	name  string
	quota wisp.KVQuota
	d     *kvData
}

// lock checks the call's arguments and locks the store; the caller
// unlocks d.mu.
func (s *kvStore) lock(ctx context.Context, key string) error {
	if err := wisp.ValidateKVKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.d.mu.Lock()
	return nil
}

// live returns key's entry unless it is absent or expired; an expired one
// is removed.
func (s *kvStore) live(key string, now time.Time) (kvEntry, bool) {
	e, ok := s.d.entries[key]
	if ok && e.expired(now) {
		s.remove(key, e)
		return kvEntry{}, false
	}
	return e, ok
}

func (s *kvStore) remove(key string, e kvEntry) {
	delete(s.d.entries, key)
	s.d.bytes -= int64(len(key) + len(e.value))
}

func (s *kvStore) Get(ctx context.Context, key string) (wisp.KVEntry, error) {
	if err := s.lock(ctx, key); err != nil {
		return wisp.KVEntry{}, err
	}
	defer s.d.mu.Unlock()
	e, ok := s.live(key, time.Now())
	if !ok {
		return wisp.KVEntry{}, fmt.Errorf("key %q in key-value store %q: %w", key, s.name, wisp.ErrNotFound)
	}
	return wisp.KVEntry{Value: slices.Clone(e.value), Revision: e.rev, Expires: e.expires}, nil
}

func (s *kvStore) Set(ctx context.Context, key string, value []byte, expires time.Time) (uint64, error) {
	if err := s.lock(ctx, key); err != nil {
		return 0, err
	}
	defer s.d.mu.Unlock()
	return s.put(key, value, expires)
}

func (s *kvStore) Create(ctx context.Context, key string, value []byte, expires time.Time) (uint64, error) {
	if err := s.lock(ctx, key); err != nil {
		return 0, err
	}
	defer s.d.mu.Unlock()
	if _, ok := s.live(key, time.Now()); ok {
		return 0, fmt.Errorf("create key %q in key-value store %q: it exists: %w", key, s.name, wisp.ErrConflict)
	}
	return s.put(key, value, expires)
}

func (s *kvStore) Update(ctx context.Context, key string, value []byte, expires time.Time, revision uint64) (uint64, error) {
	if err := s.lock(ctx, key); err != nil {
		return 0, err
	}
	defer s.d.mu.Unlock()
	e, ok := s.live(key, time.Now())
	switch {
	case !ok:
		return 0, fmt.Errorf("update key %q in key-value store %q at revision %d: the key is absent: %w", key, s.name, revision, wisp.ErrConflict)
	case e.rev != revision:
		return 0, fmt.Errorf("update key %q in key-value store %q: it is at revision %d, not %d: %w", key, s.name, e.rev, revision, wisp.ErrConflict)
	}
	return s.put(key, value, expires)
}

// put stores value at key if the quota allows it.
func (s *kvStore) put(key string, value []byte, expires time.Time) (uint64, error) {
	old, exists := s.d.entries[key]
	grow := int64(len(key) + len(value))
	keys := int64(len(s.d.entries))
	if exists {
		grow -= int64(len(key) + len(old.value))
	} else {
		keys++
	}
	if err := s.checkQuota(keys, s.d.bytes+grow, key); err != nil {
		// Entries that expired still count above: drop them and look again.
		if s.sweep(time.Now()) == 0 {
			return 0, err
		}
		return s.put(key, value, expires)
	}
	s.d.rev++
	s.d.entries[key] = kvEntry{value: slices.Clone(value), rev: s.d.rev, expires: expires}
	s.d.bytes += grow
	return s.d.rev, nil
}

// checkQuota refuses a write that would leave the store with keys keys
// and bytes bytes, if either is past the quota.
func (s *kvStore) checkQuota(keys, bytes int64, key string) error {
	if q := s.quota.MaxKeys; q > 0 && keys > q {
		return fmt.Errorf("key-value store %q is full: %d keys, its max_keys; delete keys or raise --kv-max-keys: %w", s.name, q, wisp.ErrLimit)
	}
	if q := s.quota.MaxBytes; q > 0 && bytes > q {
		return fmt.Errorf("key-value store %q is full: writing key %q would take it to %d bytes, past its max_bytes of %d; delete keys or raise --kv-max-bytes: %w", s.name, key, bytes, q, wisp.ErrLimit)
	}
	return nil
}

// sweep removes every expired entry and returns how many it removed.
func (s *kvStore) sweep(now time.Time) int {
	n := 0
	for k, e := range s.d.entries {
		if e.expired(now) {
			s.remove(k, e)
			n++
		}
	}
	return n
}

func (s *kvStore) Delete(ctx context.Context, key string) error {
	if err := s.lock(ctx, key); err != nil {
		return err
	}
	defer s.d.mu.Unlock()
	if e, ok := s.d.entries[key]; ok {
		s.remove(key, e)
	}
	return nil
}

func (s *kvStore) Keys(ctx context.Context, prefix, after string, limit int) ([]string, bool, error) {
	if limit < 1 {
		return nil, false, fmt.Errorf("list keys of key-value store %q: limit %d: %w: ask for at least 1 key", s.name, limit, wisp.ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	now := time.Now()
	keys := []string{}
	for k, e := range s.d.entries {
		switch {
		case !strings.HasPrefix(k, prefix) || k <= after:
		case e.expired(now):
			s.remove(k, e)
		default:
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if len(keys) > limit {
		return keys[:limit:limit], true, nil
	}
	return keys, false, nil
}
