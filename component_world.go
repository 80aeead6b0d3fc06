package wisp

import "github.com/wisphq/wisp/internal/component/world"

// World is the world a version's module targets, found when the version
// was compiled at deploy and stored with it: what `wisp app` shows and
// the admin API returns under each version's "world".
type World struct {
	// Kind is "component" (a WebAssembly component) or "module" (a WASI
	// preview 1 core module).
	Kind string `json:"kind"`
	// Name is the world: "wasi:http/proxy" or "wasi:cli/command" for a
	// component, "wasi preview 1 command" or "wasi preview 1 reactor" for
	// a module.
	Name string `json:"name"`
	// Exports are the interfaces a component exports, with their
	// versions ("wasi:http/incoming-handler@0.2.10"), sorted.
	Exports []string `json:"exports,omitempty"`
	// Imports are a component's imported interfaces with their versions
	// ("wasi:io/streams@0.2.12"), or a module's import modules
	// ("wasi_snapshot_preview1", "wisp:keyvalue/store@1"), sorted.
	Imports []string `json:"imports,omitempty"`
	// Notes say what of the imports Wisp refuses when called (wasi:sockets).
	Notes []string `json:"notes,omitempty"`
}

// componentWorld is the World of a component described by d.
func componentWorld(d world.Description) *World {
	return &World{Kind: "component", Name: d.World, Exports: d.Exports, Imports: d.Imports, Notes: d.Notes}
}

// world returns the World of what d runs.
func (d *deployed) world() *World {
	if d.command != nil {
		return d.command.world
	}
	w := &World{Kind: "module", Name: "wasi preview 1 command", Imports: d.prepared.Imports()}
	if d.prepared.Reactor() {
		w.Name = "wasi preview 1 reactor"
	}
	return w
}

// recordWorld sets the World of app's current version to what d, its
// compiled form, runs, if the version has none yet (it was deployed
// before versions recorded it, or is being deployed now).
func recordWorld(app *App, d *deployed) {
	for i := range app.Versions {
		if app.Versions[i].Number == app.Current && app.Versions[i].World == nil {
			app.Versions[i].World = d.world()
		}
	}
}
