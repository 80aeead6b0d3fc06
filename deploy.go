package wisp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"time"

	"github.com/wisphq/wisp/internal/bundle"
	"github.com/wisphq/wisp/internal/component/binary"
	"github.com/wisphq/wisp/internal/egress"
	"github.com/wisphq/wisp/internal/engine"
	"github.com/wisphq/wisp/internal/wasmscan"
)

// maxBundleFiles caps the number of entries in one file bundle.
const maxBundleFiles = 100_000

// Deploy validates spec, compiles its module, stores it as the app's next
// version and switches traffic to it. When Deploy returns nil, the new
// version is durable and serving; requests already running finish on the
// old one. A spec equal to the current version's is not stored again
// (Unchanged in the result), so retrying a deploy is safe; if that version
// is not serving on this node (it failed to load), it is loaded again.
//
// Errors match ErrInvalid (bad spec, or a module that fails validation:
// the message names the problem), ErrNotFound (a blob was not uploaded),
// or ErrConflict (a route another app declares, or a concurrent change).
// A module or file bundle over the node's MaxBlobSize matches both
// ErrTooLarge and ErrInvalid; it is refused by its stored size, before a
// byte of it is read. Nothing is stored or switched when Deploy fails.
func (n *Node) Deploy(ctx context.Context, spec AppSpec) (DeployResult, error) {
	return n.deploy(ctx, spec, anyVersion)
}

// DeployIfCurrent is Deploy that succeeds only if the app's current
// version is still expect (0: the app must not exist yet), so of several
// clients that read version N and deploy on top of it, exactly one wins;
// the others get an error matching ErrConflict and should read again.
func (n *Node) DeployIfCurrent(ctx context.Context, spec AppSpec, expect int) (DeployResult, error) {
	return n.deploy(ctx, spec, expect)
}

// anyVersion is deploy's expect for "whatever is current".
const anyVersion = -1

// deploy is Deploy and DeployIfCurrent, reported to the Observer.
func (n *Node) deploy(ctx context.Context, spec AppSpec, expect int) (DeployResult, error) {
	if n.obs == nil {
		return n.deploySpec(ctx, spec, expect)
	}
	start := time.Now()
	res, err := n.deploySpec(ctx, spec, expect)
	n.obs.Deployed(deployOutcome(res, err), time.Since(start))
	return res, err
}

func (n *Node) deploySpec(ctx context.Context, spec AppSpec, expect int) (DeployResult, error) {
	spec.Limits = spec.Limits.WithDefaults()
	if err := spec.Validate(); err != nil {
		return DeployResult{}, fmt.Errorf("deploy app %q: %w", spec.Name, err)
	}
	if err := n.admission.fits(int64(spec.Limits.Memory)); err != nil {
		return DeployResult{}, fmt.Errorf("deploy app %q: %w", spec.Name, err)
	}
	n.deployMu.Lock()
	defer n.deployMu.Unlock()

	app, err := n.store.GetApp(ctx, spec.Name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return DeployResult{}, fmt.Errorf("deploy app %q: %w", spec.Name, err)
	}
	if expect != anyVersion && app.Current != expect {
		return DeployResult{}, errorf(ErrConflict, "deploy app %q: its current version is %d, not %d as this deploy expected: another deploy won; look at `wisp app %s` and deploy again", spec.Name, app.Current, expect, spec.Name)
	}
	if app.Revision != 0 && app.CurrentVersion().Spec.sameAs(spec) {
		if err := n.ensureServing(ctx, app); err != nil {
			return DeployResult{}, fmt.Errorf("deploy app %q: %w", spec.Name, err)
		}
		return DeployResult{App: app, Version: app.Current, Unchanged: true}, nil
	}
	if err := n.checkRoutes(spec.Name, spec.Routes); err != nil {
		return DeployResult{}, fmt.Errorf("deploy app %q: %w", spec.Name, err)
	}
	if err := n.checkRequiredVariables(ctx, spec); err != nil {
		return DeployResult{}, fmt.Errorf("deploy app %q: %w", spec.Name, err)
	}
	next := 1
	if len(app.Versions) > 0 {
		next = app.Versions[len(app.Versions)-1].Number + 1
	}
	v := Version{Number: next, Spec: spec} // CreatedAt: when commit stores it, after its compile
	app.Name = spec.Name
	app.Versions = append(app.Versions, v)
	app.Current = v.Number
	stored, err := n.commit(ctx, app, true, fmt.Sprintf("deployed version %d (module %s)", v.Number, shortDigest(spec.Module)))
	if errors.Is(err, ErrConflict) && expect == anyVersion {
		// Another node stored a deploy first. If it was this very spec
		// (the same deploy sent to several nodes at once), this one is done.
		if cur, gerr := n.store.GetApp(ctx, spec.Name); gerr == nil && cur.CurrentVersion().Spec.sameAs(spec) {
			if err := n.ensureServing(ctx, cur); err != nil {
				return DeployResult{}, fmt.Errorf("deploy app %q: %w", spec.Name, err)
			}
			return DeployResult{App: cur, Version: cur.Current, Unchanged: true}, nil
		}
	}
	if err != nil {
		return DeployResult{}, fmt.Errorf("deploy app %q: %w", spec.Name, err)
	}
	return DeployResult{App: stored, Version: v.Number}, nil
}

