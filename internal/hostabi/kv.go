package hostabi

import (
	"context"
	"fmt"
	"time"

	"github.com/wisphq/wisp/internal/engine"
)

// maxKeysPerList bounds the keys one list_keys call returns.
const maxKeysPerList = 1000

// bucket returns the store a handle names.
func (c *Call) bucket(h uint64) (Bucket, error) {
	i := u32(h)
	if i == 0 || int(i) > len(c.buckets) {
		return nil, invalidArg{fmt.Sprintf("key-value handle %d is not open: get one from open", i)}
	}
	return c.buckets[i-1], nil
}

// bucketKey reads the handle and key of a key-value call.
func (c *Call) bucketKey(mem engine.Memory, stack []uint64) (Bucket, string, error) {
	b, err := c.bucket(stack[0])
	if err != nil {
		return nil, "", err
	}
	if err := sizeOK(stack[2], maxKey, "key"); err != nil {
		return nil, "", err
	}
	key, err := stringAt(mem, stack[1], stack[2], "key")
	return b, key, err
}

// kvStoreModule is wisp:keyvalue/store@1.
func kvStoreModule() engine.HostModule {
	return engine.HostModule{Name: "wisp:keyvalue/store@1", Funcs: []engine.HostFunc{
		// open(name_ptr, name_len, handle_ptr)
		fn("open", i32s(3), func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (Status, error) {
			if err := sizeOK(stack[1], maxName, "store name"); err != nil {
				return OK, err
			}
			name, err := stringAt(mem, stack[0], stack[1], "store name")
			if err != nil {
				return OK, err
			}
			if h, ok := c.opened[name]; ok { // one handle per store, however often opened
				return OK, writeU32(mem, stack[2], h, "handle pointer")
			}
			b, err := c.svc.OpenKV(ctx, name)
			if err != nil {
				return OK, err
			}
			c.buckets = append(c.buckets, b)
			if c.opened == nil {
				c.opened = map[string]uint32{}
			}
			c.opened[name] = uint32(len(c.buckets))
			return OK, writeU32(mem, stack[2], uint32(len(c.buckets)), "handle pointer")
		}),
		// get(handle, key_ptr, key_len, buf_ptr, cap, len_ptr)
		fn("get", i32s(6), func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (Status, error) {
			b, key, err := c.bucketKey(mem, stack)
			if err != nil {
				return OK, err
			}
			if err := checkOut(mem, stack[3], stack[4], stack[5]); err != nil {
				return OK, err
			}
			value, ok := c.retry.take("kv", u32(stack[0]), key)
			if !ok {
				if value, err = b.Get(ctx, key); err != nil {
					return OK, err
				}
			}
			st, err := output(mem, stack[3], stack[4], stack[5], value)
			if st == BufferTooSmall {
				c.pending = pendingGet{kind: "kv", handle: u32(stack[0]), key: key, value: value}
			}
			return st, err
		}),
		// set(handle, key_ptr, key_len, val_ptr, val_len, ttl_ms i64)
		fn("set", []engine.ValueType{engine.I32, engine.I32, engine.I32, engine.I32, engine.I32, engine.I64}, func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (Status, error) {
			b, key, err := c.bucketKey(mem, stack)
			if err != nil {
				return OK, err
			}
			ttl := int64(stack[5])
			if ttl < 0 || ttl > maxTTLMilli {
				return OK, invalidArg{fmt.Sprintf("ttl_ms %d is out of range: use 0 for no expiry, or up to %d (100 years)", ttl, int64(maxTTLMilli))}
			}
			if err := c.valueSize(stack[4]); err != nil {
				return OK, err
			}
			value, err := bytesAt(mem, stack[3], stack[4], "value")
			if err != nil {
				return OK, err
			}
			return OK, b.Set(ctx, key, value, time.Duration(ttl)*time.Millisecond)
		}),
		// delete(handle, key_ptr, key_len)
		fn("delete", i32s(3), func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (Status, error) {
			b, key, err := c.bucketKey(mem, stack)
			if err != nil {
				return OK, err
			}
			return OK, b.Delete(ctx, key)
		}),
		// exists(handle, key_ptr, key_len)
		fn("exists", i32s(3), func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (Status, error) {
			b, key, err := c.bucketKey(mem, stack)
			if err != nil {
				return OK, err
			}
			ok, err := b.Exists(ctx, key)
			if err != nil || ok {
				return OK, err
			}
			return NotFound, nil
		}),
		// list_keys(handle, prefix_ptr, prefix_len, after_ptr, after_len, buf_ptr, cap, len_ptr, more_ptr)
		fn("list_keys", i32s(9), func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (Status, error) {
			b, prefix, err := c.bucketKey(mem, stack)
			if err != nil {
				return OK, err
			}
			if err := sizeOK(stack[4], maxKey, "after"); err != nil {
				return OK, err
			}
			after, err := stringAt(mem, stack[3], stack[4], "after")
			if err != nil {
				return OK, err
			}
			if err := checkOut(mem, stack[5], stack[6], stack[7]); err != nil {
				return OK, err
			}
			if _, ok := mem.Read(u32(stack[8]), 4); !ok {
				return OK, fault{"more pointer"}
			}
			keys, more, err := b.Keys(ctx, prefix, after, maxKeysPerList)
			if err != nil {
				return OK, err
			}
			var out []byte
			capacity := uint64(u32(stack[6]))
			for i, k := range keys {
				if uint64(len(out)+len(k)+1) > capacity {
					if i == 0 {
						if err := writeU32(mem, stack[7], uint32(len(k)+1), "length pointer"); err != nil {
							return OK, err
						}
						return BufferTooSmall, nil
					}
					more = true
					break
				}
				out = append(append(out, k...), 0)
			}
			moreFlag := uint32(0)
			if more {
				moreFlag = 1
			}
			if err := writeU32(mem, stack[8], moreFlag, "more pointer"); err != nil {
				return OK, err
			}
			return output(mem, stack[5], stack[6], stack[7], out)
		}),
	}}
}

