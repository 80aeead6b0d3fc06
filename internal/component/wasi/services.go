package wasi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/wisphq/wisp/internal/component/canon"
	"github.com/wisphq/wisp/internal/services"
)

// The platform services a component imports, at the WIT versions Wisp
// implements (docs/components.md, section 6): the drafts the toolchains
// emit (Spin's SDKs and componentize-js examples target
// wasi:keyvalue@0.2.0-draft, wasi:config@0.2.0-draft and
// wasi:logging@0.1.0-draft).
const (
	KeyValueVersion = "0.2.0-draft"
	ConfigVersion   = "0.2.0-draft"
	LoggingVersion  = "0.1.0-draft"
)

// Bucket is wasi:keyvalue/store's bucket.
var Bucket = &canon.ResourceType{Name: "bucket"}

// MaxListKeys is the most keys one wasi:keyvalue bucket.list-keys call
// returns; its cursor is the number of keys already returned.
const MaxListKeys = 1000

// kvBucket is the object behind a bucket handle.
type kvBucket struct {
	b    services.Bucket
	name string
}

func (*kvBucket) resourceType() *canon.ResourceType { return Bucket }

// Services returns the platform-service interfaces by name without
// version (wasi:keyvalue/store, wasi:keyvalue/atomics, wasi:config/store,
// wasi:logging/logging: the versions of KeyValueVersion, ConfigVersion
// and LoggingVersion) and, by versioned name, wasi:keyvalue's store,
// atomics and batch at KeyValueDraft2, over the State's Services. Like
// Interfaces, each call builds new maps.
func Services() map[string]Interface { return serviceInterfaces(true) }

func serviceInterfaces(withDraft2 bool) map[string]Interface {
	bytes := canon.List(canon.U8())
	kvErr := canon.Variant(canon.Case{Name: "no-such-store"}, canon.Case{Name: "access-denied"}, canon.Case{Name: "other", Type: canon.String()})
	keyResponse := canon.Record(
		canon.Field{Name: "keys", Type: canon.List(canon.String())},
		canon.Field{Name: "cursor", Type: canon.Option(canon.U64())},
	)
	bb := canon.Borrow(Bucket)
	res := func(t *canon.Type) *canon.Type { return canon.Result(t, kvErr) }
	cfgErr := canon.Variant(canon.Case{Name: "upstream", Type: canon.String()}, canon.Case{Name: "io", Type: canon.String()})
	level := canon.Enum("trace", "debug", "info", "warn", "error", "critical")
	m := map[string]Interface{
		"wasi:keyvalue/store": {
			"open": fn(ps(canon.String()), res(canon.Own(Bucket)), kvOpen),
			"[method]bucket.get": fn(ps(bb, canon.String()), res(canon.Option(bytes)), withBucket(func(ctx context.Context, s *State, b *kvBucket, args []any) (any, error) {
				v, err := b.b.Get(ctx, args[1].(string))
				if err != nil && s.Services.Classify(err) == services.NotFound {
					return none(), nil // an absent key is not an error to get
				} else if err != nil {
					return nil, err
				}
				return some(v), nil
			})),
			"[method]bucket.set": fn(ps(bb, canon.String(), bytes), res(nil), withBucket(func(ctx context.Context, s *State, b *kvBucket, args []any) (any, error) {
				v, _ := args[2].([]byte)
				return nil, b.b.Set(ctx, args[1].(string), v, 0)
			})),
			"[method]bucket.delete": fn(ps(bb, canon.String()), res(nil), withBucket(func(ctx context.Context, s *State, b *kvBucket, args []any) (any, error) {
				return nil, b.b.Delete(ctx, args[1].(string))
			})),
			"[method]bucket.exists": fn(ps(bb, canon.String()), res(canon.Bool()), withBucket(func(ctx context.Context, s *State, b *kvBucket, args []any) (any, error) {
				return b.b.Exists(ctx, args[1].(string))
			})),
			"[method]bucket.list-keys": fn(ps(bb, canon.Option(canon.U64())), res(keyResponse), withBucket(listKeys)),
			"[resource-drop]bucket":    dropFunc(Bucket),
		},
		"wasi:keyvalue/atomics": {
			"increment": fn(ps(bb, canon.String(), canon.U64()), res(canon.U64()), withBucket(func(ctx context.Context, s *State, b *kvBucket, args []any) (any, error) {
				delta := args[2].(uint64)
				if delta > math.MaxInt64 {
					return nil, fmt.Errorf("increment of key %q by %d: the delta must be at most %d (values are signed 64-bit integers)", args[1], delta, int64(math.MaxInt64))
				}
				n, err := b.b.Increment(ctx, args[1].(string), int64(delta))
				if err != nil {
					return nil, err
				}
				if n < 0 {
					return nil, fmt.Errorf("increment of key %q gave %d, which a u64 cannot hold: the key holds a negative number (set it with wisp:keyvalue or wisp kv)", args[1], n)
				}
				return uint64(n), nil
			})),
		},
		"wasi:config/store": {
			"get":     fn(ps(canon.String()), canon.Result(canon.Option(canon.String()), cfgErr), configGet),
			"get-all": fn(nil, canon.Result(canon.List(canon.Tuple(canon.String(), canon.String())), cfgErr), configGetAll),
		},
		"wasi:logging/logging": {
			"log": fn(ps(level, canon.String(), canon.String()), nil, logCall),
		},
	}
	if withDraft2 {
		addKeyValueDraft2(m, kvErr)
	}
	return m
}