// Rollback switches the app back to an earlier version: the given number,
// or with version 0 the highest-numbered version below the current one.
// The version list is unchanged; only which version serves moves.
func (n *Node) Rollback(ctx context.Context, name string, version int) (App, error) {
	n.deployMu.Lock()
	defer n.deployMu.Unlock()
	app, err := n.store.GetApp(ctx, name)
	if err != nil {
		return App{}, n.appError("rollback", name, err)
	}
	if version == 0 {
		for _, v := range app.Versions {
			if v.Number < app.Current {
				version = v.Number
			}
		}
		if version == 0 {
			return App{}, errorf(ErrInvalid, "rollback app %q: version %d is its oldest; there is nothing to roll back to", name, app.Current)
		}
	}
	v, ok := app.Version(version)
	if !ok {
		return App{}, errorf(ErrNotFound, "rollback app %q: it has no version %d (it has versions %d to %d; see `wisp app %s`)", name, version, app.Versions[0].Number, app.Versions[len(app.Versions)-1].Number, name)
	}
	if version == app.Current {
		return app, n.ensureServing(ctx, app)
	}
	if err := n.checkRoutes(name, v.Spec.Routes); err != nil {
		return App{}, fmt.Errorf("rollback app %q to version %d: %w", name, version, err)
	}
	from := app.Current
	app.Current = version
	stored, err := n.commit(ctx, app, false, fmt.Sprintf("rolled back from version %d to version %d", from, version))
	if err != nil {
		return App{}, fmt.Errorf("rollback app %q to version %d: %w", name, version, err)
	}
	return stored, nil
}

// commit compiles app's current version, stores app with compare-and-swap
// and only then switches traffic to it, logging event. With created, the
// current version is new (a deploy, not a rollback): its CreatedAt is set
// once it is compiled, just before it is stored, so a deploy's time is
// when it was committed, not when a compile of many seconds began.
// Called with deployMu held. Nothing changes if it fails.
func (n *Node) commit(ctx context.Context, app App, created bool, event string) (App, error) {
	v := app.CurrentVersion()
	d, err := n.prepare(ctx, v)
	if err != nil {
		return App{}, err
	}
	if created {
		at := time.Now().UTC().Truncate(time.Millisecond)
		for i := range app.Versions {
			if app.Versions[i].Number == app.Current {
				app.Versions[i].CreatedAt = at
			}
		}
		d.version.CreatedAt = at // not serving yet: no request reads it
	}
	recordWorld(&app, d)
	stored, err := n.store.PutApp(ctx, app)
	if err != nil {
		d.release()
		return App{}, fmt.Errorf("store version %d: %w", v.Number, err)
	}
	n.claimRoutes(app.Name, v.Spec.Routes)
	n.applied[app.Name] = stored.Revision
	n.activate(app.Name, d)
	n.appLog(app.Name, "node", v.Number, event)
	n.log.Info("app changed", "app", app.Name, "version", v.Number, "event", event)
	return stored, nil
}

// ensureServing loads app's current version if this node does not serve
// it (it failed to load at start-up), without storing anything.
func (n *Node) ensureServing(ctx context.Context, app App) error {
	if d, ok := n.table.Load().apps[app.Name]; ok && d.version.Number == app.Current {
		return nil
	}
	d, err := n.prepare(ctx, app.CurrentVersion())
	if err != nil {
		return err
	}
	n.activate(app.Name, d)
	n.appLog(app.Name, "node", app.Current, fmt.Sprintf("loaded version %d again", app.Current))
	return nil
}

// checkRoutes refuses routes that another stored app's current version
// declares, whether or not that app serves on this node right now.
// Called with deployMu held.
func (n *Node) checkRoutes(name string, routes []Route) error {
	for _, r := range routes {
		if other, ok := n.routeClaimant(name, r); ok {
			return errorf(ErrConflict, "route %q is already served by app %q; choose another route, or remove it from %q first (wisp rm %s, or redeploy %s without it)", r, other, other, other, other)
		}
	}
	return nil
}

