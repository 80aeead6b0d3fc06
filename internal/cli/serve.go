package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/adminapi"
	"github.com/wisphq/wisp/gateway"
	"github.com/wisphq/wisp/internal/gcfloor"
	"github.com/wisphq/wisp/internal/logwriter"
	"github.com/wisphq/wisp/internal/manifest"
)

func serveCommand() *command {
	return &command{
		name:    "serve",
		summary: "run a Wisp node: the gateway serving apps and the admin API",
		usage:   []string{"wisp serve [--data DIR] [--listen ADDR] [--admin-listen ADDR] [--deploy PATH]... [--nats URLS] [flags]"},
		description: `
Run a Wisp node: the gateway that answers HTTP requests with apps, and the
admin API that deploys them (used by the other wisp commands). Everything
the node stores lives under --data. It prints the gateway's and the admin
API's addresses on stdout, and logs (one line per request) on stderr:
info lines in batches, at most 10ms after they happen; warnings and errors
at once.

The admin token is $WISP_TOKEN if set, otherwise DATA/admin.token, created
on first start with mode 0600. GET /healthz and /readyz on the admin
listener are the liveness and readiness probes; GET /metrics there, with
the token, serves Prometheus metrics, and OTEL_EXPORTER_OTLP_ENDPOINT turns
on OpenTelemetry traces (docs/observability.md).

With --nats the node joins a fleet: apps live in the NATS JetStream buckets
every node of the fleet shares, a deploy through any node reaches all of
them (each compiles the new version before routing to it), and the node
keeps serving what it has while NATS is away (apps that call their
key-value stores or read variables fail those calls meanwhile: the values
live in NATS). Give every node the same WISP_TOKEN. docs/operations.md describes running a fleet.

Apps' key-value stores live with the apps (DATA, or the fleet's NATS).
Secrets are encrypted with the keys of --secret-key-file, by default
DATA/secret.key, created on a single node's first start; every node of a
fleet needs the same file (docs/secrets.md).

SIGTERM or SIGINT drains the node: /readyz turns 503, it keeps serving for
--drain-delay, stops accepting connections, finishes requests in flight (up
to --grace), and exits 0.`,
		examples: []string{
			"wisp serve --data .wisp --deploy examples/hello --deploy examples/echo",
			"wisp serve --listen 0.0.0.0:8080 --admin-listen 127.0.0.1:8081 --log-format json --drain-delay 5s",
			"# a fleet member: apps come from NATS JetStream",
			"WISP_TOKEN=$TOKEN wisp serve --nats nats://n1:4222,nats://n2:4222,nats://n3:4222 --node-id edge-1",
		},
		new: func(e *env) verb { return &serveVerb{e: e} },
	}
}

// serveVerb is `wisp serve`.
type serveVerb struct {
	e *env
	serveFlags
}

type serveFlags struct {
	data, listen, adminListen, logFormat, logLevel string
	grace, drainDelay                              time.Duration
	maxModule, memoryBudget, codeCache, gcFloor    wisp.ByteSize
	memoryBudgetText                               string
	memoryBudgetNote                               string // the banner's line: the budget and why
	maxInstances                                   int
	deploy                                         stringList
	servicesFlags
	fleetFlags
	telemetryFlags
}

// servicesFlags are serve's flags for the platform services.
type servicesFlags struct {
	secretKeyFile          string
	kvMaxValue, kvMaxBytes wisp.ByteSize
	kvMaxKeys              int64
	allowPrivateEgress     bool
}

