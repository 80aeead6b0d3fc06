// Package world is the deploy-time check of a component against what Wisp
// implements (docs/components.md, section 7): every import must be a WASI
// 0.2.x interface Wisp provides, every imported function one it
// implements, and the component must export a world Wisp can run.
//
// For now Wisp runs commands only: a component must export
// wasi:cli/run@0.2.x. A wasi:http/incoming-handler component is refused
// with a message saying so. Each problem is named with its interface, its
// version and what to do; Check reports every problem at once.
//
// The package only reads names (it runs nothing and imports no WebAssembly
// runtime); whether each imported function has its interface's type is
// checked when the plan's host functions are bound (plan.HostCalls).
package world

import (
	"errors"
	"fmt"
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

// incomingHandler is the interface an HTTP component (the wasi:http/proxy
// world) exports.
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
	case family == "wasi:http":
		return fmt.Errorf("component imports %s: wasi:http components are not supported yet: build a command (wasi:cli/command world, for example a preview 1 module wrapped with jco new --wasi-command) or deploy the preview 1 module itself", name)
	case family == "wasi:sockets":
		return fmt.Errorf("component imports %s, which Wisp does not provide: build without networking (outbound HTTP will go through wasi:http/outgoing-handler)", name)
	case iface == "wasi:clocks/timezone":
		return fmt.Errorf("component imports %s, an unstable interface Wisp does not implement: build without the clocks-timezone feature", name)
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

// families lists the packages of provided ("wasi:cli, wasi:io, ..."),
// but wasi:http, whose components are not supported yet.
func families(provided Provided) string {
	var out []string
	for iface := range provided {
		f, _, _ := strings.Cut(iface, "/")
		if f != "wasi:http" && !slices.Contains(out, f) { // refused for now, above
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
		if !provided[plan.Unversioned(h.Interface)][h.Func] {
			errs = append(errs, fmt.Errorf("component imports %s function %s, which Wisp does not implement (an unstable or newer function): build against the stable WASI 0.2 WIT", h.Interface, h.Func))
		}
	}
	run, ok := p.Export(Run, RunFunc)
	if !ok {
		errs = append(errs, exportError(p))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return run, nil
}

// exportError words the refusal of a component that exports no
// wasi:cli/run.
func exportError(p *plan.Plan) error {
	var names []string
	for _, e := range p.Exports {
		if plan.Unversioned(e.Interface) == incomingHandler {
			return fmt.Errorf("component exports %s (a wasi:http/proxy component): HTTP components are not supported yet: deploy a command (exporting wasi:cli/run@0.2.x, for example a preview 1 module wrapped with jco new --wasi-command) or the preview 1 module itself", e.Interface)
		}
		n := e.Interface
		if n == "" {
			n = e.Func
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	exports := "nothing"
	if len(names) > 0 {
		exports = strings.Join(names, ", ")
	}
	return fmt.Errorf("component exports %s, not wasi:cli/run@0.2.x: Wisp runs commands (the wasi:cli/command world; a reactor is deployed as the preview 1 module with wisp_handle, not as a component)", exports)
}

// WASI returns what package wasi implements, as Provided.
func WASI() Provided {
	out := Provided{}
	for name, iface := range wasi.Interfaces() {
		fns := map[string]bool{}
		for fn := range iface {
			fns[fn] = true
		}
		out[name] = fns
	}
	return out
}