// Remove deletes an app and all its versions; it stops serving at once
// (invocations already running finish) and its log is dropped. Blobs stay
// in the store.
func (n *Node) Remove(ctx context.Context, name string) error {
	n.deployMu.Lock()
	defer n.deployMu.Unlock()
	app, err := n.store.GetApp(ctx, name)
	if err != nil {
		return n.appError("remove", name, err)
	}
	if err := n.store.DeleteApp(ctx, name, app.Revision); err != nil {
		return fmt.Errorf("remove app %q: %w", name, err)
	}
	n.claimRoutes(name, nil)
	n.applied[name] = app.Revision // an older change still in the watch must not bring it back
	n.activate(name, nil)
	n.logsMu.Lock()
	delete(n.logs, name)
	n.logsMu.Unlock()
	n.log.Info("app removed", "app", name)
	return nil
}

// appError words a failed store lookup of an app for operation op.
func (n *Node) appError(op, name string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return errorf(ErrNotFound, "%s app %q: it does not exist (see `wisp apps`)", op, name)
	}
	return fmt.Errorf("%s app %q: %w", op, name, err)
}

// activate makes d the serving version of app (nil: the app stops
// serving) by swapping in a new routing table, then drops the table's
// reference on the version it replaced. Called with deployMu held.
func (n *Node) activate(app string, d *deployed) {
	old := n.table.Load()
	if d != nil {
		n.ring(app) // every serving app has a log to follow
	}
	n.table.Store(old.with(app, d))
	n.readyMu.Lock()
	delete(n.failed, app)
	n.readyMu.Unlock()
	delete(n.retry, app)
	n.signalStatus()
	if prev, ok := old.apps[app]; ok {
		prev.release()
	}
}

// prepare loads a version's module and file bundles from the store and
// compiles it, returning it with one reference (the caller's).
func (n *Node) prepare(ctx context.Context, v Version) (*deployed, error) {
	spec := v.Spec
	wasm, err := n.readBlob(ctx, spec.Module, "module", n.checkModuleSize)
	if err != nil {
		return nil, err
	}
	if binary.IsComponent(wasm) {
		return n.prepareComponent(ctx, v, wasm)
	}
	mod, err := n.engine.Compile(ctx, wasm, uint64(spec.Limits.Memory))
	if errors.Is(err, engine.ErrInvalidModule) {
		return nil, errorf(ErrInvalid, "%w", err)
	} else if err != nil {
		return nil, fmt.Errorf("compile module %s: %w", shortDigest(spec.Module), err)
	}
	if err := n.checkServiceImports(spec, mod.Imports()); err != nil {
		mod.Close(ctx)
		return nil, err
	}
	outbound, err := egress.Parse(spec.AllowedOutboundHosts)
	if err != nil {
		mod.Close(ctx)
		return nil, errorf(ErrInvalid, "%w", err)
	}
	mounts := make([]engine.Mount, 0, len(spec.Files))
	for _, f := range spec.Files {
		// Read whole first, so a failed read (the store went away) is not
		// taken for a malformed bundle, which is never retried.
		data, err := n.readBlob(ctx, f.Bundle, "file bundle for "+f.Mount, n.checkBlobSize)
		if err != nil {
			mod.Close(ctx)
			return nil, err
		}
		fsys, err := bundle.Load(bytes.NewReader(data), n.cfg.MaxBlobSize, maxBundleFiles)
		if err != nil {
			mod.Close(ctx)
			return nil, errorf(ErrInvalid, "file bundle for %s (%s): %w", f.Mount, shortDigest(f.Bundle), err)
		}
		mounts = append(mounts, engine.Mount{FS: fsys, Guest: f.Mount})
	}
	env := make([]string, 0, len(spec.Env))
	for _, k := range slices.Sorted(maps.Keys(spec.Env)) {
		env = append(env, k+"="+spec.Env[k])
	}
	prepared, err := mod.Prepare(ctx, env, mounts)
	mod.Close(ctx) // the Prepared holds its own reference
	if errors.Is(err, engine.ErrInvalidModule) {
		return nil, errorf(ErrInvalid, "%w", err)
	} else if err != nil {
		return nil, fmt.Errorf("prepare module %s: %w", shortDigest(spec.Module), err)
	}
	d := n.newDeployed(v)
	d.prepared = prepared
	d.services = usesServices(prepared.Imports())
	d.outbound = outbound
	return d, nil
}