func (v *serveVerb) flags(fs *flagSet) {
	f := &v.serveFlags
	fs.StringVar(&f.data, "data", ".wisp", "`DIR` holding the node's database, modules, native code cache and admin token")
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8080", "`ADDR` of the gateway that serves apps")
	fs.StringVar(&f.adminListen, "admin-listen", "127.0.0.1:8081", "`ADDR` of the admin API")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format on stderr: text or json")
	fs.StringVar(&f.logLevel, "log-level", "info", "least severe log level: debug, info, warn or error")
	fs.DurationVar(&f.grace, "grace", 30*time.Second, "how long a shutdown waits for requests in flight")
	fs.DurationVar(&f.drainDelay, "drain-delay", 0, "how long a shutdown keeps serving after /readyz turns 503, so load balancers notice first (Kubernetes: a few seconds)")
	f.maxModule = wisp.DefaultMaxBlobSize
	fs.TextVar(&f.maxModule, "max-module-size", f.maxModule, "largest module or file bundle the admin API accepts, like 256MiB")
	fs.IntVar(&f.maxInstances, "max-instances", 512, "instances running at once across all apps; past it requests get 503")
	fs.StringVar(&f.memoryBudgetText, "memory-budget", "auto", "`SIZE` all running instances may reserve (their limits.memory summed) and the process may hold; past it requests get 503 instead of an OOM kill. auto: 3/4 of the cgroup limit or of RAM; 0: none")
	f.codeCache = wisp.DefaultCodeCache
	fs.TextVar(&f.codeCache, "code-cache", f.codeCache, "`SIZE` of compiled code kept in memory (estimated: about 13KiB for a tiny module, 7 times the size of a larger one); past it the code of the apps run least recently is released, and their next request loads it from DATA/cache (0.1ms for a small C module, tens of ms for a Go one). 0: keep no idle app's code")
	f.gcFloor = defaultGCFloor
	fs.TextVar(&f.gcFloor, "gc-floor", f.gcFloor, "`SIZE` of garbage the Go collector may leave before it runs, at least: a node whose live heap is smaller collects less often (less CPU per request, up to SIZE more memory); a larger heap collects as with GOGC=100. 0, or GOGC set: Go's own setting")
	fs.StringVar(&f.secretKeyFile, "secret-key-file", "", "`FILE` of keys that encrypt secrets (docs/secrets.md); every node of a fleet needs the same one (default DATA/secret.key, created on a single node's first start)")
	f.kvMaxValue, f.kvMaxBytes, f.kvMaxKeys = wisp.DefaultKVValue, wisp.DefaultKVBytes, wisp.DefaultKVKeys
	fs.TextVar(&f.kvMaxValue, "kv-max-value", f.kvMaxValue, "`SIZE` of the largest value in a key-value store")
	fs.Int64Var(&f.kvMaxKeys, "kv-max-keys", f.kvMaxKeys, "`N` keys at most in one key-value store")
	fs.TextVar(&f.kvMaxBytes, "kv-max-bytes", f.kvMaxBytes, "`SIZE` at most of one key-value store's keys and values")
	fs.BoolVar(&f.allowPrivateEgress, "allow-private-egress", false, "let apps reach loopback and private addresses through host names their allowed_outbound_hosts match (the cloud metadata address stays refused); without it only addresses they name literally")
	f.fleetFlags.define(fs)
	f.telemetryFlags.define(fs)
	fs.Var(&f.deploy, "deploy", "deploy the app in `PATH` (a wisp.toml or its directory) at start, as a new version when the app's current version differs from it (a change made with the CLI since is undone); repeatable")
}

// run serves until ctx ends (the dispatcher cancels it on SIGTERM/SIGINT).
func (v *serveVerb) run(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	// Request lines are written in batches (a write(2) each cost more than
	// formatting them); warnings and errors go out at once.
	logOut := logwriter.New(v.e.stderr, 0, 0)
	defer logOut.Close()
	logger, err := newLogger(logOut, v.logFormat, v.logLevel)
	if err != nil {
		return usagef("%v", err)
	}
	logger = slog.New(logwriter.Handler(logger.Handler(), logOut))
	budget, err := resolveMemoryBudget(v.memoryBudgetText, os.DirFS("/"))
	if err != nil {
		return usagef("%v", err)
	}
	v.memoryBudget, v.memoryBudgetNote = wisp.ByteSize(budget.bytes), budget.String()
	if v.memoryBudget > 0 && os.Getenv("GOMEMLIMIT") == "" {
		// Guest stacks and linear memories live on the Go heap: a soft
		// limit makes the runtime collect and return them to the OS before
		// the process nears the ceiling, instead of holding freed memory.
		// At the budget itself, which running instances may fill, the
		// collector would run without pause. An operator's GOMEMLIMIT wins.
		debug.SetMemoryLimit(wisp.MemoryCeiling(int64(v.memoryBudget)))
	}
	if v.gcFloor > 0 && os.Getenv("GOGC") == "" {
		defer gcfloor.Start(int64(v.gcFloor)).Stop()
	}
	return serve(ctx, v.serveFlags, v.e.stdout, logger)
}

// defaultGCFloor is --gc-floor's default (docs/operations.md, "Tuning the
// Go collector").
const defaultGCFloor = 16 << 20

// codeCacheConfig is wisp.Config.CodeCache for --code-cache: 0 there
// means the default, here no idle code at all, which a budget of one byte
// gives (code a request runs on is never released).
func codeCacheConfig(flag wisp.ByteSize) int64 {
	if flag == 0 {
		return 1
	}
	return int64(flag)
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}

