// Package world is the deploy-time check of a component against what Wisp
// implements (docs/components.md, section 7): every import must be a WASI
// 0.2.x interface Wisp provides (or a platform service at a draft version
// Wisp implements: wasi:keyvalue@0.2.0-draft and @0.2.0-draft2,
// wasi:config@0.2.0-draft, wasi:logging@0.1.0-draft), every imported
// function one it implements, and the component must export a world Wisp
// can run. Services checks the platform services against what the app
// declares.
//
// Wisp runs two worlds: a command (it exports wasi:cli/run@0.2.x; Command
// and Entry accept it) and an HTTP handler, the wasi:http/proxy world (it
// exports wasi:http/incoming-handler@0.2.x; Entry accepts it). Each problem
// is named with its interface, its version and what to do; every problem
// is reported at once.
//
// The package only reads names (it runs nothing and imports no WebAssembly
// runtime); whether each imported function has its interface's type is
// checked when the plan's host functions are bound (plan.HostCalls).
package world

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/wisphq/wisp/internal/component/binary"
	"github.com/wisphq/wisp/internal/component/plan"
	"github.com/wisphq/wisp/internal/component/wasi"
)

// Provided is what Wisp implements: function names (as a component imports
// them, "[method]output-stream.write") by interface name without version
// ("wasi:io/streams"). wasi.Interfaces gives it.
type Provided map[string]map[string]bool

// Run is the interface a command exports, and its function.
const (
	Run     = "wasi:cli/run@0.2.0"
	RunFunc = "run"
)

// Handler is the interface an HTTP component (the wasi:http/proxy world)
// exports, and its function.
const (
	Handler     = "wasi:http/incoming-handler@0.2.0"
	HandlerFunc = "handle"
)

// incomingHandler is Handler without its version.
const incomingHandler = "wasi:http/incoming-handler"

