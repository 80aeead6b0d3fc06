package natsstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wisphq/wisp"
)

// Metadata keys that mark a bucket as a store of a fleet, so that Stores
// does not take another fleet's buckets (or any bucket whose name merely
// looks like one) for its own.
const (
	kvMetaFleet = "wisp-fleet"
	kvMetaStore = "wisp-kv-store"
)

// KV returns the fleet's key-value stores: one JetStream Key-Value bucket
// per store, named FLEET_kv_NAME ("wisp_kv_default"), with as many
// replicas as the apps bucket. Every node of the fleet reaches the same
// stores. Each bucket's stream carries its fleet and store in its
// metadata: Open refuses (wisp.ErrConflict) a bucket of the name that is
// not this fleet's store, and refuses every store (wisp.ErrInvalid) to a
// fleet whose name contains "_kv_" or ends with "_kv", as such a fleet's
// buckets can be named as another fleet's stores are.
//
// # Keys and entries
//
// Keys are any valid UTF-8, so each byte becomes one token of the NATS
// subject: itself for ASCII letters, digits, '-' and '_', "=XX" (hex)
// for the others ("a.b" is "a.=2E.b"). A listing by prefix then reads
// only the keys with that prefix. Tools such as `nats kv ls` show the
// encoded keys. An entry's expiry travels in a Wisp-Expires header (Unix
// nanoseconds; one past 2262, the last time they reach, is kept as that
// time); nothing needs the server's per-message TTL.
//
// # Guarantees
//
// Revisions are the bucket's stream sequences: they grow with every write
// to the store and are never reused. Create and Update are JetStream's
// compare-and-swap (the expected last sequence of the key's subject), so
// they, KVIncrement and KVCompareAndSwap are linearizable across nodes.
// Get reads from the stream leader (JetStream's message-get API, not a
// direct get a replica may answer), so it sees every write acknowledged
// before it, through any node. Keys reads through a consumer JetStream
// places on any server holding the bucket: a key written or deleted
// through any node a few milliseconds earlier may be missing from a
// listing or still in it. A listing costs a consumer (created and
// deleted through the cluster's meta leader) and the headers of every
// key with the prefix, whatever the limit. Delete purges the key's
// messages, so it leaves no marker behind. A Create or Update whose
// acknowledgement was lost is retried with the same message ID, which
// JetStream's duplicate window (2 minutes) answers with the first write's
// revision instead of a conflict.
//
// # Quota
//
// A write that would create a key in a store holding MaxKeys keys, or
// take its bytes past MaxBytes, is refused with wisp.ErrLimit and not
// sent. An update that does not grow its entry succeeds in a full store.
// Entries expired but not yet purged count until a refused write purges
// them (it lists the store, purges up to 1,000 expired entries and looks
// again). MaxBytes counts what JetStream's file store counts: per entry
// the subject (1 to 3 bytes and a dot per byte of the key), the headers
// (about 100 bytes on a Create or Update, 35 for an expiry), the value
// and 30 bytes of record, so a store holds fewer bytes of keys and values
// than memory or bbolt would.
//
// Through one KV value (a node has one; every handle it opens on a store
// shares the store's lock) the quota is exact. A write that may grow the
// store asks the stream leader for the bucket's state (one request) and
// publishes while holding the store's lock exclusively, so these writes
// go to a store one at a time, each seeing the one before. Writes that
// cannot grow it skip the check and run side by side: an Update, or a
// Create over an expired entry, whose message is no larger than the one
// it replaces (a compare-and-swap, which JetStream applies over that
// message or not at all), without the lock; a Set whose key's message,
// read first from the stream leader, is no smaller, under the lock held
// shared (Delete and the purging of expired entries take it exclusively,
// so the key cannot vanish under the Set). A Set of a new key thus costs
// three requests (read, state, publish), a Set over a no smaller entry
// two, an Update read just before (as KVIncrement's) one. Waiting for the
// lock counts as part of the call (see Outages).
//
// Across nodes it is not exact: nodes do not coordinate, so writes
// racing through several nodes each check a state without the others'
// and together pass the quota by up to what the other nodes add at that
// moment, about one growing write each (a Set through one node over a
// key another deletes at that moment can add one more). JetStream
// refuses, atomically, any write past the bucket's own limit of MaxKeys +
// 1,024 messages (Open sets it; the last node to open a store with another
// quota changes it for all); it has that headroom because JetStream in a
// cluster counts writes in flight against it, even those replacing a key,
// which would refuse updates in a full store. The bucket gets no byte
// limit of its own: JetStream reserves a stream's MaxBytes from the
// account's storage (max_file_store) as soon as the stream exists, so
// each store would take its whole quota, 256 MiB by default, of the
// servers' disk budget while empty. MaxBytes is the nodes' check alone.
//
// # Limits
//
// A value and its headers must fit in NATS's max_payload (1 MiB by
// default): a Set without expiry takes a value of max_payload bytes; a
// Create or Update adds about 100 bytes of headers, an expiry 35. A write
// past it fails with wisp.ErrLimit.
//
// # Outages
//
// Like the store's other calls, a call made while the client has no NATS
// server fails with wisp.ErrUnavailable about 2 s into it; one made while
// a cluster elects a leader waits for it (up to 10 s). A write that failed
// with wisp.ErrUnavailable may still take effect: the client keeps what it
// sent while reconnecting and delivers it once it can (a compare-and-swap
// then still applies only on the revision it names).
//
// Expired entries are purged when a call comes across them (a Get of the
// key, a listing, up to 16 at a time, or a write refused by the quota);
// this is best effort, and entries that expire and are never touched
// again stay in the bucket.
func (s *Store) KV() wisp.KV {
	return &natsKV{s: s, stores: map[string]*natsKVStore{}, locks: map[string]*quotaLock{}}
}

