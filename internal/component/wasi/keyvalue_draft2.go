package wasi

import (
	"context"

	"github.com/wisphq/wisp/internal/component/canon"
	"github.com/wisphq/wisp/internal/services"
)

// KeyValueDraft2 is the second wasi:keyvalue version Wisp implements
// (WebAssembly/wasi-keyvalue at 0.2.0-draft2): its types differ from
// 0.2.0-draft's (a string cursor for list-keys, a signed increment, a cas
// resource with swap, a batch interface), so its interfaces are keyed by
// their versioned names ("wasi:keyvalue/store@0.2.0-draft2") beside the
// unversioned draft ones, on the same services.Bucket code.
const KeyValueDraft2 = "0.2.0-draft2"

// Cas is wasi:keyvalue/atomics@0.2.0-draft2's cas: a key's value as read,
// for a later compare-and-swap.
var Cas = &canon.ResourceType{Name: "cas"}

// kvCas is the object behind a cas handle: the key and the value read
// when it was made (absent: the key had none).
type kvCas struct {
	b       *kvBucket
	key     string
	current []byte
	absent  bool
}

func (*kvCas) resourceType() *canon.ResourceType { return Cas }

// addKeyValueDraft2 adds wasi:keyvalue's store, atomics and batch at
// 0.2.0-draft2 to m.
func addKeyValueDraft2(m map[string]Interface, kvErr *canon.Type) {
	bytes := canon.List(canon.U8())
	str := canon.String()
	bb := canon.Borrow(Bucket)
	res := func(t *canon.Type) *canon.Type { return canon.Result(t, kvErr) }
	keyResponse := canon.Record(
		canon.Field{Name: "keys", Type: canon.List(str)},
		canon.Field{Name: "cursor", Type: canon.Option(str)},
	)
	draft := serviceInterfaces(false)["wasi:keyvalue/store"]
	store := Interface{}
	for _, name := range []string{"open", "[method]bucket.get", "[method]bucket.set", "[method]bucket.delete", "[method]bucket.exists", "[resource-drop]bucket"} {
		store[name] = draft[name] // the same types in both drafts
	}
	store["[method]bucket.list-keys"] = fn(ps(bb, canon.Option(str)), res(keyResponse), withBucket(listKeysAfter))
	v := "@" + KeyValueDraft2
	m["wasi:keyvalue/store"+v] = store

	casErr := canon.Variant(canon.Case{Name: "store-error", Type: kvErr}, canon.Case{Name: "cas-failed", Type: canon.Own(Cas)})
	m["wasi:keyvalue/atomics"+v] = Interface{
		"increment": fn(ps(bb, str, canon.S64()), res(canon.S64()), withBucket(func(ctx context.Context, s *State, b *kvBucket, args []any) (any, error) {
			return b.b.Increment(ctx, args[1].(string), args[2].(int64))
		})),
		"[static]cas.new": fn(ps(bb, str), res(canon.Own(Cas)), withBucket(func(ctx context.Context, s *State, b *kvBucket, args []any) (any, error) {
			c, err := readCas(ctx, s, b, args[1].(string))
			if err != nil {
				return nil, err
			}
			return s.add(c)
		})),
		"[method]cas.current": fn(ps(canon.Borrow(Cas)), res(canon.Option(bytes)), func(_ context.Context, s *State, args []any) ([]any, error) {
			c, err := get[*kvCas](s, Cas, args[0])
			if err != nil {
				return nil, err
			}
			if c.absent {
				return one(ok(none()))
			}
			return one(ok(some(c.current)))
		}),
		"swap":               fn(ps(canon.Own(Cas), bytes), canon.Result(nil, casErr), casSwap),
		"[resource-drop]cas": dropFunc(Cas),
	}

	pair := canon.Tuple(str, bytes)
	m["wasi:keyvalue/batch"+v] = Interface{
		"get-many": fn(ps(bb, canon.List(str)), res(canon.List(canon.Option(pair))), withBucket(func(ctx context.Context, s *State, b *kvBucket, args []any) (any, error) {
			keys, _ := args[1].([]any)
			out := make([]any, len(keys))
			for i, k := range keys {
				v, err := b.b.Get(ctx, k.(string))
				switch {
				case err != nil && s.Services.Classify(err) == services.NotFound:
					out[i] = none()
				case err != nil:
					return nil, err
				default:
					out[i] = some([]any{k, v})
				}
			}
			return out, nil
		})),
		"set-many": fn(ps(bb, canon.List(pair)), res(nil), withBucket(func(ctx context.Context, s *State, b *kvBucket, args []any) (any, error) {
			kvs, _ := args[1].([]any)
			for _, kv := range kvs {
				p := kv.([]any)
				v, _ := p[1].([]byte)
				if err := b.b.Set(ctx, p[0].(string), v, 0); err != nil {
					return nil, err
				}
			}
			return nil, nil
		})),
		"delete-many": fn(ps(bb, canon.List(str)), res(nil), withBucket(func(ctx context.Context, s *State, b *kvBucket, args []any) (any, error) {
			keys, _ := args[1].([]any)
			for _, k := range keys {
				if err := b.b.Delete(ctx, k.(string)); err != nil {
					return nil, err
				}
			}
			return nil, nil
		})),
	}
}

// readCas reads key's value in b into a new cas (not yet in the State).
func readCas(ctx context.Context, s *State, b *kvBucket, key string) (*kvCas, error) {
	v, err := b.b.Get(ctx, key)
	if err != nil && s.Services.Classify(err) == services.NotFound {
		return &kvCas{b: b, key: key, absent: true}, nil
	} else if err != nil {
		return nil, err
	}
	return &kvCas{b: b, key: key, current: v}, nil
}

// casSwap sets the cas's key to the value if it still holds what the cas
// read (or is still absent): otherwise it fails with cas-failed and a new
// cas holding the value found now, to retry from.
func casSwap(ctx context.Context, s *State, args []any) ([]any, error) {
	c, err := take[*kvCas](s, Cas, args[0])
	if err != nil {
		return nil, err
	}
	v, _ := args[1].([]byte)
	storeErr := func(err error) ([]any, error) {
		return one(errValue(canon.VariantValue{Case: 0, Value: kvError(s, err, false)}))
	}
	swapped, err := c.b.b.CompareAndSwap(ctx, c.key, c.current, c.absent, v)
	if err != nil {
		return storeErr(err)
	}
	if swapped {
		return one(ok(nil))
	}
	fresh, err := readCas(ctx, s, c.b, c.key)
	if err != nil {
		return storeErr(err)
	}
	r, err := s.add(fresh)
	if err != nil {
		return nil, err
	}
	return one(errValue(canon.VariantValue{Case: 1, Value: r}))
}

// listKeysAfter pages through the bucket's keys with draft2's string
// cursor: the last key a page returned, which the next page starts after.
func listKeysAfter(ctx context.Context, _ *State, b *kvBucket, args []any) (any, error) {
	after := ""
	if c, _ := args[1].(canon.VariantValue); c.Case == 1 {
		after, _ = c.Value.(string)
	}
	keys, more, err := b.b.Keys(ctx, "", after, MaxListKeys)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	cursor := none()
	if more && len(keys) > 0 {
		cursor = some(keys[len(keys)-1])
	}
	return []any{out, cursor}, nil
}