// Imports checks the imports of component c (before it is planned, so a
// component Wisp cannot run is refused with a message about what it
// imports rather than how it is built). Each import must name an interface
// of provided at a 0.2.x version.
func Imports(c *binary.Component, provided Provided) error {
	var errs []error
	for _, im := range c.Imports() {
		if err := checkImport(im.Name.Name, provided); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func checkImport(name string, provided Provided) error {
	in, ok := binary.ExternName{Name: name}.Interface()
	if !ok {
		return fmt.Errorf("component imports %q, a plain name rather than an interface: Wisp provides only interfaces (%s); compose the component that supplies it into the app with wac before deploying", name, families(provided))
	}
	iface := plan.Unversioned(name)
	family := in.Namespace + ":" + in.Package
	switch {
	case strings.HasPrefix(in.Version, "0.3"):
		return fmt.Errorf("component imports %s: WASI 0.3 (async) components are not supported yet: target WASI 0.2 (for example wasm32-wasip2, or componentize-js with a 0.2 WIT)", name)
	case iface == "wasi:clocks/timezone":
		return fmt.Errorf("component imports %s, an unstable interface Wisp does not implement: build without the clocks-timezone feature", name)
	case serviceVersions(family) != nil && (provided[iface] != nil || len(versionsOf(provided, iface)) > 0):
		want := serviceVersions(family) // want[0] is the version of the unversioned entries
		switch {
		case in.Version != "" && provided[name] != nil, in.Version == want[0] && provided[iface] != nil:
			return nil
		case !slices.Contains(want, in.Version):
			v := in.Version
			if v == "" {
				v = "no version"
			}
			return fmt.Errorf("component imports %s (%s): Wisp implements %s at version %s only: build against the %s@%s WIT (the one Spin's SDKs and componentize-js use)", name, v, family, strings.Join(want, " and "), family, want[0])
		}
		var at []string
		if provided[iface] != nil {
			at = append(at, want[0])
		}
		at = append(at, versionsOf(provided, iface)...)
		return fmt.Errorf("component imports %s: Wisp implements %s at version %s only: build against that WIT", name, iface, strings.Join(at, " and "))
	case provided[iface] == nil:
		return fmt.Errorf("component imports %s: not an interface Wisp provides (it provides %s); compose the component that implements it into the app with wac before deploying", name, families(provided))
	case !strings.HasPrefix(in.Version, "0.2."):
		v := in.Version
		if v == "" {
			v = "no version"
		}
		return fmt.Errorf("component imports %s (%s): Wisp implements %s at versions 0.2.x only: build against a WASI 0.2 WIT", name, v, iface)
	}
	return nil
}

// serviceVersions returns the versions Wisp implements of a
// platform-service package (package wasi's Services), or nil for any
// other package: their WIT is a draft whose types change between drafts.
func serviceVersions(family string) []string {
	switch family {
	case "wasi:keyvalue":
		return []string{wasi.KeyValueVersion, wasi.KeyValueDraft2}
	case "wasi:config":
		return []string{wasi.ConfigVersion}
	case "wasi:logging":
		return []string{wasi.LoggingVersion}
	}
	return nil
}

// versionsOf lists the versions provided keys iface under ("0.2.0-draft2").
func versionsOf(provided Provided, iface string) []string {
	var out []string
	for name := range provided {
		if n, v, ok := strings.Cut(name, "@"); ok && n == iface {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// Declared is what an app's manifest (wisp.toml) declares of the platform
// services, for Services.
type Declared struct {
	// KeyValueStores are the app's key_value_stores.
	KeyValueStores []string
}

// Services refuses a component that imports a platform service its app
// does not declare, as the node refuses such a preview 1 module at
// deploy: wasi:keyvalue needs at least one key_value_stores entry.
// (wasi:config and wasi:logging need no declaration: config.get of an
// undeclared variable fails at run time with the name to declare.)
func Services(c *binary.Component, d Declared) error {
	for _, im := range c.Imports() {
		in, ok := binary.ExternName{Name: im.Name.Name}.Interface()
		if !ok {
			continue
		}
		if in.Namespace+":"+in.Package == "wasi:keyvalue" && len(d.KeyValueStores) == 0 {
			return fmt.Errorf("component imports %s but the app declares no key-value store: add key_value_stores = [\"default\"] to its wisp.toml (and deploy the directory: flags cannot declare stores)", im.Name.Name)
		}
	}
	return nil
}

// families lists the packages of provided ("wasi:cli, wasi:io, ...").
func families(provided Provided) string {
	var out []string
	for iface := range provided {
		f, _, _ := strings.Cut(iface, "/")
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// Command checks planned component p as a command: every function it
// imports is in provided, and it exports wasi:cli/run@0.2.x's run, which it
// returns.
func Command(p *plan.Plan, provided Provided) (*plan.Export, error) {
	errs := funcs(p, provided)
	run, ok := p.Export(Run, RunFunc)
	if !ok {
		errs = append(errs, exportError(p))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return run, nil
}

// Entry checks planned component p as a command or an HTTP handler: every
// function it imports is in provided, and it exports wasi:cli/run@0.2.x's
// run (http false) or wasi:http/incoming-handler@0.2.x's handle (http
// true), which it returns. A component exporting both is a command.
func Entry(p *plan.Plan, provided Provided) (export *plan.Export, http bool, err error) {
	errs := funcs(p, provided)
	export, ok := p.Export(Run, RunFunc)
	if !ok {
		if export, ok = p.Export(Handler, HandlerFunc); ok {
			http = true
		} else {
			errs = append(errs, entryError(p))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, false, err
	}
	return export, http, nil
}

// funcs lists the functions p imports that provided lacks.
func funcs(p *plan.Plan, provided Provided) []error {
	var errs []error
	seen := map[string]bool{}
	for _, h := range p.Host {
		if h.Kind != plan.HostLower {
			continue
		}
		key := h.Interface + " " + h.Func
		if seen[key] {
			continue
		}
		seen[key] = true
		fns, versioned := provided[h.Interface]
		if !versioned {
			fns = provided[plan.Unversioned(h.Interface)]
		}
		if !fns[h.Func] {
			errs = append(errs, fmt.Errorf("component imports %s function %s, which Wisp does not implement (an unstable or newer function): build against the stable WASI 0.2 WIT", h.Interface, h.Func))
		}
	}
	return errs
}

// exportError words the refusal, by Command, of a component that exports
// no wasi:cli/run.
func exportError(p *plan.Plan) error {
	for _, e := range p.Exports {
		if plan.Unversioned(e.Interface) == incomingHandler {
			return fmt.Errorf("component exports %s (a wasi:http/proxy component), not wasi:cli/run@0.2.x: it answers HTTP requests; deploy it as an app rather than running it as a command", e.Interface)
		}
	}
	return fmt.Errorf("component exports %s, not wasi:cli/run@0.2.x: Wisp runs commands (the wasi:cli/command world; a reactor is deployed as the preview 1 module with wisp_handle, not as a component)", exportNames(p))
}

// entryError words the refusal, by Entry, of a component that exports
// neither wasi:cli/run nor wasi:http/incoming-handler.
func entryError(p *plan.Plan) error {
	return fmt.Errorf("component exports %s, not wasi:cli/run@0.2.x nor wasi:http/incoming-handler@0.2.x: Wisp runs commands (the wasi:cli/command world) and HTTP handlers (the wasi:http/proxy world); a reactor is deployed as the preview 1 module with wisp_handle, not as a component", exportNames(p))
}

// exportNames lists what p exports ("nothing" for nothing).
func exportNames(p *plan.Plan) string {
	var names []string
	for _, e := range p.Exports {
		n := e.Interface
		if n == "" {
			n = e.Func
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return "nothing"
	}
	return strings.Join(names, ", ")
}

// WASI returns what package wasi implements, as Provided.
func WASI() Provided {
	out := Provided{}
	all := wasi.Interfaces()
	maps.Copy(all, wasi.Services())
	for name, iface := range all {
		fns := map[string]bool{}
		for fn := range iface {
			fns[fn] = true
		}
		out[name] = fns
	}
	return out
}
