package wisp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/wisphq/wisp/internal/bundle"
	"github.com/wisphq/wisp/internal/engine"
)

// maxBundleFiles caps the number of entries in one file bundle.
const maxBundleFiles = 100_000

// Deploy validates spec, compiles its module, stores it as the app's next
// version and switches traffic to it. When Deploy returns nil, the new
// version is durable and serving; requests already running finish on the
// old one. A spec equal to the current version's is not stored again
// (Unchanged in the result), so retrying a deploy is safe.
//
// Errors match ErrInvalid (bad spec, or a module that fails validation:
// the message names the problem), ErrNotFound (a blob was not uploaded),
// or ErrConflict (a route another app declares, or a concurrent change).
// Nothing is stored or switched when Deploy fails.
func (n *Node) Deploy(ctx context.Context, spec AppSpec) (DeployResult, error) {
	spec.Limits = spec.Limits.WithDefaults()
	if err := spec.Validate(); err != nil {
		return DeployResult{}, fmt.Errorf("deploy app %q: %w", spec.Name, err)
	}
	n.deployMu.Lock()
	defer n.deployMu.Unlock()

	app, err := n.store.GetApp(ctx, spec.Name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return DeployResult{}, fmt.Errorf("deploy app %q: %w", spec.Name, err)
	}
	if app.Revision != 0 && app.CurrentVersion().Spec.sameAs(spec) {
		return DeployResult{App: app, Version: app.Current, Unchanged: true}, nil
	}
	if r, other, clash := n.table.Load().conflicts(spec.Name, spec.Routes); clash {
		return DeployResult{}, errorf(ErrConflict, "deploy app %q: route %q is already served by app %q; choose another route or remove it from %q first", spec.Name, r, other, other)
	}

	next := 1
	if len(app.Versions) > 0 {
		next = app.Versions[len(app.Versions)-1].Number + 1
	}
	v := Version{Number: next, Spec: spec, CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
	d, err := n.prepare(ctx, v)
	if err != nil {
		return DeployResult{}, fmt.Errorf("deploy app %q: %w", spec.Name, err)
	}
	app.Name = spec.Name
	app.Versions = append(app.Versions, v)
	app.Current = v.Number
	stored, err := n.store.PutApp(ctx, app)
	if err != nil {
		d.release()
		return DeployResult{}, fmt.Errorf("deploy app %q: store version %d: %w", spec.Name, v.Number, err)
	}
	n.activate(spec.Name, d)
	n.appLog(spec.Name, "node", v.Number, fmt.Sprintf("deployed version %d (module %s)", v.Number, shortDigest(spec.Module)))
	n.log.Info("app deployed", "app", spec.Name, "version", v.Number, "module", spec.Module)
	return DeployResult{App: stored, Version: v.Number}, nil
}

// Rollback switches the app back to an earlier version: the given number,
// or with version 0 the highest-numbered version below the current one.
// The version list is unchanged; only which version serves moves.
func (n *Node) Rollback(ctx context.Context, name string, version int) (App, error) {
	n.deployMu.Lock()
	defer n.deployMu.Unlock()
	app, err := n.store.GetApp(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return App{}, errorf(ErrNotFound, "rollback app %q: it does not exist (see `wisp apps`)", name)
	} else if err != nil {
		return App{}, fmt.Errorf("rollback app %q: %w", name, err)
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
		return App{}, errorf(ErrNotFound, "rollback app %q: it has no version %d (it has versions %d to %d)", name, version, app.Versions[0].Number, app.Versions[len(app.Versions)-1].Number)
	}
	if version == app.Current {
		return app, nil
	}
	if r, other, clash := n.table.Load().conflicts(name, v.Spec.Routes); clash {
		return App{}, errorf(ErrConflict, "rollback app %q to version %d: its route %q is now served by app %q", name, version, r, other)
	}
	d, err := n.prepare(ctx, v)
	if err != nil {
		return App{}, fmt.Errorf("rollback app %q to version %d: %w", name, version, err)
	}
	from := app.Current
	app.Current = version
	stored, err := n.store.PutApp(ctx, app)
	if err != nil {
		d.release()
		return App{}, fmt.Errorf("rollback app %q: %w", name, err)
	}
	n.activate(name, d)
	n.appLog(name, "node", version, fmt.Sprintf("rolled back from version %d to version %d", from, version))
	n.log.Info("app rolled back", "app", name, "from", from, "to", version)
	return stored, nil
}

// Remove deletes an app and all its versions; it stops serving at once
// (invocations already running finish). Blobs stay in the store.
func (n *Node) Remove(ctx context.Context, name string) error {
	n.deployMu.Lock()
	defer n.deployMu.Unlock()
	app, err := n.store.GetApp(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return errorf(ErrNotFound, "remove app %q: it does not exist (see `wisp apps`)", name)
	} else if err != nil {
		return fmt.Errorf("remove app %q: %w", name, err)
	}
	if err := n.store.DeleteApp(ctx, name, app.Revision); err != nil {
		return fmt.Errorf("remove app %q: %w", name, err)
	}
	n.activate(name, nil)
	n.appLog(name, "node", 0, "removed")
	n.log.Info("app removed", "app", name)
	return nil
}

// activate makes d the serving version of app (nil: the app stops
// serving) by swapping in a new routing table, then drops the table's
// reference on the version it replaced. Called with deployMu held.
func (n *Node) activate(app string, d *deployed) {
	old := n.table.Load()
	apps := maps.Clone(old.apps)
	if d == nil {
		delete(apps, app)
	} else {
		apps[app] = d
	}
	n.table.Store(newRouteTable(apps))
	n.readyMu.Lock()
	delete(n.failed, app)
	n.readyMu.Unlock()
	if prev, ok := old.apps[app]; ok {
		prev.release()
	}
}

// prepare loads a version's module and file bundles from the store and
// compiles it, returning it with one reference (the caller's).
func (n *Node) prepare(ctx context.Context, v Version) (*deployed, error) {
	spec := v.Spec
	wasm, err := n.readBlob(ctx, spec.Module, "module")
	if err != nil {
		return nil, err
	}
	mod, err := n.engine.Compile(ctx, wasm, uint64(spec.Limits.Memory))
	if errors.Is(err, engine.ErrInvalidModule) {
		return nil, errorf(ErrInvalid, "%w", err)
	} else if err != nil {
		return nil, fmt.Errorf("compile module %s: %w", shortDigest(spec.Module), err)
	}
	mounts := make([]engine.Mount, 0, len(spec.Files))
	for _, f := range spec.Files {
		data, err := n.store.OpenBlob(ctx, f.Bundle)
		if err != nil {
			mod.Close(ctx)
			return nil, blobError(err, "file bundle for "+f.Mount, f.Bundle)
		}
		fsys, err := bundle.Load(data, n.cfg.MaxBlobSize, maxBundleFiles)
		data.Close()
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
	d := &deployed{
		app:      spec.Name,
		version:  v,
		module:   mod,
		prepared: mod.Prepare(env, mounts),
		logs:     n.ring(spec.Name),
		slots:    make(chan struct{}, spec.Limits.MaxConcurrency),
	}
	d.refs.Store(1)
	return d, nil
}

func (n *Node) readBlob(ctx context.Context, digest, what string) ([]byte, error) {
	r, err := n.store.OpenBlob(ctx, digest)
	if err != nil {
		return nil, blobError(err, what, digest)
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, n.cfg.MaxBlobSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", what, shortDigest(digest), err)
	}
	return data, nil
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
