package wisp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wisphq/wisp/internal/egress"
	"github.com/wisphq/wisp/internal/engine"
	"github.com/wisphq/wisp/internal/hostabi"
)

// Config configures a Node. Store is required; the rest have defaults.
type Config struct {
	// Store persists apps and blobs. The Node does not close it.
	Store Store
	// CacheDir holds native code compiled from modules, so a restarted
	// node does not compile again, and lets the node release the code of
	// apps not run lately (see CodeCache). Empty: compiled code is kept in
	// memory only, all of it, for as long as its app is deployed.
	CacheDir string
	// CodeCache is how much compiled code stays in memory, in bytes (as
	// estimated from each module's size: about 13KiB for a tiny module,
	// 7 times a typical module's size). Past it, the code of the apps run
	// least recently is released and loaded again from CacheDir by their
	// next request, which costs from 0.1ms (a small C or WAT module) to
	// tens of milliseconds (a Go module of a few MiB). Code a request is
	// running on is never released. Needs CacheDir. Default
	// DefaultCodeCache; negative: no limit.
	CodeCache int64
	// Fleet, if set, is the store shared with the other nodes of a fleet
	// (usually the same value as Store); Follow keeps the node in step
	// with it. Nil: a single node, which alone changes its store.
	Fleet Fleet
	// NodeID names this node in its fleet's status. Default: the host name.
	NodeID string
	// Logger receives node events and one line per invocation failure.
	// Nil: discard.
	Logger *slog.Logger
	// MaxBlobSize caps one uploaded module or file bundle. Default 256 MiB.
	MaxBlobSize int64
	// LogLines is how many log entries the node keeps in memory per app.
	// Default 1000.
	LogLines int
	// MaxInstances caps instances running at once across all apps; past
	// it invocations fail at once with ErrOverloaded. Default 512.
	MaxInstances int
	// MemoryBudget caps the memory instances and requests may use,
	// node-wide. An invocation is admitted only if the memory limits of
	// the running instances and the buffers callers hold for requests
	// (Reserve), its own included, sum to at most the budget; if its app's
	// instances and requests then hold at most half of it (so one app,
	// whatever its clients do, leaves the other half to the rest); and if
	// the process's actual memory (the Go runtime's and the linear
	// memories outside it), sampled every 50 ms, is below
	// MemoryCeiling(MemoryBudget). A deploy whose instance could never fit
	// in half the budget is refused with ErrInvalid. Otherwise it fails at once with
	// ErrOverloaded instead of pushing the process towards the OOM killer;
	// nothing waits for memory. Zero: no budget.
	MemoryBudget int64

	// KV holds the key-value stores apps declare (boltstore's and
	// natsstore's KV methods, memstore.NewKV). Nil: an app declaring
	// key_value_stores is refused at deploy.
	KV KV
	// KVLimits bounds every key-value store. Zero fields: the defaults
	// (DefaultKVValue, DefaultKVKeys, DefaultKVBytes).
	KVLimits KVLimits
	// Sealer encrypts secret variables before they are stored and
	// decrypts them for the app (secretbox implements it). Nil: setting a
	// secret fails, and apps declaring secrets read no value.
	Sealer Sealer
	// Outbound configures apps' outbound HTTP.
	Outbound OutboundConfig
	// Observer, if set, is told what the node does, for metrics and
	// traces (package telemetry implements it; docs/observability.md).
	// Nil: nothing is measured.
	Observer Observer
}

// KVLimits bounds key-value stores node-wide.
type KVLimits struct {
	MaxValue int64   // largest value in bytes
	Quota    KVQuota // per store
}

