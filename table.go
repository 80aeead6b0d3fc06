package wisp

import (
	"maps"
	"strings"
)

// routeTable maps requests to deployed versions. It is immutable once
// built: a deploy builds a new table and swaps it in atomically, so every
// request sees either the old or the new table, never a mix.
type routeTable struct {
	exact  map[string]tableEntry // key: host + path ("" host: any)
	prefix map[string]tableEntry // key: host + path of the prefix
	apps   map[string]*deployed  // current version of every serving app
}

type tableEntry struct {
	route Route
	d     *deployed
}

func newRouteTable(apps map[string]*deployed) *routeTable {
	t := &routeTable{exact: map[string]tableEntry{}, prefix: map[string]tableEntry{}, apps: apps}
	for _, d := range apps {
		t.add(d)
	}
	return t
}

// with returns a copy of t in which app is served by d (nil: not served).
// It costs a copy of t's maps, not a rebuild: a node with thousands of apps
// deploys one in well under a millisecond.
func (t *routeTable) with(app string, d *deployed) *routeTable {
	next := &routeTable{exact: maps.Clone(t.exact), prefix: maps.Clone(t.prefix), apps: maps.Clone(t.apps)}
	if prev, ok := t.apps[app]; ok {
		delete(next.apps, app)
		freed := map[Route]bool{}
		for _, r := range prev.version.Spec.Routes {
			m := next.routes(r)
			if e, ok := m[r.Host+r.Path]; ok && e.d == prev {
				delete(m, r.Host+r.Path)
				freed[r] = true
			}
		}
		// Another app may declare a freed route too (see add).
		for _, other := range next.apps {
			for _, r := range other.version.Spec.Routes {
				if freed[r] {
					next.add1(r, other)
				}
			}
		}
	}
	if d != nil {
		next.apps[app] = d
		next.add(d)
	}
	return next
}

// add enters d's routes. Deploys refuse routes another app declares, so
// routes are unique; if two apps' records in the store have one anyway,
// the app whose name sorts last gets it, so the table is the same
// whatever the order apps are added in.
func (t *routeTable) add(d *deployed) {
	for _, r := range d.version.Spec.Routes {
		t.add1(r, d)
	}
}

func (t *routeTable) add1(r Route, d *deployed) {
	m := t.routes(r)
	if e, ok := m[r.Host+r.Path]; !ok || e.d.app <= d.app {
		m[r.Host+r.Path] = tableEntry{r, d}
	}
}

// routes returns the map holding r: exact or prefix routes.
func (t *routeTable) routes(r Route) map[string]tableEntry {
	if r.Prefix {
		return t.prefix
	}
	return t.exact
}

// lookup finds the most specific route for host and path (see [Route]):
// host-specific routes first, then exact paths, then prefixes from the
// longest down. It costs one map lookup per path segment, and for a
// request with a Host header that a route names, the concatenated keys.
func (t *routeTable) lookup(host, path string) (tableEntry, bool) {
	if host != "" {
		if e, ok := t.lookupHost(host, path); ok {
			return e, true
		}
	}
	return t.lookupHost("", path)
}

func (t *routeTable) lookupHost(host, path string) (tableEntry, bool) {
	if len(t.exact) > 0 {
		if e, ok := t.exact[host+path]; ok {
			return e, true
		}
	}
	if len(t.prefix) == 0 {
		return tableEntry{}, false
	}
	for p := path; ; {
		if e, ok := t.prefix[host+p]; ok {
			return e, true
		}
		if p == "/" {
			return tableEntry{}, false
		}
		i := strings.LastIndexByte(p, '/')
		if i <= 0 {
			p = "/"
		} else {
			p = p[:i]
		}
	}
}