// newDeployed returns version v's deployed with one reference (the
// caller's), its log and its concurrency slots, for the caller to give
// its compiled code.
func (n *Node) newDeployed(v Version) *deployed {
	d := &deployed{
		app:     v.Spec.Name,
		version: v,
		logs:    n.ring(v.Spec.Name),
		usage:   n.usage(v.Spec.Name),
		slots:   make(chan struct{}, v.Spec.Limits.MaxConcurrency),
	}
	if cur, ok := n.table.Load().apps[v.Spec.Name]; ok && cap(cur.slots) == cap(d.slots) {
		// Share the slots with the version being replaced, so an app never
		// runs more than MaxConcurrency instances while old requests drain.
		d.slots = cur.slots
	}
	if n.obs != nil {
		d.obs = n.obs.Version(d.app, v.Number)
	}
	d.refs.Store(1)
	return d
}

// MaxBlobSize returns the largest module or file bundle the node stores
// and loads: Config.MaxBlobSize (`wisp serve --max-module-size`).
func (n *Node) MaxBlobSize() int64 { return n.cfg.MaxBlobSize }

// maxModuleBytes is the largest module the engine's pre-scan accepts
// (internal/wasmscan's MaxModuleBytes cap, below the default
// MaxBlobSize): a larger one is refused by its size, before it is read.
func maxModuleBytes() int64 { return int64(wasmscan.DefaultLimits.MaxModuleBytes) }

// sizeOf formats a blob's size for a refusal: rounded, and exact.
func sizeOf(size int64) string {
	return fmt.Sprintf("%s (%d bytes)", ByteSize(size).Approx(), size)
}

// checkModuleSize refuses a module of size bytes that this node would
// not store, or that the engine would refuse for its size anyway.
func (n *Node) checkModuleSize(what, digest string, size int64) error {
	if err := n.checkBlobSize(what, digest, size); err != nil {
		return err
	}
	if size > maxModuleBytes() {
		return errorf(ErrInvalid, "%s %s is %s, over the %s a module may have (the compile-cost cap MaxModuleBytes, see docs/security.md); it was not read: strip debug information and other custom sections (go build -ldflags='-s -w', wasm-strip, wasm-opt --strip-debug) and build for size (-Os, wasm-opt -Oz)",
			what, shortDigest(digest), sizeOf(size), ByteSize(maxModuleBytes()))
	}
	return nil
}

// checkBlobSize refuses a blob of size bytes over the node's MaxBlobSize
// (stored before the limit was lowered, or by a fleet node with a higher
// one). The error matches ErrTooLarge and, as it can never load on this
// node, ErrInvalid: it is not retried.
func (n *Node) checkBlobSize(what, digest string, size int64) error {
	if size <= n.cfg.MaxBlobSize {
		return nil
	}
	return &kindError{kind: ErrTooLarge, err: errorf(ErrInvalid,
		"%s %s is %s, over this node's limit of %s for a module or file bundle (MaxBlobSize, wisp serve --max-module-size); it was not read: deploy a smaller one, or start the node with a larger --max-module-size",
		what, shortDigest(digest), sizeOf(size), ByteSize(n.cfg.MaxBlobSize))}
}

// readBlob reads a whole blob into memory, once check has accepted its
// size: a blob too large for it is refused before a byte is read, and one
// it accepts is read into a buffer of exactly its size.
func (n *Node) readBlob(ctx context.Context, digest, what string, check func(what, digest string, size int64) error) ([]byte, error) {
	r, err := n.store.OpenBlob(ctx, digest)
	if err != nil {
		return nil, blobError(err, what, digest)
	}
	defer r.Close()
	size, err := n.blobSize(ctx, r, digest)
	if err != nil {
		return nil, blobError(err, what, digest)
	}
	if err := check(what, digest, size); err != nil {
		return nil, err
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, fmt.Errorf("read %s %s: %w (the store said it has %d bytes)", what, shortDigest(digest), err, size)
	}
	var extra [1]byte
	if _, err := io.ReadFull(r, extra[:]); err != io.EOF {
		return nil, fmt.Errorf("read %s %s: the store said it has %d bytes, but it has more (%v)", what, shortDigest(digest), size, err)
	}
	return data, nil
}

// blobSize returns the size of the blob r, just opened: its file's size
// when the store hands out a file (boltstore; natsstore's cache), which
// costs no second lookup, and otherwise what StatBlob says.
func (n *Node) blobSize(ctx context.Context, r io.Reader, digest string) (int64, error) {
	if f, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			return fi.Size(), nil
		}
	}
	info, err := n.store.StatBlob(ctx, digest)
	if err != nil {
		return 0, err
	}
	return info.Size, nil
}

func blobError(err error, what, digest string) error {
	if errors.Is(err, ErrNotFound) {
		return errorf(ErrNotFound, "%s %s is not on this node: upload it first (POST /v1/blobs; `wisp deploy` does this for you)", what, digest)
	}
	return fmt.Errorf("open %s %s: %w", what, shortDigest(digest), err)
}

// shortDigest abbreviates "sha256:<64 hex>" for messages.
func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}