// Sealer encrypts and authenticates secrets at rest. Open must refuse
// anything Seal did not produce with one of its keys.
type Sealer interface {
	Seal(plaintext []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
}

// OutboundConfig configures outbound HTTP for every app of a node.
type OutboundConfig struct {
	// AllowPrivate lets apps reach loopback, private, link-local and
	// unique-local addresses through hostnames their allowed_outbound_hosts
	// match, not only addresses they name literally. The cloud metadata
	// address stays refused. Default false.
	AllowPrivate bool
	// Resolver resolves host names (tests point it at a resolver on
	// loopback). Nil: net.DefaultResolver.
	Resolver *net.Resolver
	// Refuse lists addresses apps may never reach, whatever their
	// allowed_outbound_hosts and AllowPrivate say, each with what it is,
	// which the refusal names: `wisp serve` lists its gateway ("the
	// node's own gateway") and admin API ("the node's own admin
	// listener"). An unspecified address (0.0.0.0:8080) stands for its
	// port on every loopback address and every address of the host.
	// New copies the map. Nil: none.
	Refuse map[netip.AddrPort]string
}

// loadBatch is how many apps Load loads before it starts serving them.
const loadBatch = 1000

// DefaultMaxBlobSize is the default of Config.MaxBlobSize.
const DefaultMaxBlobSize = 256 << 20

// DefaultCodeCache is the default of Config.CodeCache: 256 MiB, the code of
// about 19,000 tiny modules (examples/hello), 850 small C ones
// (examples/echo) or 12 Go ones (examples/json).
const DefaultCodeCache = engine.DefaultCodeCache

// Node holds deployed apps and runs their invocations. It is safe for
// concurrent use: invocations never wait for deploys, and deploys on one
// node are serialized.
type Node struct {
	cfg    Config
	store  Store
	engine *engine.Engine
	log    *slog.Logger

	// table is the routing table requests read without locks; deploys
	// swap it. Guarded for writers by deployMu.
	table atomic.Pointer[routeTable]

	deployMu sync.Mutex // serializes changes to apps, table and claims

	// claims maps each route to the apps whose current stored version
	// declares it (one app, unless the store was written around this node),
	// including apps that failed to load; appRoutes is the other way
	// round. Deploys check routes here instead of reading every app from
	// the store. Guarded by deployMu.
	claims    map[Route][]string
	appRoutes map[string][]Route

	logsMu sync.Mutex
	logs   map[string]*logRing
	usages map[string]*usageStats // CPU accounting per app (usage.go), also guarded by logsMu

	readyMu sync.Mutex
	loaded  bool                   // Load has finished
	holds   int                    // outstanding HoldReady calls
	failed  map[string]loadFailure // app -> its current version, if it could not be loaded

	// applied is the store revision of each app's record this node last
	// acted on, so a fleet change older than a local deploy is ignored;
	// retry holds apps whose current version failed to load for a reason
	// that may pass. Both guarded by deployMu.
	applied map[string]uint64
	retry   map[string]bool
	// statusChanged is signalled (without blocking) when what the node
	// serves changes, for Follow to publish.
	statusChanged chan struct{}
	started       time.Time

	admission *admission
	stats     *requestStats // the gateway's requests of the last minute, per app
	obs       Observer      // Config.Observer; nil: none

	kvOpen sync.Map       // key-value store name -> KVStore, opened on first use
	egress *egress.Client // apps' outbound HTTP

	draining atomic.Bool
	closed   atomic.Bool
	closing  chan struct{} // closed by Close, which ends Follow
}

// New returns a Node with no apps serving yet; call Load to bring up what
// the store holds.
func New(cfg Config) (*Node, error) {
	if cfg.Store == nil {
		return nil, errors.New("wisp.New: Config.Store is required")
	}
	if cfg.MaxBlobSize <= 0 {
		cfg.MaxBlobSize = DefaultMaxBlobSize
	}
	if cfg.LogLines <= 0 {
		cfg.LogLines = 1000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxInstances <= 0 {
		cfg.MaxInstances = 512
	}
	if cfg.NodeID == "" {
		cfg.NodeID, _ = os.Hostname()
	}
	eng, err := engine.New(engine.Config{CacheDir: cfg.CacheDir, CodeCache: cfg.CodeCache, HostModules: hostabi.Modules()})
	if err != nil {
		return nil, err
	}
	store := cfg.Store
	if cfg.Observer != nil {
		store = observedStore{Store: store, obs: cfg.Observer}
	}
	n := &Node{
		cfg: cfg, store: store, engine: eng, log: cfg.Logger, obs: cfg.Observer,
		logs: map[string]*logRing{}, usages: map[string]*usageStats{}, failed: map[string]loadFailure{},
		applied: map[string]uint64{}, retry: map[string]bool{},
		statusChanged: make(chan struct{}, 1), started: time.Now().UTC(), closing: make(chan struct{}),
		claims: map[Route][]string{}, appRoutes: map[string][]Route{},
		admission: newAdmission(cfg.MaxInstances, cfg.MemoryBudget, eng.OffHeap),
		stats:     newRequestStats(nil),
		egress:    egress.New(egress.Options{AllowPrivate: cfg.Outbound.AllowPrivate, Resolver: cfg.Outbound.Resolver, Refuse: cfg.Outbound.Refuse}),
	}
	n.table.Store(newRouteTable(map[string]*deployed{}))
	return n, nil
}

// Load compiles the current version of every stored app and starts serving
// them. An app that fails to load is logged, reported by Ready, and left
// out; the others serve. Load is called once, after New. Deploys wait
// while it runs, so a deploy through the admin API during start-up is
// never overwritten by the older version Load read.
func (n *Node) Load(ctx context.Context) error {
	n.deployMu.Lock()
	defer n.deployMu.Unlock()
	apps, err := n.store.ListApps(ctx)
	if err != nil {
		return fmt.Errorf("load apps: %w", err)
	}
	// Nothing else changes the routing table while deployMu is held. It
	// holds only apps deployed through the admin API before Load took the
	// mutex: those serve their stored current version already and are kept
	// as they are. Apps go into it in batches: swapping in a new table per
	// app would copy it once per app, quadratic in their number.
	loaded := maps.Clone(n.table.Load().apps)
	if loaded == nil {
		loaded = make(map[string]*deployed, len(apps))
	}
	publish := func() { n.table.Store(newRouteTable(maps.Clone(loaded))) }
	for _, app := range apps {
		n.claimRoutes(app.Name, app.CurrentVersion().Spec.Routes)
		n.applied[app.Name] = app.Revision
		if _, ok := loaded[app.Name]; ok {
			continue
		}
		start := time.Now()
		d, err := n.prepare(ctx, app.CurrentVersion())
		if err != nil {
			n.log.Error("app failed to load", "app", app.Name, "version", app.Current, "err", err)
			n.appLog(app.Name, "node", app.Current, "failed to load: "+err.Error())
			n.setFailed(app.Name, app.Current, err)
			if !errors.Is(err, ErrInvalid) {
				n.retry[app.Name] = true // Follow retries; the blob may come back
			}
			continue
		}
		loaded[app.Name] = d
		n.ring(app.Name) // every serving app has a log to follow
		if len(loaded)%loadBatch == 0 {
			publish() // serve what is loaded, while the rest loads
		}
		n.log.Debug("app loaded", "app", app.Name, "version", app.Current, "duration", time.Since(start))
	}
	publish()
	n.log.Info("apps loaded", "apps", len(loaded), "failed", len(apps)-len(loaded))
	n.readyMu.Lock()
	n.loaded = true
	n.readyMu.Unlock()
	return nil
}

// claimRoutes records that the current stored version of app declares
// routes (none: the app was removed). Called with deployMu held, once the
// store has the change.
func (n *Node) claimRoutes(app string, routes []Route) {
	for _, r := range n.appRoutes[app] {
		n.claims[r] = slices.DeleteFunc(n.claims[r], func(a string) bool { return a == app })
		if len(n.claims[r]) == 0 {
			delete(n.claims, r)
		}
	}
	if len(routes) == 0 {
		delete(n.appRoutes, app)
		return
	}
	n.appRoutes[app] = slices.Clone(routes)
	for _, r := range routes {
		n.claims[r] = append(n.claims[r], app)
	}
}

// routeClaimant returns an app other than app whose current stored
// version declares r. Called with deployMu held.
func (n *Node) routeClaimant(app string, r Route) (string, bool) {
	for _, other := range n.claims[r] {
		if other != app {
			return other, true
		}
	}
	return "", false
}

// Ready reports whether the node is ready for traffic: Load has finished,
// no HoldReady is outstanding, and it is not draining. It also returns the
// apps whose current version failed to load (by name, with the reason);
// they do not make the node unready, since the others serve.
func (n *Node) Ready() (bool, map[string]string) {
	n.readyMu.Lock()
	defer n.readyMu.Unlock()
	failed := make(map[string]string, len(n.failed))
	for app, f := range n.failed {
		failed[app] = fmt.Sprintf("version %d: %s", f.version, f.reason)
	}
	return n.loaded && n.holds == 0 && !n.draining.Load() && !n.closed.Load(), failed
}

// loadFailure is why an app's current version does not serve on this node.
type loadFailure struct {
	version int
	reason  string
}

// setFailed records that version of app could not be loaded.
func (n *Node) setFailed(app string, version int, err error) {
	n.readyMu.Lock()
	n.failed[app] = loadFailure{version: version, reason: err.Error()}
	n.readyMu.Unlock()
	n.signalStatus()
}

// signalStatus tells Follow that what the node serves changed.
func (n *Node) signalStatus() {
	select {
	case n.statusChanged <- struct{}{}:
	default:
	}
}

// HoldReady keeps the node not ready until the returned release is called,
// for start-up work beyond Load (such as deploying apps given on the
// command line). Release may be called more than once.
func (n *Node) HoldReady() (release func()) {
	n.readyMu.Lock()
	n.holds++
	n.readyMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			n.readyMu.Lock()
			n.holds--
			n.readyMu.Unlock()
		})
	}
}