func serve(ctx context.Context, f serveFlags, stdout io.Writer, log *slog.Logger) error {
	if err := os.MkdirAll(f.data, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	token, tokenSource, err := adminToken(f.data)
	if err != nil {
		return err
	}
	if f.nodeID == "" {
		f.nodeID, _ = os.Hostname()
	}
	obs, err := newObservability(ctx, f.telemetryFlags, f.nodeID, log)
	if err != nil {
		return err
	}
	defer obs.shutdown(ctx)
	store, fleet, closeStore, err := openStore(ctx, f.data, f.fleetFlags, log, obs)
	if err != nil {
		return err
	}
	defer closeStore()
	cfg := wisp.Config{
		Store: store, Fleet: fleet, NodeID: f.nodeID, CacheDir: filepath.Join(f.data, "cache"), Logger: log, MaxBlobSize: int64(f.maxModule),
		MaxInstances: f.maxInstances, MemoryBudget: int64(f.memoryBudget), CodeCache: codeCacheConfig(f.codeCache),
		Observer: obs.Observer(),
	}
	servicesNote, err := configureServices(&cfg, store, f, log)
	if err != nil {
		return err
	}

	// Listen before the node exists: its outbound HTTP refuses the
	// addresses bound (port 0 resolved), so apps cannot call the admin
	// API or loop through the gateway. The servers' Shutdown closes the
	// listeners; the deferred Close covers a return before they serve.
	gwLn, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("gateway --listen: %w", err)
	}
	defer gwLn.Close()
	adminLn, err := net.Listen("tcp", f.adminListen)
	if err != nil {
		return fmt.Errorf("admin API --admin-listen: %w", err)
	}
	defer adminLn.Close()
	cfg.Outbound.Refuse = ownListeners(gwLn, adminLn)
	node, err := wisp.New(cfg)
	if err != nil {
		return err
	}
	defer node.Close(context.WithoutCancel(ctx))
	obs.watchNode(node)

	gw := gateway.NewServer(f.listen, gateway.New(node, log), log)
	releaseReady := node.HoldReady() // not ready until the --deploy apps are in
	stopping := make(chan struct{})
	admin := gateway.NewServer(f.adminListen, adminapi.New(adminapi.Config{
		Node: node, Token: token, Version: versionString(), Logger: log, Stopping: stopping, Metrics: obs.metrics,
	}), log)
	serveErr := make(chan error, 2)
	go func() { serveErr <- gw.Serve(gwLn) }()
	go func() { serveErr <- admin.Serve(adminLn) }()

	gwURL, adminURL := "http://"+gwLn.Addr().String(), "http://"+adminLn.Addr().String()
	fmt.Fprintf(stdout, "%s\n  gateway  %s\n  admin    %s (token: %s)\n  memory   budget %s\n  services %s\n  observe  %s\n",
		bannerVersion(ctx), gwURL, adminURL, tokenSource, f.memoryBudgetNote, servicesNote, obs.note)
	if err := startUp(ctx, node, f.deploy, gwURL, adminURL, stdout); err != nil {
		if ctx.Err() == nil {
			return err
		}
		// A signal during start-up is a normal shutdown, not a failure.
		log.Info("stopping during start-up", "interrupted", err)
	} else {
		if fleet != nil {
			followCtx, stopFollowing := context.WithCancel(ctx)
			following := make(chan struct{})
			defer func() { stopFollowing(); <-following }() // whichever way serve returns
			go func() { defer close(following); node.Follow(followCtx) }()
		}
		releaseReady()
		log.Info("node ready", "gateway", gwURL, "admin", adminURL)
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("listener failed: %w", err)
	}
	return drain(ctx, f, node, gw, admin, stopping, log)
}

// drain shuts the node down gracefully: report not ready, wait
// --drain-delay for load balancers to notice, stop accepting connections
// and wait up to --grace for requests in flight.
func drain(ctx context.Context, f serveFlags, node *wisp.Node, gw, admin *http.Server, stopping chan struct{}, log *slog.Logger) error {
	log.Info("draining", "drain_delay", f.drainDelay, "grace", f.grace)
	node.Drain()
	if f.drainDelay > 0 {
		time.Sleep(f.drainDelay) // new requests are still served meanwhile
	}
	close(stopping) // end log follows, which would otherwise hold Shutdown
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.grace)
	defer cancel()
	start := time.Now()
	gwErr := gw.Shutdown(shutdownCtx)
	adminErr := admin.Shutdown(shutdownCtx)
	if err := errors.Join(gwErr, adminErr); err != nil {
		// Closing the node below kills the instances still running.
		log.Warn("requests still running after the grace period are being stopped", "grace", f.grace, "err", err)
		return nil
	}
	log.Info("stopped: every request in flight finished", "waited", time.Since(start).Round(time.Millisecond))
	return nil
}

