package wisp

import (
	"bytes"
	"context"
	"errors"
	"time"
)

// bucket is one store as an invocation sees it: every operation counts
// against the request's kv_ops, keys and values are checked against the
// node's limits before the backend sees them.
type bucket struct {
	s    *session
	name string
	st   KVStore
}

// op counts one operation and checks key.
func (b *bucket) op(ctx context.Context, key string) error {
	if err := b.count(ctx); err != nil {
		return err
	}
	return ValidateKVKey(key)
}

// count counts one operation against the request's kv_ops, and arms ctx's
// deadline before the backend is called (armDeadline): a host call making
// many store calls (get-many, set-many) stops at the deadline between them.
func (b *bucket) count(ctx context.Context) error {
	armDeadline(ctx)
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.s.kvOps <= 0 {
		return errorf(ErrLimit, "app %q made %d key-value operations in this request, its limits.kv_ops", b.s.d.app, b.s.limits.KVOps)
	}
	b.s.kvOps--
	return nil
}

func (b *bucket) checkValue(v []byte) error {
	if max := b.s.n.kvLimits().MaxValue; int64(len(v)) > max {
		return errorf(ErrLimit, "value of %d bytes for key-value store %q is larger than the node's limit of %d bytes (wisp serve --kv-max-value)", len(v), b.name, max)
	}
	return nil
}

func (b *bucket) Get(ctx context.Context, key string) ([]byte, error) {
	if err := b.op(ctx, key); err != nil {
		return nil, err
	}
	e, err := b.st.Get(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return nil, errorf(ErrNotFound, "key %q is not in store %q", key, b.name)
	}
	return e.Value, err
}

func (b *bucket) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := b.op(ctx, key); err != nil {
		return err
	}
	if err := b.checkValue(value); err != nil {
		return err
	}
	var expires time.Time
	if ttl > 0 {
		expires = time.Now().Add(ttl)
	}
	_, err := b.st.Set(ctx, key, value, expires)
	return err
}

func (b *bucket) Delete(ctx context.Context, key string) error {
	if err := b.op(ctx, key); err != nil {
		return err
	}
	return b.st.Delete(ctx, key)
}

func (b *bucket) Exists(ctx context.Context, key string) (bool, error) {
	if err := b.op(ctx, key); err != nil {
		return false, err
	}
	_, err := b.st.Get(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (b *bucket) Keys(ctx context.Context, prefix, after string, limit int) ([]string, bool, error) {
	if err := b.count(ctx); err != nil {
		return nil, false, err
	}
	keys, more, err := b.st.Keys(ctx, prefix, after, limit)
	return keys, more, err
}

func (b *bucket) Increment(ctx context.Context, key string, delta int64) (int64, error) {
	if err := b.op(ctx, key); err != nil {
		return 0, err
	}
	n, err := KVIncrement(ctx, b.st, key, delta)
	return n, err
}

func (b *bucket) CompareAndSwap(ctx context.Context, key string, old []byte, expectAbsent bool, value []byte) (bool, error) {
	if err := b.op(ctx, key); err != nil {
		return false, err
	}
	if err := b.checkValue(value); err != nil {
		return false, err
	}
	if expectAbsent {
		old = nil
	} else if old == nil {
		old = []byte{} // present and empty, not absent
	}
	swapped, err := KVCompareAndSwap(ctx, b.st, key, bytes.Clone(old), expectAbsent, value)
	return swapped, err
}
