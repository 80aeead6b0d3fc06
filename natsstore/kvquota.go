package natsstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wisphq/wisp"
)

// The bucket's own limit on keys is the quota plus this headroom:
// JetStream in a cluster counts writes in flight against MaxMsgs, even
// those that replace a key, so a limit equal to the quota would refuse
// updates in a full store. The quota itself is checked before each write
// (see room); the bucket's limit bounds what writes racing through several
// nodes can add past it. (The bucket has no byte limit: see the package
// doc's Quota section.)
const kvKeysHeadroom = 1024

// bucketLimit is a quota field as a stream limit: -1 for none.
func bucketLimit(quota, headroom int64) int64 {
	if quota <= 0 {
		return -1
	}
	return quota + headroom
}

// storedSize is what JetStream's file store counts for a message: its
// record (22 bytes), subject, headers (with their 4-byte length) and data,
// and an 8-byte hash.
func storedSize(subject string, hdrLen, dataLen int) int64 {
	if hdrLen == 0 {
		return int64(22 + len(subject) + dataLen + 8)
	}
	return int64(22 + len(subject) + 4 + hdrLen + dataLen + 8)
}

// headerLen is the size of a NATS header block with these fields.
func headerLen(fields map[string]string) int {
	if len(fields) == 0 {
		return 0
	}
	n := len("NATS/1.0\r\n") + len("\r\n")
	for k, v := range fields {
		n += len(k) + len(": ") + len(v) + len("\r\n")
	}
	return n
}

// room checks against the stream leader's state that a message of size
// bytes written to key keeps the store within its quota. A refusal first
// purges expired entries and looks again. The caller holds the quota lock
// exclusively.
func (st *natsKVStore) room(ctx context.Context, op, key string, size int64) error {
	if st.quota == (wisp.KVQuota{}) {
		return nil
	}
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		if err = st.roomOnce(ctx, op, key, size); err == nil || attempt == 1 || !isLimit(err) || st.sweep(ctx) == 0 {
			return err
		}
	}
	return err
}

func isLimit(err error) bool { return err != nil && errors.Is(err, wisp.ErrLimit) }

func (st *natsKVStore) roomOnce(ctx context.Context, op, key string, size int64) error {
	subj := st.subject(key)
	var info *jetstream.StreamInfo
	err := st.s.retry(ctx, func(ctx context.Context) (err error) {
		info, err = st.stream.Info(ctx, jetstream.WithSubjectFilter(subj))
		return err
	})
	if err != nil {
		return st.fail(op, key, err)
	}
	state := info.State
	exists := state.Subjects[subj] > 0
	if q := st.quota.MaxKeys; q > 0 && !exists && int64(state.NumSubjects) >= q {
		return st.fail(op, key, errKeysFull)
	}
	q := st.quota.MaxBytes
	if q <= 0 || int64(state.Bytes)+size <= q {
		return nil
	}
	if exists { // an update: what it replaces is freed
		e, found, err := st.load(ctx, key)
		if err != nil {
			return st.fail(op, key, err)
		}
		if found && int64(state.Bytes)+size-e.size(subj) <= q {
			return nil
		}
	}
	return st.fail(op, key, errBytesFull)
}

// size is what the file store counts for the entry's message.
func (e entry) size(subject string) int64 { return storedSize(subject, e.hdrLen, len(e.value)) }

// expectHeaders returns the headers a write adds besides the expiry, for
// size estimates: the expected sequence and the message ID.
func expectHeaders(fields map[string]string, expect *uint64, msgID string) {
	if expect != nil {
		fields[jetstream.ExpectedLastSubjSeqHeader] = strconv.FormatUint(*expect, 10)
		fields[jetstream.MsgIDHeader] = msgID
	}
}

// Causes of a refusal by room, which fail turns into wisp.ErrLimit errors.
var (
	errKeysFull  = errors.New("the store's key count is at its max_keys")
	errBytesFull = errors.New("the store's size would pass its max_bytes")
)

// quotaLock makes a store's quota exact through one KV value (one node):
// writes that may grow the store hold it exclusively from their check
// against the stream leader's state to their publish, so no other write
// through the node lands in between. A Set that replaces a key's message
// by one no larger holds it shared, only to keep deletes and purges
// (exclusive) from removing the key under it, which would turn it into
// the creation of a key nobody checked. Compare-and-swap writes that
// replace a message by one no larger need no lock: JetStream applies them
// only over that message. Unlike sync.RWMutex, waiting ends with the
// caller's context, so a call made during an outage fails in time rather
// than queueing behind others.
type quotaLock struct {
	writer chan struct{} // one exclusive holder or claimant at a time
	slots  chan struct{} // shared holders take one; the exclusive one takes all
}

// quotaLockSlots bounds the shared holders at once.
const quotaLockSlots = 128

func newQuotaLock() *quotaLock {
	return &quotaLock{writer: make(chan struct{}, 1), slots: make(chan struct{}, quotaLockSlots)}
}

// rlock takes the lock shared, or returns the context's error.
func (l *quotaLock) rlock(ctx context.Context) error {
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *quotaLock) runlock() { <-l.slots }

// lock takes the lock exclusively: the claim first, which stops new
// shared holders from taking the last slots, then every slot as the
// shared holders let go of them.
func (l *quotaLock) lock(ctx context.Context) error {
	select {
	case l.writer <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	for i := range quotaLockSlots {
		select {
		case l.slots <- struct{}{}:
		case <-ctx.Done():
			for range i {
				<-l.slots
			}
			<-l.writer
			return ctx.Err()
		}
	}
	return nil
}

func (l *quotaLock) unlock() {
	for range quotaLockSlots {
		<-l.slots
	}
	<-l.writer
}

// lockQuota takes st's quota lock, exclusive or shared, for a call of op
// on key. Waiting ends with ctx, which the caller derives with
// untilDisconnected at the start of the call, so that a call waiting for
// the lock during an outage fails disconnectedWait into it, like any
// other.
func (st *natsKVStore) lockQuota(ctx context.Context, op, key string, exclusive bool) (unlock func(), err error) {
	if exclusive {
		err, unlock = st.lock.lock(ctx), st.lock.unlock
	} else {
		err, unlock = st.lock.rlock(ctx), st.lock.runlock
	}
	if err != nil {
		return nil, st.fail(op, key, noServer(ctx, err))
	}
	return unlock, nil
}

// purgeLocked purges expired entries (see purgeExpired) under the quota
// lock held exclusively, for calls that do not hold it: a key must not
// vanish under a Set holding it shared. Best effort, like purgeExpired:
// if the lock is not free within purgeLockWait, the entries are left for
// a later call, so a Get or a listing is not held up by writes.
func (st *natsKVStore) purgeLocked(ctx context.Context, expired ...listed) {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), purgeLockWait)
	defer cancel()
	if err := st.lock.lock(lctx); err != nil {
		return
	}
	defer st.lock.unlock()
	for _, l := range expired {
		st.purgeExpired(ctx, l.key, l.rev)
	}
}

// purgeLockWait is how long purgeLocked waits for the quota lock.
const purgeLockWait = 100 * time.Millisecond

// keepsSize reports whether a message of size bytes replacing one of old
// bytes leaves the store no larger.
func keepsSize(size, old int64) bool { return old >= 0 && size <= old }