// Drain marks the node not ready, so load balancers stop sending it new
// requests, while it goes on serving the ones that arrive. Call it when
// shutting down, some time before stopping the listeners.
func (n *Node) Drain() { n.draining.Store(true) }

// PutBlob stores a module or file bundle (see Store.PutBlob) with the
// node's MaxBlobSize.
func (n *Node) PutBlob(ctx context.Context, r io.Reader) (BlobInfo, error) {
	b, err := n.store.PutBlob(ctx, r, n.cfg.MaxBlobSize)
	if errors.Is(err, ErrTooLarge) {
		return b, errorf(ErrTooLarge, "upload is larger than this node's limit of %s: %w", ByteSize(n.cfg.MaxBlobSize), err)
	}
	return b, err
}

// StatBlob reports whether the node's store has a blob.
func (n *Node) StatBlob(ctx context.Context, digest string) (BlobInfo, error) {
	if err := ValidateDigest(digest); err != nil {
		return BlobInfo{}, err
	}
	return n.store.StatBlob(ctx, digest)
}

// App returns an app's stored record.
func (n *Node) App(ctx context.Context, name string) (App, error) {
	a, err := n.store.GetApp(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return a, errorf(ErrNotFound, "app %q does not exist (see `wisp apps`)", name)
	}
	return a, err
}

