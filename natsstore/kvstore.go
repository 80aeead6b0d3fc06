package natsstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wisphq/wisp"
)

// Headers of the store's messages. KV-Operation is JetStream KV's own,
// set by other tools' deletes and purges.
const (
	hdrExpires   = "Wisp-Expires"
	hdrOperation = "KV-Operation"
)

// natsKVStore is one key-value store: a handle on its bucket's stream.
type natsKVStore struct {
	s          *Store
	name       string
	quota      wisp.KVQuota
	stream     jetstream.Stream
	streamName string     // KV_<bucket>
	subjPrefix string     // $KV.<bucket>.
	lock       *quotaLock // shared by the KV's handles on the store

	// seen remembers the expiry of revisions this handle read or wrote,
	// so that Update can tell whether the entry it replaces has expired
	// without reading it again.
	seenMu sync.Mutex
	seen   map[string]seenEntry
}

// entry is the latest message of a key, as the stream leader has it.
type entry struct {
	rev     uint64
	value   []byte
	hdrLen  int
	expires time.Time
	marker  bool // a delete or purge marker left by another tool
}

func (e entry) live(now time.Time) bool {
	return !e.marker && (e.expires.IsZero() || now.Before(e.expires))
}

func (st *natsKVStore) remember(key string, rev uint64, expires time.Time, size int64) {
	st.seenMu.Lock()
	defer st.seenMu.Unlock()
	if len(st.seen) >= maxSeen {
		clear(st.seen)
	}
	st.seen[key] = seenEntry{rev, expires, size}
}

func (st *natsKVStore) recall(key string, rev uint64) (seenEntry, bool) {
	st.seenMu.Lock()
	defer st.seenMu.Unlock()
	e, ok := st.seen[key]
	return e, ok && e.rev == rev
}

// load reads key's latest message from the stream leader.
func (st *natsKVStore) load(ctx context.Context, key string) (e entry, found bool, err error) {
	subj := st.subject(key)
	err = st.s.retry(ctx, func(ctx context.Context) error {
		req, _ := json.Marshal(map[string]string{"last_by_subj": subj})
		msg, err := st.s.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+st.streamName, req)
		if err != nil {
			return err
		}
		var resp struct {
			Message *struct {
				Seq  uint64 `json:"seq"`
				Hdrs []byte `json:"hdrs"`
				Data []byte `json:"data"`
			} `json:"message"`
			Error *jetstream.APIError `json:"error"`
		}
		if err := json.Unmarshal(msg.Data, &resp); err != nil {
			return fmt.Errorf("decode the stream leader's answer: %w", err)
		}
		switch {
		case resp.Error != nil && resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound:
			found = false
			return nil
		case resp.Error != nil:
			return resp.Error
		case resp.Message == nil:
			return errors.New("the stream leader answered without a message")
		}
		m := resp.Message
		e = entry{rev: m.Seq, value: m.Data, hdrLen: len(m.Hdrs)}
		if len(m.Hdrs) > 0 {
			h, err := nats.DecodeHeadersMsg(m.Hdrs)
			if err != nil {
				return fmt.Errorf("key %q at revision %d has headers NATS cannot read: %w", key, m.Seq, err)
			}
			e.marker, e.expires = parseHeaders(h)
		}
		found = true
		return nil
	})
	return e, found, err
}

// parseHeaders reads a message's marker and expiry headers. An expiry
// that is not a number is taken as none.
func parseHeaders(h nats.Header) (marker bool, expires time.Time) {
	if op := h.Get(hdrOperation); op != "" {
		return true, time.Time{}
	}
	if v := h.Get(hdrExpires); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			expires = time.Unix(0, n)
		}
	}
	return false, expires
}

// Get implements wisp.KVStore.
func (st *natsKVStore) Get(ctx context.Context, key string) (wisp.KVEntry, error) {
	if err := begin(ctx, key); err != nil {
		return wisp.KVEntry{}, err
	}
	e, found, err := st.load(ctx, key)
	if err != nil {
		return wisp.KVEntry{}, st.fail("get", key, err)
	}
	if found && !e.marker && !e.live(time.Now()) {
		st.purgeLocked(ctx, listed{key: key, rev: e.rev})
	}
	if !found || !e.live(time.Now()) {
		return wisp.KVEntry{}, fmt.Errorf("key %q in key-value store %q: %w", key, st.name, wisp.ErrNotFound)
	}
	st.remember(key, e.rev, e.expires, e.size(st.subject(key)))
	if e.value == nil {
		e.value = []byte{}
	}
	return wisp.KVEntry{Value: e.value, Revision: e.rev, Expires: e.expires}, nil
}

