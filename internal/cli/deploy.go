package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/manifest"
	"github.com/wisphq/wisp/internal/oci"
)

func deployCommand() *command {
	return &command{
		name:    "deploy",
		summary: "deploy an app from a wisp.toml, or a .wasm file with flags",
		usage: []string{
			"wisp deploy [PATH] [flags]",
			"wisp deploy FILE.wasm --route ROUTE [--name NAME] [flags]",
			"wisp deploy oci://REGISTRY/REPOSITORY:TAG --route ROUTE [--name NAME] [flags]",
		},
		description: `
Deploy a new version of an app: upload its module and file bundles to the
node (skipping what the node already has), then make the new version serve.
The command returns once it does. Deploying what is already serving changes
nothing and says so.

PATH is a wisp.toml or a directory holding one (default: the current
directory). Flags override the manifest: --name replaces its name, --route
its routes (all of them), --env adds or replaces variables, and each limit
flag its limit.

A manifest may only name files beneath its own directory: its module and
[[files]] sources must be relative paths that stay inside it, and no
symbolic link on the way (or inside a files directory) may lead out, so
that a wisp.toml from a cloned repository cannot upload your own files.
Nothing is read or uploaded if one does. Paths on the command line (PATH,
FILE.wasm) are yours, and are not confined.

Given a WebAssembly module instead (a file starting with "\0asm", whatever
its name), the app is described by flags alone: --route is required, and
--name defaults to the file's name without its extension (".wasm").
WebAssembly text (.wat) must be compiled to a module first, with wat2wasm
for example.

The module may be in an OCI registry, pushed with 'wisp push' or another
tool: write module = "oci://REGISTRY/REPOSITORY:TAG" (or "...@sha256:DIGEST")
in the manifest, or give oci://... in place of FILE.wasm (--name then
defaults to the repository's last part). The reference is resolved to the
module's digest; the module is pulled only if the node lacks it, checked
against that digest, and uploaded. Registry credentials and plain HTTP work
as for 'wisp push'.

Routes are "/path" for one path, "/path/..." for a path and everything below
it, with an optional host in front: "example.com/...". Progress goes to
stderr; the result to stdout.`,
		examples: []string{
			"wisp deploy",
			"wisp deploy ./hello/wisp.toml --env LOG_LEVEL=debug",
			"wisp deploy hello.wasm --route /hello --route '/hello/...'",
			"wisp deploy app.wasm --name api --route /api/... --memory 64MiB --timeout 5s",
			"wisp deploy oci://ghcr.io/acme/api:v2 --route /api/...",
		},
		new: func(e *env) verb {
			return &deployVerb{connFlags: connFlags{e: e}, env: envFlag{getenv: e.getenv}, registry: registryFlags{e: e}}
		},
	}
}

// deployVerb is `wisp deploy`.
type deployVerb struct {
	connFlags
	registry registryFlags
	output   outputFlag
	name     string
	routes   routesFlag
	env      envFlag
	limits   wisp.Limits
}

func (v *deployVerb) flags(fs *flagSet) {
	v.connFlags.register(fs)
	v.output.register(fs)
	v.registry.register(fs, false)
	fs.StringVar(&v.name, "name", "", "the app's `NAME`: 1-63 lower case letters, digits and '-'")
	fs.Var(&v.routes, "route", "a `ROUTE` the app answers, such as /hello or /api/... (repeatable)")
	fs.Var(&v.env, "env", "set the app's environment variable, as `KEY=VALUE`; a bare KEY takes the value wisp has (repeatable)")
	d := wisp.DefaultLimits
	fs.Var(byteSizeFlag{&v.limits.Memory}, "memory", "linear memory limit of each instance, a `SIZE` such as 64MiB (default "+d.Memory.String()+")")
	fs.Var(durationFlag{&v.limits.Timeout}, "timeout", "wall-clock limit of one request, a `DURATION` such as 5s (default "+d.Timeout.String()+")")
	fs.Var(durationFlag{&v.limits.CPU}, "cpu", "CPU limit of one request, counted as fuel (docs/cpu.md), a `DURATION` such as 50ms (default "+d.CPU.String()+")")
	fs.Var(byteSizeFlag{&v.limits.MaxBody}, "max-body", "largest request body, a `SIZE` such as 1MiB (default "+d.MaxBody.String()+")")
	fs.Var(byteSizeFlag{&v.limits.MaxResponse}, "max-response", "largest response, a `SIZE` such as 1MiB (default "+d.MaxResponse.String()+")")
	fs.IntVar(&v.limits.MaxConcurrency, "max-concurrency", 0, fmt.Sprintf("run at most `N` requests of the app at once on the node (default %d)", d.MaxConcurrency))
}

// deployPlan is what to upload and deploy.
type deployPlan struct {
	spec   wisp.AppSpec   // without the module's and bundles' digests
	module string         // path of the .wasm; "" if image is set
	image  *oci.Reference // the module's OCI artifact, or nil
	// manifest is the manifest the plan comes from, nil for a module
	// given on the command line. Its module and files directories are
	// read through it, confined to its directory.
	manifest *manifest.Manifest
}