// errNoServices is what a service call meets in a run without Services
// (wisp run).
var errNoServices = errors.New("platform services are not available here (wisp run gives a component none): deploy the app to use key-value stores and variables")

func kvOpen(ctx context.Context, s *State, args []any) ([]any, error) {
	if s.Services == nil {
		return one(errValue(canon.VariantValue{Case: 2, Value: errNoServices.Error()}))
	}
	name := args[0].(string)
	b, err := s.Services.OpenKV(ctx, name)
	if err != nil {
		return one(errValue(kvError(s, err, true)))
	}
	r, err := s.add(&kvBucket{b: b, name: name})
	if err != nil {
		return nil, err
	}
	return one(ok(r))
}

// withBucket runs f on the bucket behind args[0] and wraps its value in
// result<_, error>: an error of f becomes the guest's error variant.
func withBucket(f func(ctx context.Context, s *State, b *kvBucket, args []any) (any, error)) call {
	return func(ctx context.Context, s *State, args []any) ([]any, error) {
		b, err := get[*kvBucket](s, Bucket, args[0])
		if err != nil {
			return nil, err
		}
		v, err := f(ctx, s, b, args)
		if err != nil {
			return one(errValue(kvError(s, err, false)))
		}
		return one(ok(v))
	}
}

// kvError maps a service error to wasi:keyvalue's error variant: denied
// is access-denied, a missing store (only when opening) no-such-store,
// anything else other(message), so the guest sees why.
func kvError(s *State, err error, opening bool) canon.VariantValue {
	switch s.Services.Classify(err) {
	case services.Denied:
		return canon.VariantValue{Case: 1}
	case services.NotFound:
		if opening {
			return canon.VariantValue{Case: 0}
		}
	}
	return canon.VariantValue{Case: 2, Value: err.Error()}
}

// listKeys pages through the bucket's keys: the cursor is how many keys
// earlier calls returned (a u64, as the 0.2.0-draft WIT has it), so a call
// with a cursor skips that many keys first (each page read counts as one
// key-value operation).
func listKeys(ctx context.Context, _ *State, b *kvBucket, args []any) (any, error) {
	var skip uint64
	if c, _ := args[1].(canon.VariantValue); c.Case == 1 {
		skip, _ = c.Value.(uint64)
	}
	after := ""
	for skip > 0 {
		n := int(min(skip, MaxListKeys))
		keys, more, err := b.b.Keys(ctx, "", after, n)
		if err != nil {
			return nil, err
		}
		if len(keys) == 0 || !more {
			return []any{[]any{}, none()}, nil // the cursor is at or past the end
		}
		after = keys[len(keys)-1]
		skip -= uint64(len(keys))
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
	if more {
		var start uint64
		if c, _ := args[1].(canon.VariantValue); c.Case == 1 {
			start, _ = c.Value.(uint64)
		}
		cursor = some(start + uint64(len(keys)))
	}
	return []any{out, cursor}, nil
}

// configGet returns a variable's value like preview 1's wisp:config/get
// (a secret's plaintext included); a variable without a value is none,
// and any other failure (an undeclared name among them) is
// error.upstream(message).
func configGet(ctx context.Context, s *State, args []any) ([]any, error) {
	if s.Services == nil {
		return one(errValue(canon.VariantValue{Case: 0, Value: errNoServices.Error()}))
	}
	v, err := s.Services.Variable(ctx, args[0].(string))
	if err != nil {
		if s.Services.Classify(err) == services.NotFound {
			return one(ok(none()))
		}
		return one(errValue(configError(s, err)))
	}
	return one(ok(some(v)))
}

// configGetAll lists the State's Variables (the node sets the app's
// declared variables but its secrets) that have a value, sorted by name.
func configGetAll(ctx context.Context, s *State, _ []any) ([]any, error) {
	if s.Services == nil {
		return one(errValue(canon.VariantValue{Case: 0, Value: errNoServices.Error()}))
	}
	names := append([]string(nil), s.Variables...)
	sort.Strings(names)
	out := make([]any, 0, len(names))
	for _, name := range names {
		v, err := s.Services.Variable(ctx, name)
		if err != nil {
			if s.Services.Classify(err) == services.NotFound {
				continue
			}
			return one(errValue(configError(s, err)))
		}
		out = append(out, []any{name, v})
	}
	return one(ok(out))
}

// configError is error.io for a store that failed, error.upstream
// otherwise; both carry the message.
func configError(s *State, err error) canon.VariantValue {
	switch s.Services.Classify(err) {
	case services.Unavailable, services.Timeout:
		return canon.VariantValue{Case: 1, Value: err.Error()}
	}
	return canon.VariantValue{Case: 0, Value: err.Error()}
}

// logCall records the entry through Services.Log (entries beyond the
// invocation's limit are dropped: log returns nothing to report it); with
// no Services it writes "level context: message" to Stderr.
func logCall(ctx context.Context, s *State, args []any) ([]any, error) {
	level, _ := args[0].(uint32)
	logContext, _ := args[1].(string)
	msg, _ := args[2].(string)
	if s.Services != nil {
		_ = s.Services.Log(ctx, services.Level(level), logContext, msg, nil)
		return nil, nil
	}
	if s.Stderr != nil {
		prefix := services.Level(level).String()
		if logContext != "" {
			prefix += " " + logContext
		}
		fmt.Fprintf(s.Stderr, "%s: %s\n", prefix, msg)
	}
	return nil, nil
}