// kvAtomicsModule is wisp:keyvalue/atomics@1.
func kvAtomicsModule() engine.HostModule {
	return engine.HostModule{Name: "wisp:keyvalue/atomics@1", Funcs: []engine.HostFunc{
		// increment(handle, key_ptr, key_len, delta i64, result_ptr)
		fn("increment", []engine.ValueType{engine.I32, engine.I32, engine.I32, engine.I64, engine.I32}, func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (Status, error) {
			b, key, err := c.bucketKey(mem, stack)
			if err != nil {
				return OK, err
			}
			if _, ok := mem.Read(u32(stack[4]), 8); !ok {
				return OK, fault{"result pointer"}
			}
			n, err := b.Increment(ctx, key, int64(stack[3]))
			if err != nil {
				return OK, err
			}
			mem.WriteUint64Le(u32(stack[4]), uint64(n))
			return OK, nil
		}),
		// compare_and_swap(handle, key_ptr, key_len, old_ptr, old_len, expect_absent, new_ptr, new_len, swapped_ptr)
		fn("compare_and_swap", i32s(9), func(ctx context.Context, c *Call, mem engine.Memory, stack []uint64) (Status, error) {
			b, key, err := c.bucketKey(mem, stack)
			if err != nil {
				return OK, err
			}
			if err := c.valueSize(stack[4]); err != nil {
				return OK, err
			}
			if err := c.valueSize(stack[7]); err != nil {
				return OK, err
			}
			old, err := bytesAt(mem, stack[3], stack[4], "old value")
			if err != nil {
				return OK, err
			}
			value, err := bytesAt(mem, stack[6], stack[7], "new value")
			if err != nil {
				return OK, err
			}
			if _, ok := mem.Read(u32(stack[8]), 4); !ok {
				return OK, fault{"swapped pointer"}
			}
			swapped, err := b.CompareAndSwap(ctx, key, old, u32(stack[5]) != 0, value)
			if err != nil {
				return OK, err
			}
			flag := uint32(0)
			if swapped {
				flag = 1
			}
			return OK, writeU32(mem, stack[8], flag, "swapped pointer")
		}),
	}}
}

// valueSize refuses a value longer than the node stores, before it is
// copied.
func (c *Call) valueSize(n uint64) error {
	if max := c.svc.MaxValue(); int64(u32(n)) > max {
		return limitErr{fmt.Sprintf("value of %d bytes is larger than the node's limit of %d bytes (wisp serve --kv-max-value)", u32(n), max)}
	}
	return nil
}

// take returns the pending value of a retried get and clears it.
func (p *pendingGet) take(kind string, handle uint32, key string) ([]byte, bool) {
	if p.value == nil || p.kind != kind || p.handle != handle || p.key != key {
		return nil, false
	}
	v := p.value
	*p = pendingGet{}
	return v, true
}