func begin(ctx context.Context, key string) error {
	if err := wisp.ValidateKVKey(key); err != nil {
		return err
	}
	return ctx.Err()
}

// Set implements wisp.KVStore.
func (st *natsKVStore) Set(ctx context.Context, key string, value []byte, expires time.Time) (uint64, error) {
	if err := begin(ctx, key); err != nil {
		return 0, err
	}
	return st.publish(ctx, "set", key, value, expires, nil, -1)
}

// Create implements wisp.KVStore: a write expecting the key's subject to
// have no message, or, if it has one that is expired or a marker, that
// message's sequence.
func (st *natsKVStore) Create(ctx context.Context, key string, value []byte, expires time.Time) (uint64, error) {
	if err := begin(ctx, key); err != nil {
		return 0, err
	}
	expect := uint64(0)
	rev, err := st.publish(ctx, "create", key, value, expires, &expect, -1)
	if !errors.Is(err, wisp.ErrConflict) {
		return rev, err
	}
	e, found, lerr := st.load(ctx, key)
	switch {
	case lerr != nil:
		return 0, st.fail("create", key, lerr)
	case found && e.live(time.Now()):
		return 0, fmt.Errorf("create key %q in key-value store %q: it exists: %w", key, st.name, wisp.ErrConflict)
	case found:
		expect = e.rev
	}
	// Absent now (deleted since) or expired: try once more on what is
	// there; losing again means another writer created it.
	replaces := int64(-1)
	if found {
		replaces = e.size(st.subject(key))
	}
	return st.publish(ctx, "create", key, value, expires, &expect, replaces)
}

// Update implements wisp.KVStore.
func (st *natsKVStore) Update(ctx context.Context, key string, value []byte, expires time.Time, revision uint64) (uint64, error) {
	if err := begin(ctx, key); err != nil {
		return 0, err
	}
	if revision == 0 {
		return 0, fmt.Errorf("update key %q in key-value store %q: revision 0 is never an entry's: %w", key, st.name, wisp.ErrConflict)
	}
	// The revision may be current but expired, which makes the key absent.
	old, ok := st.recall(key, revision)
	if !ok {
		e, found, err := st.load(ctx, key)
		switch {
		case err != nil:
			return 0, st.fail("update", key, err)
		case !found || e.marker:
			return 0, fmt.Errorf("update key %q in key-value store %q at revision %d: the key is absent: %w", key, st.name, revision, wisp.ErrConflict)
		case e.rev != revision:
			return 0, fmt.Errorf("update key %q in key-value store %q: it is at revision %d, not %d: %w", key, st.name, e.rev, revision, wisp.ErrConflict)
		}
		old = seenEntry{e.rev, e.expires, e.size(st.subject(key))}
	}
	if !old.expires.IsZero() && !time.Now().Before(old.expires) {
		return 0, fmt.Errorf("update key %q in key-value store %q at revision %d: it expired at %s: %w", key, st.name, revision, old.expires.UTC().Format(time.RFC3339Nano), wisp.ErrConflict)
	}
	return st.publish(ctx, "update", key, value, expires, &revision, old.size)
}