func (v *deployVerb) run(ctx context.Context, args []string) error {
	if len(args) > 1 {
		return usagef("want at most one PATH, got %d: %s", len(args), strings.Join(args, " "))
	}
	path := "."
	if len(args) == 1 {
		path = args[0]
	}
	plan, err := v.plan(path)
	if err != nil {
		return err
	}
	c, err := v.client()
	if err != nil {
		return err
	}
	var reg *oci.Client
	if plan.image != nil {
		if reg, err = v.registry.client(); err != nil {
			return err
		}
	}
	spec, err := uploadPlan(ctx, plan, c, reg, v.e.stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(v.e.stderr, "deploying %s...\n", spec.Name)
	res, err := c.Deploy(ctx, spec)
	if err != nil {
		return err
	}
	if v.output.json() {
		return writeJSON(v.e.stdout, res)
	}
	if res.Unchanged {
		fmt.Fprintf(v.e.stdout, "unchanged: %s is already at version %d\n", res.App.Name, res.Version)
		return nil
	}
	cur, _ := res.App.Version(res.Version)
	fmt.Fprintf(v.e.stdout, "deployed %s version %d (%s) routes: %s\n", res.App.Name, res.Version, shortDigest(cur.Spec.Module), formatRoutes(cur.Spec.Routes))
	return nil
}

// plan builds the deploy plan from PATH and the flags.
func (v *deployVerb) plan(path string) (*deployPlan, error) {
	if strings.HasPrefix(path, "oci://") {
		return v.planFromImage(path)
	}
	target, err := classifyTarget(path, v.name != "" || len(v.routes) > 0)
	if err != nil {
		return nil, err
	}
	if target == targetModule {
		return v.planFromModule(path)
	}
	m, err := manifest.Load(path)
	var list *manifest.ErrorList
	switch {
	case errors.Is(err, manifest.ErrNoManifest):
		return nil, fmt.Errorf("%w; or deploy a module directly: wisp deploy FILE.wasm --route /PATH", err)
	case errors.As(err, &list):
		n := len(list.Errors) + list.Omitted
		return nil, fmt.Errorf("%d problems in the manifest:\n%w", n, err)
	case err != nil:
		return nil, err
	}
	plan, err := planFromManifest(m)
	if err != nil {
		return nil, err
	}
	if v.name != "" {
		plan.spec.Name = v.name
	}
	if len(v.routes) > 0 {
		plan.spec.Routes = v.routes
	}
	if flagEnv := v.env.Map(); flagEnv != nil {
		plan.spec.Env = maps.Clone(plan.spec.Env)
		if plan.spec.Env == nil {
			plan.spec.Env = map[string]string{}
		}
		maps.Copy(plan.spec.Env, flagEnv)
	}
	plan.spec.Limits = overrideLimits(plan.spec.Limits, v.limits)
	return plan, nil
}

// planFromManifest returns the plan of deploying m as it is: every key of
// its wisp.toml carried into the spec, the platform services
// (key_value_stores, allowed_outbound_hosts, [variables]) included.
func planFromManifest(m *manifest.Manifest) (*deployPlan, error) {
	plan := &deployPlan{
		spec: wisp.AppSpec{
			Name:                 m.Name,
			Routes:               m.Routes,
			Env:                  m.Env,
			Limits:               m.Limits,
			KeyValueStores:       m.KeyValueStores,
			AllowedOutboundHosts: m.AllowedOutboundHosts,
			Variables:            m.Variables,
		},
		module:   m.Module,
		manifest: m,
	}
	if m.ModuleOCI != "" {
		ref, err := oci.ParseReference(m.ModuleOCI)
		if err != nil { // manifest checked it
			return nil, fmt.Errorf("%s: module: %w", m.Path, err)
		}
		plan.image = &ref
	}
	return plan, nil
}

// planFromModule builds the plan of `wisp deploy FILE.wasm` from flags.
func (v *deployVerb) planFromModule(path string) (*deployPlan, error) {
	base := filepath.Base(path)
	spec, err := v.specFromFlags(base, strings.TrimSuffix(base, filepath.Ext(base)))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s not found: check the path, or build the module first", path)
	}
	return &deployPlan{spec: spec, module: path}, nil
}

// planFromImage builds the plan of `wisp deploy oci://...` from flags.
func (v *deployVerb) planFromImage(s string) (*deployPlan, error) {
	ref, err := oci.ParseReference(s)
	if err != nil {
		return nil, usageError{msg: err.Error()}
	}
	spec, err := v.specFromFlags(s, ref.Name())
	if err != nil {
		return nil, err
	}
	return &deployPlan{spec: spec, image: &ref}, nil
}

// specFromFlags is the spec of a module deployed with flags alone: named
// --name, else defaultName (from what, the module's file name or
// reference), with --route required.
func (v *deployVerb) specFromFlags(what, defaultName string) (wisp.AppSpec, error) {
	name := v.name
	if name == "" {
		name = defaultName
		if err := wisp.ValidateAppName(name); err != nil {
			return wisp.AppSpec{}, usagef("cannot name the app after %s: %v; pass --name", what, err)
		}
	}
	if len(v.routes) == 0 {
		return wisp.AppSpec{}, usagef("no routes for %s: add --route /%s (or --route '/%s/...' for everything below it); --route is repeatable", name, name, name)
	}
	return wisp.AppSpec{Name: name, Routes: v.routes, Env: v.env.Map(), Limits: v.limits}, nil
}

// overrideLimits returns base with every limit set in flags replacing its own.
func overrideLimits(base, flags wisp.Limits) wisp.Limits {
	if flags.Memory != 0 {
		base.Memory = flags.Memory
	}
	if flags.Timeout != 0 {
		base.Timeout = flags.Timeout
	}
	if flags.CPU != 0 {
		base.CPU = flags.CPU
	}
	if flags.MaxBody != 0 {
		base.MaxBody = flags.MaxBody
	}
	if flags.MaxResponse != 0 {
		base.MaxResponse = flags.MaxResponse
	}
	if flags.MaxConcurrency != 0 {
		base.MaxConcurrency = flags.MaxConcurrency
	}
	return base
}