type natsKV struct {
	s      *Store
	mu     sync.Mutex
	stores map[string]*natsKVStore // opened stores by name, reused when the quota is the same
	locks  map[string]*quotaLock   // each store's, shared by all its handles
}

// checkFleetName refuses a fleet name that makes the buckets' names
// ambiguous: with "_kv_" in it, or "_kv" at its end, a fleet's buckets
// can be another fleet's key-value stores ("wisp_kv"'s apps bucket
// "wisp_kv_apps" is store "apps" of fleet "wisp"; "a_kv_b"'s store "c" is
// store "b_kv_c" of fleet "a"). No other names collide: a KV bucket's
// name is its fleet's, then "_kv_", then a store name. The error matches
// wisp.ErrInvalid. Open's check of the bucket's metadata refuses a
// foreign bucket in any case; this makes the clash an error before any
// bucket exists.
func checkFleetName(fleet string) error {
	if strings.Contains(fleet, "_kv_") || strings.HasSuffix(fleet, "_kv") {
		return fmt.Errorf("fleet name %q contains \"_kv_\" or ends with \"_kv\", so its buckets' names can be another fleet's key-value stores': %w: choose a fleet name without them (--fleet)", fleet, wisp.ErrInvalid)
	}
	return nil
}

// bucketName is the bucket of the store name.
func (kv *natsKV) bucketName(name string) string { return kv.s.cfg.Fleet + "_kv_" + name }

