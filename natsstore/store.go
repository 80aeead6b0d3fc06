package natsstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wisphq/wisp"
)

// Config configures a Store. The zero value is usable.
type Config struct {
	// Fleet names the fleet; its buckets are Fleet+"_apps", "_blobs" and
	// "_nodes". Several fleets can share one NATS system. Default "wisp".
	Fleet string
	// Replicas is how many copies JetStream keeps of each bucket, when
	// this store creates them (buckets that exist keep theirs). 0: 3, or
	// 1 if the NATS server is not in a JetStream cluster.
	Replicas int
	// CacheDir keeps verified copies of the blobs this store has put or
	// read, so each is transferred from NATS once per node, and holds
	// uploads while they are hashed (their Object Store name is their
	// digest). It must exist. Empty: nothing is cached and uploads are
	// spooled in os.TempDir().
	CacheDir string
	// Logger receives warnings (the replicas fallback, undecodable
	// records). Nil: discard.
	Logger *slog.Logger
}

// DefaultFleet is the default of Config.Fleet.
const DefaultFleet = "wisp"

// errCodeReplicasNotSupported is JetStream's error code for "replicas > 1
// not supported in non-clustered mode" (nats-server's
// JSStreamReplicasNotSupportedErr).
const errCodeReplicasNotSupported jetstream.ErrorCode = 10074

// nodeExpiry is how long a node's status outlives its last refresh.
const nodeExpiry = 30 * time.Second

// Store keeps Wisp's apps and blobs in NATS JetStream buckets shared by a
// fleet of nodes. It is safe for concurrent use. It does not own the NATS
// connection: close that after the Store.
type Store struct {
	cfg     Config
	nc      *nats.Conn
	js      jetstream.JetStream
	buckets *bucketMaker // to create the nodes bucket again
	apps    jetstream.KeyValue
	nodes   jetstream.KeyValue
	blobs   jetstream.ObjectStore
	log     *slog.Logger
	cache   blobCache

	nodesMu sync.Mutex // guards nodes, which PublishNode may recreate

	putting sync.Map // digest -> *sync.Mutex: one upload of a digest at a time
}

var (
	_ wisp.Store = (*Store)(nil)
	_ wisp.Fleet = (*Store)(nil)
)

// Open binds the fleet's buckets on nc, creating those that do not exist
// yet (see Config.Replicas). A fleet name containing "_kv_" or ending in
// "_kv" is refused (wisp.ErrInvalid): its buckets' names could be another
// fleet's key-value stores'.
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Store, error) {
	if cfg.Fleet == "" {
		cfg.Fleet = DefaultFleet
	}
	if err := checkFleetName(cfg.Fleet); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("natsstore: %w", err)
	}
	b := &bucketMaker{js: js, replicas: cfg.Replicas, log: cfg.Logger}
	s := &Store{cfg: cfg, nc: nc, js: js, buckets: b, log: cfg.Logger, cache: blobCache{dir: cfg.CacheDir}}
	if s.apps, err = b.keyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      cfg.Fleet + "_apps",
		Description: "Wisp app records, one key per app",
		History:     1,
		Storage:     jetstream.FileStorage,
		Compression: true,
	}); err != nil {
		return nil, err
	}
	if s.nodes, err = b.keyValue(ctx, s.nodesConfig()); err != nil {
		return nil, err
	}
	if s.blobs, err = b.objectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      cfg.Fleet + "_blobs",
		Description: "Wisp modules and file bundles, named by sha256 digest",
		Storage:     jetstream.FileStorage,
		Compression: true,
	}); err != nil {
		return nil, err
	}
	return s, nil
}

// Close implements wisp.Store. It has nothing to release: the buckets
// live in NATS, and the connection belongs to the caller.
func (s *Store) Close() error { return nil }

// bucketMaker binds or creates buckets with the replicas rule of Config.
type bucketMaker struct {
	js       jetstream.JetStream
	replicas int
	log      *slog.Logger
	warned   bool // about the replicas fallback
}

func (b *bucketMaker) keyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := b.js.KeyValue(ctx, cfg.Bucket)
	if err == nil {
		return kv, nil
	}
	if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, bucketError(cfg.Bucket, err)
	}
	err = b.withReplicas(cfg.Bucket, func(r int) error {
		cfg.Replicas = r
		kv, err = b.js.CreateKeyValue(ctx, cfg)
		return err
	})
	return kv, err
}

func (b *bucketMaker) objectStore(ctx context.Context, cfg jetstream.ObjectStoreConfig) (jetstream.ObjectStore, error) {
	obs, err := b.js.ObjectStore(ctx, cfg.Bucket)
	if err == nil {
		return obs, nil
	}
	if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, bucketError(cfg.Bucket, err)
	}
	err = b.withReplicas(cfg.Bucket, func(r int) error {
		cfg.Replicas = r
		obs, err = b.js.CreateObjectStore(ctx, cfg)
		return err
	})
	return obs, err
}

// withReplicas calls create with the configured replicas; in auto mode it
// tries 3 and falls back to 1 on a server that is not clustered.
func (b *bucketMaker) withReplicas(bucket string, create func(replicas int) error) error {
	r := b.replicas
	if r <= 0 {
		r = 3
	}
	err := create(r)
	var apiErr *jetstream.APIError
	if err != nil && b.replicas <= 0 && errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeReplicasNotSupported {
		if !b.warned {
			b.log.Warn("NATS JetStream is not clustered: the fleet's buckets keep one copy of its data; run a 3-server cluster for durability (docs/operations.md)")
			b.warned = true
		}
		err = create(1)
	}
	if err != nil {
		return bucketError(bucket, err)
	}
	return nil
}

func bucketError(bucket string, err error) error {
	if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
		return fmt.Errorf("natsstore: bucket %s: JetStream is not enabled on the NATS server: start nats-server with -js (or a jetstream {} block in its config): %w", bucket, err)
	}
	return fmt.Errorf("natsstore: bucket %s: %w", bucket, unavailable(err))
}

// unavailable marks errors that mean NATS could not be reached, so callers
// see wisp.ErrUnavailable.
func unavailable(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, nats.ErrTimeout), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, nats.ErrNoResponders), errors.Is(err, jetstream.ErrNoStreamResponse),
		errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrConnectionReconnecting),
		errors.Is(err, nats.ErrDisconnected), errors.Is(err, jetstream.ErrJetStreamNotEnabled):
		return fmt.Errorf("%w: NATS did not answer in time (%w): retry when NATS is reachable again; nodes go on serving the versions they have", wisp.ErrUnavailable, err)
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.Code == 503 {
		return fmt.Errorf("%w: JetStream has no quorum (%w); retry when its servers are back", wisp.ErrUnavailable, err)
	}
	return err
}

// nodesConfig is the nodes bucket's: in memory, since a status is
// rewritten every few seconds (so a restart of a single NATS server, or
// of a whole cluster, loses it, and PublishNode creates it again).
func (s *Store) nodesConfig() jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      s.cfg.Fleet + "_nodes",
		Description: "Wisp node status, one key per node, expiring",
		History:     1,
		TTL:         nodeExpiry,
		Storage:     jetstream.MemoryStorage,
	}
}

// Fleet returns the fleet name the store's buckets belong to.
func (s *Store) Fleet() string { return s.cfg.Fleet }

// Replicas returns how many replicas the apps bucket has (0 if NATS cannot
// say right now).
func (s *Store) Replicas(ctx context.Context) int {
	st, err := s.apps.Status(ctx)
	if err != nil {
		return 0
	}
	kvs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok {
		return 0
	}
	return kvs.StreamInfo().Config.Replicas
}