// startUp loads the stored apps, deploys the --deploy manifests and prints
// where the apps are served.
func startUp(ctx context.Context, node *wisp.Node, deploy []string, gwURL, adminURL string, stdout io.Writer) error {
	if err := node.Load(ctx); err != nil {
		return err
	}
	for _, path := range deploy {
		if err := deployAtStart(ctx, node, path, stdout); err != nil {
			return err
		}
	}
	return printApps(ctx, node, gwURL, adminURL, stdout)
}

// adminToken returns the admin token: $WISP_TOKEN, or the one stored in
// DATA/admin.token, created with 256 random bits on first start.
func adminToken(data string) (token, source string, err error) {
	if t := strings.TrimSpace(os.Getenv("WISP_TOKEN")); t != "" {
		return t, "$WISP_TOKEN", nil
	}
	path := filepath.Join(data, "admin.token")
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), path, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", "", fmt.Errorf("read admin token: %w", err)
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	token = hex.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("write admin token: %w", err)
	}
	return token, path, nil
}

// deployAtStart deploys the manifest at path straight into the node, for
// `wisp serve --deploy`. Deploying an unchanged app is a no-op.
func deployAtStart(ctx context.Context, node *wisp.Node, path string, stdout io.Writer) error {
	m, err := manifest.Load(path)
	if err != nil {
		return fmt.Errorf("--deploy %s: %w", path, err)
	}
	spec, err := specFromManifest(ctx, m, nodeUploader{node})
	if err != nil {
		return fmt.Errorf("--deploy %s: %w", path, err)
	}
	res, err := node.Deploy(ctx, spec)
	if err != nil {
		return fmt.Errorf("--deploy %s: %w", path, err)
	}
	state := "deployed"
	if res.Unchanged {
		state = "unchanged"
	}
	fmt.Fprintf(stdout, "  %-9s %s version %d\n", state, spec.Name, res.Version)
	return nil
}

// nodeUploader puts blobs straight into a node's store.
type nodeUploader struct{ node *wisp.Node }

func (u nodeUploader) HasBlob(ctx context.Context, digest string) (bool, error) {
	_, err := u.node.StatBlob(ctx, digest)
	if errors.Is(err, wisp.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (u nodeUploader) PutBlob(ctx context.Context, r io.Reader, size int64, digest string) (wisp.BlobInfo, error) {
	return u.node.PutBlob(ctx, r)
}

func printApps(ctx context.Context, node *wisp.Node, gwURL, adminURL string, stdout io.Writer) error {
	apps, err := node.Apps(ctx)
	if err != nil {
		return err
	}
	if len(apps) == 0 {
		hint := "wisp deploy examples/hello"
		if adminURL != defaultAdmin {
			hint += " --admin " + adminURL
		}
		fmt.Fprintf(stdout, "  no apps deployed yet: try `%s`\n", hint)
		return nil
	}
	fmt.Fprintln(stdout, "  apps:")
	for _, a := range apps {
		for _, u := range routeURLs(gwURL, a.CurrentVersion().Spec.Routes) {
			fmt.Fprintf(stdout, "    %-12s %s\n", a.Name, u)
		}
	}
	return nil
}

// routeURLs are the URLs a person can open for routes, one per route but
// for a prefix declared beside the exact path it covers too ("/links" and
// "/links/..."): that pair is one place, listed once by its exact URL.
func routeURLs(gwURL string, routes []wisp.Route) []string {
	var urls []string
	for _, r := range routes {
		if r.Prefix && slices.Contains(routes, wisp.Route{Host: r.Host, Path: r.Path}) {
			continue
		}
		urls = append(urls, routeURL(gwURL, r))
	}
	return urls
}

// routeURL is a URL a person can open for route on the gateway.
func routeURL(gwURL string, r wisp.Route) string {
	p := r.Path
	if r.Prefix && p != "/" {
		p += "/"
	}
	if r.Host != "" {
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(gwURL, "http://"))
		return "http://" + r.Host + ":" + port + p
	}
	return gwURL + p
}