// Apps returns every app's record, sorted by name.
func (n *Node) Apps(ctx context.Context) ([]App, error) {
	apps, err := n.store.ListApps(ctx)
	sort.Slice(apps, func(i, j int) bool { return apps[i].Name < apps[j].Name })
	return apps, err
}

// Logs returns up to limit (<= 0: all kept) of the app's log entries with
// Seq > after, and a channel that is closed when more arrive. ok is false
// if the node has no log for the app.
func (n *Node) Logs(name string, after uint64, limit int) (entries []LogEntry, more <-chan struct{}, ok bool) {
	n.logsMu.Lock()
	r, ok := n.logs[name]
	n.logsMu.Unlock()
	if !ok {
		return nil, nil, false
	}
	entries, more = r.since(after, limit)
	return entries, more, true
}

// LastLogSeq returns the Seq of the app's newest log entry, 0 if none.
func (n *Node) LastLogSeq(name string) uint64 {
	n.logsMu.Lock()
	r, ok := n.logs[name]
	n.logsMu.Unlock()
	if !ok {
		return 0
	}
	return r.last()
}

// ring returns the app's log, creating it.
func (n *Node) ring(app string) *logRing {
	n.logsMu.Lock()
	defer n.logsMu.Unlock()
	r, ok := n.logs[app]
	if !ok {
		r = newLogRing(n.cfg.LogLines)
		n.logs[app] = r
	}
	return r
}

// appLog appends a node event to the app's log (creating the log).
func (n *Node) appLog(app, stream string, version int, msg string) {
	n.ring(app).append(LogEntry{Time: time.Now().UTC(), Stream: stream, Version: version, Message: msg})
}

// LogRequest records one served request in the app's log, with the CPU
// it used (u, from Input.Usage; zero for an app that is not metered), and
// in its RequestStats; t comes from Lookup. The gateway calls it; the
// node's slog line is the gateway's to write.
func (n *Node) LogRequest(t Target, method, path string, status int, d time.Duration, u Usage) {
	// "GET /path 200 1.234ms", appended rather than formatted: once per request.
	// The line is made on the stack unless its path is long; only the
	// entry's string is allocated.
	var buf [192]byte
	line := append(append(append(buf[:0], method...), ' '), path...)
	line = strconv.AppendInt(append(line, ' '), int64(status), 10)
	line = append(append(line, ' '), d.Round(time.Microsecond).String()...)
	if u.Fuel > 0 {
		line = append(u.appendTo(append(line, " ("...)), ')')
	}
	t.d.log("request", string(line))
	n.stats.record(t.App, status, d)
}

// AppLogf records a node-side problem with one invocation of t (a bad
// CGI response, a timeout...) in the app's log; t comes from Lookup.
func (n *Node) AppLogf(t Target, format string, args ...any) {
	t.d.log("error", fmt.Sprintf(format, args...))
}

// Close stops serving, waits for nothing, and releases the compiled code.
// Invocations still running are killed. It does not close the Store.
func (n *Node) Close(ctx context.Context) error {
	if n.closed.Swap(true) {
		return nil
	}
	close(n.closing)
	n.deployMu.Lock()
	old := n.table.Swap(newRouteTable(map[string]*deployed{}))
	n.deployMu.Unlock()
	for _, d := range old.apps {
		d.release()
	}
	n.admission.stop()
	n.egress.Close()
	return n.engine.Close(ctx)
}
