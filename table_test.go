package wisp

import (
	"maps"
	"testing"
)

// TestRouteTableWithMatchesARebuild applies deploys and removals one at a
// time with routeTable.with and checks that each result routes exactly
// as a table built from scratch from the same apps.
func TestRouteTableWithMatchesARebuild(t *testing.T) {
	version := func(app string, routes ...string) *deployed {
		d := &deployed{app: app}
		for _, s := range routes {
			r, err := ParseRoute(s)
			if err != nil {
				t.Fatal(err)
			}
			d.version.Spec.Routes = append(d.version.Spec.Routes, r)
		}
		return d
	}
	table := newRouteTable(map[string]*deployed{})
	for _, step := range []struct {
		name string
		app  string
		d    *deployed // nil: removed
	}{
		{"first app", "a", version("a", "/a", "/a/...")},
		{"second app", "b", version("b", "/b", "shop.example.com/...")},
		{"redeploy with other routes", "a", version("a", "/a2")},
		// Deploys refuse a route another app declares, but the store may
		// hold such records (written by another process): the app whose
		// name sorts last serves it, as in a table built from scratch.
		{"duplicate route, later name", "c", version("c", "/b")},
		{"duplicate route, earlier name", "0", version("0", "/b")},
		{"the route's holder leaves: the next in line gets it", "c", nil},
		{"remove", "b", nil},
		{"remove an app that is not there", "zz", nil},
	} {
		t.Run(step.name, func(t *testing.T) {
			table = table.with(step.app, step.d)
			want := newRouteTable(maps.Clone(table.apps))
			for _, m := range []struct {
				name      string
				got, want map[string]tableEntry
			}{{"exact", table.exact, want.exact}, {"prefix", table.prefix, want.prefix}} {
				if !maps.EqualFunc(m.got, m.want, func(a, b tableEntry) bool { return a == b }) {
					t.Errorf("%s routes = %v, want %v", m.name, describe(m.got), describe(m.want))
				}
			}
			if d, ok := table.apps[step.app]; ok != (step.d != nil) || d != step.d {
				t.Errorf("apps[%q] = %v, %v; want %v", step.app, d, ok, step.d)
			}
		})
	}
}

func describe(m map[string]tableEntry) map[string]string {
	out := map[string]string{}
	for k, e := range m {
		out[k] = e.d.app
	}
	return out
}

func TestRouteClaims(t *testing.T) {
	n := &Node{claims: map[Route][]string{}, appRoutes: map[string][]Route{}}
	route := func(s string) Route {
		r, err := ParseRoute(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b, shared := route("/a"), route("/b"), route("/shared/...")
	n.claimRoutes("one", []Route{a, shared})
	n.claimRoutes("two", []Route{b, shared}) // a store written around the node
	for _, tc := range []struct {
		name      string
		app       string
		r         Route
		claimant  string
		isClaimed bool
	}{
		{"own route", "one", a, "", false},
		{"another app's route", "two", a, "one", true},
		{"free route", "one", route("/free"), "", false},
		{"shared route, seen by one", "one", shared, "two", true},
		{"shared route, seen by two", "two", shared, "one", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, ok := n.routeClaimant(tc.app, tc.r); got != tc.claimant || ok != tc.isClaimed {
				t.Errorf("routeClaimant(%q, %v) = %q, %v; want %q, %v", tc.app, tc.r, got, ok, tc.claimant, tc.isClaimed)
			}
		})
	}

	n.claimRoutes("one", []Route{route("/a2")}) // redeployed without /a and the shared route
	if got, ok := n.routeClaimant("two", a); ok {
		t.Errorf("/a is still claimed by %q after its app dropped it", got)
	}
	if got, ok := n.routeClaimant("three", shared); !ok || got != "two" {
		t.Errorf("the shared route is claimed by %q, %v; want two, which still declares it", got, ok)
	}
	n.claimRoutes("two", nil) // removed
	if len(n.claims) != 1 || len(n.appRoutes) != 1 {
		t.Errorf("after removing two: claims %v, appRoutes %v; want only one's /a2", n.claims, n.appRoutes)
	}
}
