package wisp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The operator's side of the key-value stores (wisp kv, the admin API's
// /v1/kv): the same stores apps declare, with the node's KVLimits. Store
// names are checked with ValidateKVStoreName, so the reserved stores
// (VariablesStore) are out of reach here too.

// MaxKVKeysPage is the most keys KVKeys returns at once.
const MaxKVKeysPage = 1000

// errNoKV is the error of the KV methods on a node without a backend.
func errNoKV() error {
	return errorf(ErrInvalid, "this node has no key-value backend (wisp serve always has one; an embedding sets wisp.Config.KV)")
}

// KVStores returns the names of the node's key-value stores, sorted,
// without the reserved ones.
func (n *Node) KVStores(ctx context.Context) ([]string, error) {
	if n.cfg.KV == nil {
		return nil, errNoKV()
	}
	names, err := n.cfg.KV.Stores(ctx)
	if err != nil {
		return nil, fmt.Errorf("list key-value stores: %w", err)
	}
	names = slices.DeleteFunc(names, func(s string) bool { return strings.HasPrefix(s, "_") })
	slices.Sort(names)
	return names, nil
}

// adminStore returns the store name for an operator's call. With create
// false, a store that does not exist is an error matching ErrNotFound
// rather than created.
func (n *Node) adminStore(ctx context.Context, name string, create bool) (KVStore, error) {
	if n.cfg.KV == nil {
		return nil, errNoKV()
	}
	if err := ValidateKVStoreName(name); err != nil {
		return nil, err
	}
	if !create {
		names, err := n.cfg.KV.Stores(ctx)
		if err != nil {
			return nil, fmt.Errorf("list key-value stores: %w", err)
		}
		if !slices.Contains(names, name) {
			return nil, errorf(ErrNotFound, "key-value store %q does not exist (`wisp kv ls` lists the stores; a store is made by its first write)", name)
		}
	}
	return n.kvStore(ctx, name)
}

// KVGet returns the entry of key in store. Errors match ErrNotFound (no
// such store or key) or ErrInvalid (a bad name or key), or come from the
// backend.
func (n *Node) KVGet(ctx context.Context, store, key string) (KVEntry, error) {
	if err := ValidateKVKey(key); err != nil {
		return KVEntry{}, err
	}
	st, err := n.adminStore(ctx, store, false)
	if err != nil {
		return KVEntry{}, err
	}
	e, err := st.Get(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return e, errorf(ErrNotFound, "key-value store %q has no key %q", store, key)
	}
	if err != nil {
		return e, fmt.Errorf("get %q from key-value store %q: %w", key, store, err)
	}
	return e, nil
}

// KVSet stores value at key in store, creating the store if need be, and
// returns the new revision. ttl > 0 makes the entry expire that long from
// now. Errors match ErrInvalid (a bad name, key or ttl), ErrLimit (a value
// over KVLimits.MaxValue, a store at its quota), or come from the backend.
func (n *Node) KVSet(ctx context.Context, store, key string, value []byte, ttl time.Duration) (uint64, error) {
	if err := ValidateKVKey(key); err != nil {
		return 0, err
	}
	if ttl < 0 {
		return 0, errorf(ErrInvalid, "time to live %s is negative: give a positive duration, or none for a key that does not expire", ttl)
	}
	if n.cfg.KV == nil {
		return 0, errNoKV()
	}
	if limit := n.KVLimits().MaxValue; int64(len(value)) > limit {
		return 0, errorf(ErrLimit, "value of %s is larger than this node's limit of %s (wisp serve --kv-max-value)", ByteSize(len(value)), ByteSize(limit))
	}
	st, err := n.adminStore(ctx, store, true)
	if err != nil {
		return 0, err
	}
	var expires time.Time
	if ttl > 0 {
		expires = time.Now().Add(ttl)
	}
	rev, err := st.Set(ctx, key, value, expires)
	if err != nil {
		return 0, fmt.Errorf("set %q in key-value store %q: %w", key, store, err)
	}
	return rev, nil
}

// KVDelete removes key from store. Errors match ErrNotFound (no such
// store or key) or ErrInvalid, or come from the backend.
func (n *Node) KVDelete(ctx context.Context, store, key string) error {
	if err := ValidateKVKey(key); err != nil {
		return err
	}
	st, err := n.adminStore(ctx, store, false)
	if err != nil {
		return err
	}
	if _, err := st.Get(ctx, key); errors.Is(err, ErrNotFound) {
		return errorf(ErrNotFound, "key-value store %q has no key %q", store, key)
	} else if err != nil {
		return fmt.Errorf("delete %q from key-value store %q: %w", key, store, err)
	}
	if err := st.Delete(ctx, key); err != nil {
		return fmt.Errorf("delete %q from key-value store %q: %w", key, store, err)
	}
	return nil
}

// KVKeys returns up to limit keys of store that start with prefix and sort
// after after ("" : from the first), in order, and whether more follow:
// pass the last key as after to read on. limit <= 0 or over
// MaxKVKeysPage means MaxKVKeysPage. Errors match ErrNotFound (no such
// store) or ErrInvalid, or come from the backend.
func (n *Node) KVKeys(ctx context.Context, store, prefix, after string, limit int) (keys []string, more bool, err error) {
	if limit <= 0 || limit > MaxKVKeysPage {
		limit = MaxKVKeysPage
	}
	st, err := n.adminStore(ctx, store, false)
	if err != nil {
		return nil, false, err
	}
	keys, more, err = st.Keys(ctx, prefix, after, limit)
	if err != nil {
		return nil, false, fmt.Errorf("list keys of key-value store %q: %w", store, err)
	}
	return keys, more, nil
}

// KVLimits returns the node's Config.KVLimits with the defaults filled in.
func (n *Node) KVLimits() KVLimits { return n.kvLimits() }
