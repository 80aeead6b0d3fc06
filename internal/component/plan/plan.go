// Package plan turns a decoded component (*binary.Component) into a static
// wiring plan, built once per deploy: the core modules to instantiate, in
// order, with every import renamed to its source (another instance's export
// as ("wisp:i<k>", name), or a host function as ("wisp:host", "h<k>")); the
// host functions (each canon lower of a component import, each canon
// resource.* built-in) with their canon types and options; and the
// component's lifted exports with their canon types and options.
//
// Nested components are flattened, aliases followed and inline-export core
// instances ("bags") resolved away, so a run instantiates only real core
// modules and does no name lookups (docs/components.md, section 3). What
// is not supported yet is refused with an error naming the construct:
// resources defined by the component, canon lower of a lifted function
// (composition), component start functions, imported components and core
// modules.
//
// The package is pure data and canon types: no wazero.
package plan

import (
	"fmt"
	"strconv"

	"github.com/wisphq/wisp/internal/component/binary"
	"github.com/wisphq/wisp/internal/component/canon"
)

// The import module names a plan renames imports to.
const (
	// HostModule is the import module of every host function ("h<k>").
	HostModule = "wisp:host"
	// StepPrefix + k is the import module of the k-th step's instance.
	StepPrefix = "wisp:i"
)

// MaxSteps and MaxHost bound a plan: nested components instantiated many
// times could otherwise multiply the work of a small input.
const (
	MaxSteps = 1_000
	MaxHost  = 10_000
	// MaxWork is the most definitions Build walks, counting a nested
	// component's again for each instantiation of it.
	MaxWork = 4 * binary.MaxItems
)

// Plan is a component's wiring, built once per deploy. It is immutable and
// shared by every run.
type Plan struct {
	Steps   []Step
	Host    []HostFunc
	Exports []Export
}

// Step is one core instantiation: Module (the component's k-th core
// module, nested components' modules numbered after in walk order) with
// its imports renamed, Wasm, ready to compile.
type Step struct {
	Module  int
	Wasm    []byte
	Imports []Import
}

// Import is one import of a step's module and where it comes from.
type Import struct {
	Module, Name string // as the module declares it
	From         Item
}

// Item is a core item (function, memory, table, global) of a run's graph:
// export Name of step Step's instance, or (Step < 0) host function Host.
type Item struct {
	Step int
	Name string
	Host int
}

// IsHost reports whether the item is a host function.
func (it Item) IsHost() bool { return it.Step < 0 }

// Renamed returns the (module, name) pair a renamed import uses.
func (it Item) Renamed() (string, string) {
	if it.IsHost() {
		return HostModule, "h" + strconv.Itoa(it.Host)
	}
	return StepPrefix + strconv.Itoa(it.Step), it.Name
}

// String returns the item as its renamed import ("wisp:i2.memory").
func (it Item) String() string {
	m, n := it.Renamed()
	return m + "." + n
}

// HostKind is what a host function does.
type HostKind uint8

// The host function kinds.
const (
	// HostLower is a canon lower of an imported component function.
	HostLower HostKind = iota
	// HostResourceDrop, HostResourceNew and HostResourceRep are the canon
	// resource built-ins.
	HostResourceDrop
	HostResourceNew
	HostResourceRep
)

var hostKindNames = [...]string{"lower", "resource.drop", "resource.new", "resource.rep"}

// String names the kind as the canon definition does ("resource.drop").
func (k HostKind) String() string { return hostKindNames[k] }

// HostFunc is one host function of the plan's host module, exported as
// "h<index>".
type HostFunc struct {
	Kind HostKind
	// Interface is the imported instance's name as the component spells it
	// ("wasi:cli/stdout@0.2.12"), empty for a function imported directly;
	// Func is the function's name ("get-stdout").
	Interface, Func string
	// Type is the function's type (HostLower).
	Type *canon.FuncType
	// Core is the host function's core signature.
	Core canon.CoreFuncType
	// Opts are the lower's canon options.
	Opts Options
	// Resource is the resource type of a built-in.
	Resource *canon.ResourceType
}

// Options are canon options with their core items resolved.
type Options struct {
	Encoding   canon.StringEncoding
	Memory     *Item
	Realloc    *Item
	PostReturn *Item
}

// Export is a lifted function the component exports: Func of the exported
// instance Interface (or, with Interface empty, a function exported
// directly).
type Export struct {
	Interface, Func string
	Core            Item // the core function lifted
	Type            *canon.FuncType
	Opts            Options
}

// Export finds the export of function fn of interface iface, ignoring the
// patch version of iface when it is 0.2.x (any "@0.2." version matches).
func (p *Plan) Export(iface, fn string) (*Export, bool) {
	for i := range p.Exports {
		e := &p.Exports[i]
		if e.Func == fn && SameInterface(e.Interface, iface) {
			return e, true
		}
	}
	return nil, false
}

// Unversioned returns an interface name without its version
// ("wasi:cli/run@0.2.12" -> "wasi:cli/run").
func Unversioned(iface string) string {
	for i := len(iface) - 1; i >= 0; i-- {
		if iface[i] == '@' {
			return iface[:i]
		}
	}
	return iface
}

// SameInterface reports whether a and b name the same interface, taking
// every 0.2.x version as one.
func SameInterface(a, b string) bool {
	if a == b {
		return true
	}
	if Unversioned(a) != Unversioned(b) {
		return false
	}
	return minor02(a) && minor02(b)
}

func minor02(s string) bool {
	v := s[len(Unversioned(s)):]
	return len(v) > 5 && v[:5] == "@0.2."
}

func errorf(format string, args ...any) error {
	return fmt.Errorf("component plan: "+format, args...)
}