// Open implements wisp.KV: it binds the store's bucket, creating it if
// needed, and sets its limits to quota if they differ. A bucket of that
// name that is not this fleet's store (its stream's metadata says whose it
// is) is refused with an error matching wisp.ErrConflict, and so is every
// store of a fleet whose name makes bucket names ambiguous (see
// checkFleetName), with wisp.ErrInvalid.
func (kv *natsKV) Open(ctx context.Context, name string, quota wisp.KVQuota) (wisp.KVStore, error) {
	if err := wisp.ValidateKVStoreOpenName(name); err != nil {
		return nil, err
	}
	if err := checkFleetName(kv.s.cfg.Fleet); err != nil {
		return nil, fmt.Errorf("natsstore: open key-value store %q: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	kv.mu.Lock()
	st := kv.stores[name]
	kv.mu.Unlock()
	if st != nil && st.quota == quota {
		return st, nil
	}
	stream, err := kv.bucket(ctx, name, quota)
	if err != nil {
		return nil, fmt.Errorf("natsstore: open key-value store %q: %w", name, err)
	}
	bucket := kv.bucketName(name)
	st = &natsKVStore{
		s: kv.s, name: name, stream: stream, quota: quota,
		streamName: "KV_" + bucket, subjPrefix: "$KV." + bucket + ".",
		seen: map[string]seenEntry{},
	}
	kv.mu.Lock()
	defer kv.mu.Unlock()
	if kv.locks[name] == nil {
		kv.locks[name] = newQuotaLock()
	}
	st.lock = kv.locks[name]
	kv.stores[name] = st
	return st, nil
}

// bucket binds (or creates) the store's bucket and makes its limits
// quota's.
func (kv *natsKV) bucket(ctx context.Context, name string, quota wisp.KVQuota) (jetstream.Stream, error) {
	s := kv.s
	bucket := kv.bucketName(name)
	var stream jetstream.Stream
	err := s.retry(ctx, func(ctx context.Context) (err error) { stream, err = s.js.Stream(ctx, "KV_"+bucket); return err })
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		b := &bucketMaker{js: s.js, replicas: s.cfg.Replicas, log: s.log}
		if r := s.Replicas(ctx); r > 0 {
			b.replicas = r // the apps bucket's
		}
		_, cerr := b.keyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      bucket,
			Description: fmt.Sprintf("Wisp key-value store %q of fleet %q", name, s.cfg.Fleet),
			History:     1,
			Storage:     jetstream.FileStorage,
			MaxBytes:    -1, // see the Quota section of the package doc: a stream's MaxBytes reserves storage
			Metadata:    map[string]string{kvMetaFleet: s.cfg.Fleet, kvMetaStore: name},
		})
		// Another node may have created it meanwhile, with other limits,
		// which fails the create: bind what is there.
		err = s.retry(ctx, func(ctx context.Context) (err error) { stream, err = s.js.Stream(ctx, "KV_"+bucket); return err })
		if err != nil && cerr != nil {
			return nil, cerr
		}
	}
	if err != nil {
		return nil, bucketError(bucket, err)
	}
	cfg := stream.CachedInfo().Config
	if f, n := cfg.Metadata[kvMetaFleet], cfg.Metadata[kvMetaStore]; f != s.cfg.Fleet || n != name {
		// Another fleet's store, another fleet's apps or nodes bucket
		// (fleet "wisp_kv" has "wisp_kv_apps") or another program's: its
		// limits are not this store's to change, nor its keys to read.
		owner := "no Wisp key-value store (its stream carries no wisp-fleet/wisp-kv-store metadata)"
		if f != "" || n != "" {
			owner = fmt.Sprintf("key-value store %q of fleet %q", n, f)
		}
		return nil, fmt.Errorf("bucket %s exists and is %s, not this store: %w: use another store name, or give this fleet a name no other fleet's buckets start with (--fleet)", bucket, owner, wisp.ErrConflict)
	}
	maxMsgs, maxBytes := bucketLimit(quota.MaxKeys, kvKeysHeadroom), int64(-1)
	if cfg.MaxMsgs == maxMsgs && cfg.MaxBytes == maxBytes && cfg.Discard == jetstream.DiscardNew {
		return stream, nil
	}
	cfg.MaxMsgs, cfg.MaxBytes, cfg.Discard = maxMsgs, maxBytes, jetstream.DiscardNew
	err = s.retry(ctx, func(ctx context.Context) (err error) { stream, err = s.js.UpdateStream(ctx, cfg); return err })
	if err != nil {
		return nil, fmt.Errorf("set the limits of bucket %s to max_keys %d, max_bytes %d: %w", bucket, quota.MaxKeys, quota.MaxBytes, unavailable(err))
	}
	return stream, nil
}

// Stores implements wisp.KV: the stores of this fleet, found by the
// metadata their buckets carry.
func (kv *natsKV) Stores(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var names []string
	err := kv.s.retry(ctx, func(ctx context.Context) error {
		names = []string{}
		lister := kv.s.js.KeyValueStores(ctx)
		for status := range lister.Status() {
			bs, ok := status.(*jetstream.KeyValueBucketStatus)
			if !ok {
				continue
			}
			meta := bs.StreamInfo().Config.Metadata
			name := meta[kvMetaStore]
			if meta[kvMetaFleet] == kv.s.cfg.Fleet && bs.Bucket() == kv.bucketName(name) && !strings.HasPrefix(name, wisp.KVReservedPrefix) {
				names = append(names, name)
			}
		}
		return lister.Error()
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: list key-value stores: %w", unavailable(err))
	}
	slices.Sort(names)
	return names, nil
}

// seenEntry is what a store handle knows of one revision of a key: its
// expiry and size (see storedSize), which never change for that revision.
type seenEntry struct {
	rev     uint64
	expires time.Time
	size    int64
}

// maxSeen bounds the entries a handle remembers (see natsKVStore.seen).
const maxSeen = 4096
