package wisp

import (
	"maps"
	"slices"
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
	// Deploys refuse routes another app declares, so routes are unique;
	// going by name anyway makes the table the same on every start.
	for _, name := range slices.Sorted(maps.Keys(apps)) {
		d := apps[name]
		for _, r := range d.version.Spec.Routes {
			if r.Prefix {
				t.prefix[r.Host+r.Path] = tableEntry{r, d}
			} else {
				t.exact[r.Host+r.Path] = tableEntry{r, d}
			}
		}
	}
	return t
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
