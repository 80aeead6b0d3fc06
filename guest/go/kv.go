package wisp

import (
	"bytes"
	"fmt"
	"iter"
	"time"
)

// KV is an open key-value store of the app. Open one with OpenKV while
// handling a request; a KV belongs to that request and must not be kept
// for another (a reactor starts every request from the same snapshot,
// where no store is open). Its methods are safe for concurrent use.
//
// Keys are 1 to 512 bytes of UTF-8 without NUL; values are bytes. The
// node's limits (node defaults: values up to 1 MiB, 100,000 keys and
// 256 MiB per store, 1,000 operations per request) fail a call with
// ErrLimit. A write that returned nil is durable.
type KV struct {
	h      host
	handle uint32
	name   string
}

// OpenKV opens the store name, which the app's wisp.toml must declare
// (key_value_stores = ["default"]); apps declaring the same name share
// it. It fails with ErrDenied if the app does not declare it.
func OpenKV(name string) (*KV, error) { return openKV(defaultHost(), name) }

func openKV(h host, name string) (*KV, error) {
	handle, code := h.kvOpen(name)
	if code != CodeOK {
		return nil, fail(h, fmt.Sprintf("open key-value store %q", name), code)
	}
	return &KV{h: h, handle: handle, name: name}, nil
}

// Name returns the store's name.
func (kv *KV) Name() string { return kv.name }

// op names an operation on key for errors: `kv get "user:1" in store "default"`.
func (kv *KV) op(verb, key string) string {
	return fmt.Sprintf("kv %s %q in store %q", verb, key, kv.name)
}

// Get returns the value of key; ErrNotFound if it is absent or expired.
func (kv *KV) Get(key string) ([]byte, error) {
	v, code := fetch(func(buf []byte) (int, Code) { return kv.h.kvGet(kv.handle, key, buf) })
	if code != CodeOK {
		return nil, fail(kv.h, kv.op("get", key), code)
	}
	return v, nil
}

// Set stores value under key, replacing any value and expiry it had.
func (kv *KV) Set(key string, value []byte) error {
	if code := kv.h.kvSet(kv.handle, key, value, 0); code != CodeOK {
		return fail(kv.h, kv.op("set", key), code)
	}
	return nil
}

// SetWithTTL stores value under key until ttl has passed (counted in
// milliseconds, rounded up); then the key reads as absent. ttl must be
// positive (use Set to keep a value forever).
func (kv *KV) SetWithTTL(key string, value []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return &Error{Op: kv.op("set", key), Code: CodeInvalid, Message: fmt.Sprintf("ttl %v is not positive: use Set for a value that does not expire", ttl)}
	}
	ms := int64((ttl + time.Millisecond - 1) / time.Millisecond)
	if code := kv.h.kvSet(kv.handle, key, value, ms); code != CodeOK {
		return fail(kv.h, kv.op("set", key), code)
	}
	return nil
}

// Delete removes key; deleting an absent key is not an error.
func (kv *KV) Delete(key string) error {
	if code := kv.h.kvDelete(kv.handle, key); code != CodeOK {
		return fail(kv.h, kv.op("delete", key), code)
	}
	return nil
}

// Exists reports whether key holds a value.
func (kv *KV) Exists(key string) (bool, error) {
	switch code := kv.h.kvExists(kv.handle, key); code {
	case CodeOK:
		return true, nil
	case CodeNotFound:
		return false, nil
	default:
		return false, fail(kv.h, kv.op("exists", key), code)
	}
}

// listBuffer is the size of the buffer a page of keys is first asked
// into: 1,000 keys of up to 15 bytes, the most one call returns, fit.
const listBuffer = 16 << 10

// ListKeys returns, in bytewise order, keys that start with prefix and
// sort after after ("" starts from the first), as many as the node
// returns in one call (at most 1,000, fewer if they are long), and whether
// more follow: pass the last key returned as after to get them. Each call
// counts as one operation toward the node's limit per request.
func (kv *KV) ListKeys(prefix, after string) (keys []string, more bool, err error) {
	buf := make([]byte, listBuffer)
	for {
		n, more, code := kv.h.kvListKeys(kv.handle, prefix, after, buf)
		switch {
		case code == CodeBufferTooSmall && n > len(buf):
			buf = make([]byte, n)
			continue
		case code != CodeOK:
			return nil, false, fail(kv.h, fmt.Sprintf("kv list keys with prefix %q in store %q", prefix, kv.name), code)
		case n > len(buf):
			return nil, false, &Error{Op: fmt.Sprintf("kv list keys in store %q", kv.name), Code: CodeFault, Message: "the node claims to have written past the buffer"}
		}
		for _, k := range bytes.Split(buf[:n], []byte{0}) {
			if len(k) > 0 {
				keys = append(keys, string(k))
			}
		}
		return keys, more, nil
	}
}

// Keys returns an iterator over every key starting with prefix, in
// bytewise order, fetched from the node a page at a time. It yields
// ("", err) once and stops if a page cannot be read.
//
//	for key, err := range kv.Keys("user:") {
//		if err != nil { return err }
//		...
//	}
func (kv *KV) Keys(prefix string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		after := ""
		for {
			keys, more, err := kv.ListKeys(prefix, after)
			if err != nil {
				yield("", err)
				return
			}
			for _, k := range keys {
				if !yield(k, nil) {
					return
				}
			}
			if !more || len(keys) == 0 {
				return
			}
			after = keys[len(keys)-1]
		}
	}
}

// Increment adds delta (which may be negative) to the integer stored
// under key, a decimal number in ASCII (an absent key counts as 0), and
// returns the new value. It is atomic on every backend: concurrent
// increments through any number of nodes never lose one. It fails with
// ErrInvalid if the value is not a decimal int64, ErrLimit on overflow.
func (kv *KV) Increment(key string, delta int64) (int64, error) {
	n, code := kv.h.kvIncrement(kv.handle, key, delta)
	if code != CodeOK {
		return 0, fail(kv.h, kv.op("increment", key), code)
	}
	return n, nil
}

// CompareAndSwap sets key to new if its value is old, atomically, and
// reports whether it did: false means the value was different or absent.
// It fails with ErrConflict if other writers kept changing the key.
func (kv *KV) CompareAndSwap(key string, old, new []byte) (bool, error) {
	swapped, code := kv.h.kvCompareAndSwap(kv.handle, key, old, false, new)
	if code != CodeOK {
		return false, fail(kv.h, kv.op("compare and swap", key), code)
	}
	return swapped, nil
}

// SetIfAbsent sets key to value if the key is absent, atomically, and
// reports whether it did: false means the key already had a value.
func (kv *KV) SetIfAbsent(key string, value []byte) (bool, error) {
	swapped, code := kv.h.kvCompareAndSwap(kv.handle, key, nil, true, value)
	if code != CodeOK {
		return false, fail(kv.h, kv.op("set if absent", key), code)
	}
	return swapped, nil
}
