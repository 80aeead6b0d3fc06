package world

import (
	"slices"

	"github.com/wisphq/wisp/internal/component/binary"
	"github.com/wisphq/wisp/internal/component/plan"
)

// Description is the world a component targets, as `wisp app` and the
// admin API show it: the standard world it exports for, and every
// interface it imports and exports with its version.
type Description struct {
	// World is "wasi:http/proxy" for a component exporting
	// wasi:http/incoming-handler, "wasi:cli/command" for one exporting
	// wasi:cli/run (a component exporting both runs as a command, as
	// Entry picks), else "" (Entry refuses it).
	World string
	// Imports and Exports are the interface names with versions
	// ("wasi:io/streams@0.2.12"), sorted; a plain name is as written.
	Imports, Exports []string
	// Notes say what of the imports Wisp refuses when called, one per
	// interface family ("wasi:sockets@0.2.12: ...").
	Notes []string
}

// Describe returns the world component c targets. It reads names only.
func Describe(c *binary.Component) Description {
	var d Description
	for _, im := range c.Imports() {
		d.Imports = append(d.Imports, im.Name.Name)
		if in, ok := (binary.ExternName{Name: im.Name.Name}).Interface(); ok && in.Namespace+":"+in.Package == "wasi:sockets" {
			note := "wasi:sockets@" + in.Version + ": every call that would make a socket or resolve a name is refused with error-code.access-denied (outbound HTTP goes through wasi:http/outgoing-handler)"
			if !slices.Contains(d.Notes, note) {
				d.Notes = append(d.Notes, note)
			}
		}
	}
	var run, handler bool
	for _, ex := range c.Exports() {
		d.Exports = append(d.Exports, ex.Name.Name)
		switch plan.Unversioned(ex.Name.Name) {
		case plan.Unversioned(Run):
			run = true
		case incomingHandler:
			handler = true
		}
	}
	switch {
	case run:
		d.World = "wasi:cli/command"
	case handler:
		d.World = "wasi:http/proxy"
	}
	slices.Sort(d.Imports)
	d.Imports = slices.Compact(d.Imports)
	slices.Sort(d.Exports)
	d.Exports = slices.Compact(d.Exports)
	return d
}