// publish writes value to key, if expect is set only if the key's latest
// message is at that sequence (0: none), once the quota has room for it.
// replaces is the size of the message at expect (-1: unknown).
//
// With a quota, a write that may grow the store checks the quota and
// publishes under the store's quota lock, held exclusively (see
// quotaLock); one that cannot grow it skips the check: a compare-and-swap
// over a message no smaller, without the lock; a Set over a message no
// smaller, under the lock held shared.
func (st *natsKVStore) publish(ctx context.Context, op, key string, value []byte, expires time.Time, expect *uint64, replaces int64) (uint64, error) {
	subj := st.subject(key)
	headers := map[string]string{}
	if !expires.IsZero() {
		// Sub saturates: an expiry past 2262, the last time int64
		// nanoseconds reach, is stored as that time.
		headers[hdrExpires] = strconv.FormatInt(int64(expires.Sub(time.Unix(0, 0))), 10)
	}
	var opts []jetstream.PublishOpt
	if expect != nil {
		// One ID for every attempt: a retry after a lost acknowledgement
		// gets the first attempt's sequence back, not a conflict.
		id := rand.Text()
		opts = append(opts, jetstream.WithExpectLastSequencePerSubject(*expect), jetstream.WithMsgID(id))
		expectHeaders(headers, expect, id)
	}
	size := storedSize(subj, headerLen(headers), len(value))
	send := func() (uint64, error) {
		var rev uint64
		err := st.s.retry(ctx, func(ctx context.Context) error {
			m := nats.NewMsg(subj) // new each time: PublishMsg adds the options' headers
			m.Data = value
			if v, ok := headers[hdrExpires]; ok {
				m.Header.Set(hdrExpires, v)
			}
			ack, err := st.s.js.PublishMsg(ctx, m, opts...)
			if err == nil {
				rev = ack.Sequence
			}
			return err
		})
		if err != nil {
			return 0, st.fail(op, key, err)
		}
		st.remember(key, rev, expires, size)
		return rev, nil
	}
	switch {
	case st.quota == (wisp.KVQuota{}):
		return send()
	case expect != nil && *expect != 0 && keepsSize(size, replaces):
		return send() // JetStream applies it over that message or not at all
	}
	// The wait for the lock is part of the call's 2 s (see retry).
	ctx, _, cancel := st.s.untilDisconnected(ctx)
	defer cancel()
	if expect == nil {
		unlock, err := st.lockQuota(ctx, op, key, false)
		if err != nil {
			return 0, err
		}
		e, found, err := st.load(ctx, key)
		if err == nil && found && keepsSize(size, e.size(subj)) {
			defer unlock()
			return send()
		}
		unlock()
		if err != nil {
			return 0, st.fail(op, key, err)
		}
	}
	unlock, err := st.lockQuota(ctx, op, key, true)
	if err != nil {
		return 0, err
	}
	defer unlock()
	if err := st.room(ctx, op, key, size); err != nil {
		return 0, err
	}
	return send()
}

// Delete implements wisp.KVStore: it purges the key's messages.
func (st *natsKVStore) Delete(ctx context.Context, key string) error {
	if err := begin(ctx, key); err != nil {
		return err
	}
	ctx, _, cancel := st.s.untilDisconnected(ctx) // the lock's wait counts
	defer cancel()
	unlock, err := st.lockQuota(ctx, "delete", key, true)
	if err != nil {
		return err
	}
	defer unlock()
	err = st.s.retry(ctx, func(ctx context.Context) error {
		return st.stream.Purge(ctx, jetstream.WithPurgeSubject(st.subject(key)))
	})
	if err != nil {
		return st.fail("delete", key, err)
	}
	return nil
}

// purgeExpired removes key's message at rev, seen expired, unless a newer
// one replaced it. Best effort: a failure leaves it for the next call.
// The caller holds the quota lock exclusively (see purgeLocked).
func (st *natsKVStore) purgeExpired(ctx context.Context, key string, rev uint64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), disconnectedWait)
	defer cancel()
	_ = st.stream.Purge(ctx, jetstream.WithPurgeSubject(st.subject(key)), jetstream.WithPurgeSequence(rev+1))
}

// limitErr returns "keys" or "bytes" if err is a refusal by room or by the
// bucket's MaxMsgs or MaxBytes, "payload" past NATS's max_payload, else "".
func limitErr(err error) string {
	var apiErr *jetstream.APIError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, errKeysFull):
		return "keys"
	case errors.Is(err, errBytesFull):
		return "bytes"
	case errors.Is(err, nats.ErrMaxPayload):
		return "payload"
	case !errors.As(err, &apiErr):
		return ""
	case strings.Contains(apiErr.Description, "maximum messages"):
		return "keys"
	case strings.Contains(apiErr.Description, "maximum bytes"):
		return "bytes"
	}
	return ""
}

// fail turns a NATS error of op on key into the error the caller gets.
func (st *natsKVStore) fail(op, key string, err error) error {
	var apiErr *jetstream.APIError
	switch limitErr(err) {
	case "keys":
		return fmt.Errorf("key-value store %q is full: %d keys, its max_keys; delete keys or raise --kv-max-keys: %w", st.name, st.quota.MaxKeys, wisp.ErrLimit)
	case "bytes":
		return fmt.Errorf("key-value store %q is full: %s key %q would take it past its max_bytes of %d (as JetStream counts them); delete keys or raise --kv-max-bytes: %w", st.name, op, key, st.quota.MaxBytes, wisp.ErrLimit)
	case "payload":
		return fmt.Errorf("%s key %q in key-value store %q: the value and its headers are larger than the NATS servers' max_payload (%d bytes): raise max_payload on the servers or store a smaller value: %w", op, key, st.name, st.s.nc.MaxPayload(), wisp.ErrLimit)
	}
	if errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
		return fmt.Errorf("%s key %q in key-value store %q: another write got there first: %w", op, key, st.name, wisp.ErrConflict)
	}
	return fmt.Errorf("natsstore: %s key %q in key-value store %q: %w", op, key, st.name, unavailable(err))
}
