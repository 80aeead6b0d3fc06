package natsstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wisphq/wisp"
)

// kvSweepMax bounds how many expired entries one call purges.
const kvSweepMax = 1000

// kvListExpiredMax bounds how many expired entries a listing purges on
// its way: each is a request to the stream leader.
const kvListExpiredMax = 16

// kvFetchBatch is how many headers a listing asks for at a time.
const kvFetchBatch = 1024

const hexDigits = "0123456789ABCDEF"

// subject returns key's subject: one token per byte (see KV).
func (st *natsKVStore) subject(key string) string {
	return st.subjPrefix + encodeTokens(key)
}

func literal(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// encodeTokens encodes s, one token per byte, tokens separated by dots.
func encodeTokens(s string) string {
	var b strings.Builder
	b.Grow(3 * len(s))
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b.WriteByte('.')
		}
		if c := s[i]; literal(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('=')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// decodeTokens reverses encodeTokens; ok is false for a subject it did not
// make (a key another tool wrote to the bucket).
func decodeTokens(s string) (key string, ok bool) {
	var b strings.Builder
	for tok := range strings.SplitSeq(s, ".") {
		switch {
		case len(tok) == 1 && literal(tok[0]):
			b.WriteByte(tok[0])
		case len(tok) == 3 && tok[0] == '=' && strings.IndexByte(hexDigits, tok[1]) >= 0 && strings.IndexByte(hexDigits, tok[2]) >= 0:
			b.WriteByte(byte(strings.IndexByte(hexDigits, tok[1])<<4 | strings.IndexByte(hexDigits, tok[2])))
		default:
			return "", false
		}
	}
	return b.String(), true
}

// listed is a key as a listing saw it.
type listed struct {
	key     string
	rev     uint64
	expires time.Time
	marker  bool
}

// list calls fn with the latest message of every key starting with
// prefix, in stream order, through a consumer that delivers only their
// headers.
func (st *natsKVStore) list(ctx context.Context, prefix string, fn func(listed)) error {
	filters := []string{st.subjPrefix + ">"}
	if prefix != "" {
		p := st.subject(prefix)
		filters = []string{p, p + ".>"}
	}
	var all []listed
	err := st.s.retry(ctx, func(ctx context.Context) error {
		all = all[:0] // a retry starts over
		cons, err := st.stream.CreateConsumer(ctx, jetstream.ConsumerConfig{
			DeliverPolicy:     jetstream.DeliverLastPerSubjectPolicy,
			AckPolicy:         jetstream.AckNonePolicy,
			FilterSubjects:    filters,
			HeadersOnly:       true,
			MemoryStorage:     true,
			Replicas:          1,
			InactiveThreshold: 10 * time.Second, // if the delete below fails
		})
		if err != nil {
			return err
		}
		defer func() {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), disconnectedWait)
			defer cancel()
			_ = st.stream.DeleteConsumer(dctx, cons.CachedInfo().Name)
		}()
		pending := cons.CachedInfo().NumPending
		for got := uint64(0); got < pending; {
			batch, err := cons.FetchNoWait(int(min(pending-got, kvFetchBatch)))
			if err != nil {
				return err
			}
			n := 0
			for msg := range batch.Messages() {
				n++
				md, err := msg.Metadata()
				if err != nil {
					return err
				}
				subj := msg.Subject()
				key, ok := decodeTokens(strings.TrimPrefix(subj, st.subjPrefix))
				if ok && strings.HasPrefix(subj, st.subjPrefix) {
					marker, expires := parseHeaders(msg.Headers())
					all = append(all, listed{key: key, rev: md.Sequence.Stream, expires: expires, marker: marker})
				}
				if md.NumPending == 0 {
					pending = 0 // the end, as the consumer's server sees it
				}
			}
			if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
				return err
			}
			if n == 0 {
				break // purged since the consumer was made
			}
			got += uint64(n)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, l := range all {
		fn(l)
	}
	return nil
}

// Keys implements wisp.KVStore (see KV for what a listing guarantees).
func (st *natsKVStore) Keys(ctx context.Context, prefix, after string, limit int) ([]string, bool, error) {
	if limit < 1 {
		return nil, false, fmt.Errorf("list keys of key-value store %q: limit %d: %w: ask for at least 1 key", st.name, limit, wisp.ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	now := time.Now()
	var keys []string
	var expired []listed
	err := st.list(ctx, prefix, func(l listed) {
		switch {
		case l.marker || l.key <= after || !strings.HasPrefix(l.key, prefix):
		case !l.expires.IsZero() && !now.Before(l.expires):
			expired = append(expired, l)
		default:
			keys = append(keys, l.key)
		}
	})
	if err != nil {
		return nil, false, fmt.Errorf("natsstore: list keys of key-value store %q: %w", st.name, unavailable(err))
	}
	if len(expired) > 0 {
		st.purgeLocked(ctx, expired[:min(len(expired), kvListExpiredMax)]...)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys) // a key written during the listing may come twice
	if len(keys) > limit {
		return keys[:limit:limit], true, nil
	}
	if keys == nil {
		keys = []string{}
	}
	return keys, false, nil
}

// sweep purges up to kvSweepMax expired entries of the store and returns
// how many it purged. Best effort: errors count as none purged. The
// caller holds the quota lock exclusively.
func (st *natsKVStore) sweep(ctx context.Context) int {
	now := time.Now()
	var expired []listed
	err := st.list(ctx, "", func(l listed) {
		if !l.marker && !l.expires.IsZero() && !now.Before(l.expires) && len(expired) < kvSweepMax {
			expired = append(expired, l)
		}
	})
	if err != nil {
		return 0
	}
	for _, l := range expired {
		st.purgeExpired(ctx, l.key, l.rev)
	}
	return len(expired)
}
