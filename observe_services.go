package wisp

import (
	"context"
	"time"

	"github.com/wisphq/wisp/internal/hostabi"
)

// beginCall starts a host call step of the session's invocation. Its
// trace parent is the guest's run (set once the instance started), or
// else ctx's; ctx still bounds the call itself.
func (s *session) beginCall(ctx context.Context, kind StepKind, op, target string) (context.Context, Mark) {
	if s.d.obs == nil {
		return ctx, Mark{}
	}
	if s.run != nil {
		ctx = s.run
	}
	return s.d.obs.Begin(ctx, Step{Kind: kind, Op: op, Target: target})
}

// endCall ends a host call step begun with beginCall.
func (s *session) endCall(m Mark, err error) {
	if s.d.obs != nil {
		s.d.obs.End(m, err)
	}
}

// observedBucket is a bucket whose operations are reported to the node's
// Observer, one StepKV each.
type observedBucket struct{ b *bucket }

var _ hostabi.Bucket = observedBucket{}

func (o observedBucket) Get(ctx context.Context, key string) ([]byte, error) {
	_, m := o.b.s.beginCall(ctx, StepKV, "get", o.b.name)
	v, err := o.b.Get(ctx, key)
	o.b.s.endCall(m, err)
	return v, err
}

func (o observedBucket) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	_, m := o.b.s.beginCall(ctx, StepKV, "set", o.b.name)
	err := o.b.Set(ctx, key, value, ttl)
	o.b.s.endCall(m, err)
	return err
}

func (o observedBucket) Delete(ctx context.Context, key string) error {
	_, m := o.b.s.beginCall(ctx, StepKV, "delete", o.b.name)
	err := o.b.Delete(ctx, key)
	o.b.s.endCall(m, err)
	return err
}

func (o observedBucket) Exists(ctx context.Context, key string) (bool, error) {
	_, m := o.b.s.beginCall(ctx, StepKV, "exists", o.b.name)
	ok, err := o.b.Exists(ctx, key)
	o.b.s.endCall(m, err)
	return ok, err
}

func (o observedBucket) Keys(ctx context.Context, prefix, after string, limit int) ([]string, bool, error) {
	_, m := o.b.s.beginCall(ctx, StepKV, "keys", o.b.name)
	keys, more, err := o.b.Keys(ctx, prefix, after, limit)
	o.b.s.endCall(m, err)
	return keys, more, err
}

func (o observedBucket) Increment(ctx context.Context, key string, delta int64) (int64, error) {
	_, m := o.b.s.beginCall(ctx, StepKV, "increment", o.b.name)
	n, err := o.b.Increment(ctx, key, delta)
	o.b.s.endCall(m, err)
	return n, err
}

func (o observedBucket) CompareAndSwap(ctx context.Context, key string, old []byte, expectAbsent bool, value []byte) (bool, error) {
	_, m := o.b.s.beginCall(ctx, StepKV, "compare_and_swap", o.b.name)
	ok, err := o.b.CompareAndSwap(ctx, key, old, expectAbsent, value)
	o.b.s.endCall(m, err)
	return ok, err
}
