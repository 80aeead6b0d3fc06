package cli

import (
	"net/http"
	"time"

	"github.com/wisphq/wisp"
)

// listNodes answers GET /v1/nodes as a fleet of two would: node-a serves
// every app's current version; node-b still serves the version before it
// (or nothing, for an app with one version), as while it loads the new one.
func (n *fakeNode) listNodes(w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	defer n.mu.Unlock()
	a := wisp.NodeStatus{ID: "node-a", Started: n.clock, Updated: n.clock.Add(time.Minute), Apps: map[string]wisp.AppState{}}
	b := wisp.NodeStatus{ID: "node-b", Started: n.clock, Updated: n.clock.Add(time.Minute), Apps: map[string]wisp.AppState{}}
	for name, app := range n.apps {
		a.Apps[name] = wisp.AppState{Serving: app.Current}
		if app.Current > 1 {
			b.Apps[name] = wisp.AppState{Serving: app.Current - 1}
		}
	}
	answer(w, http.StatusOK, map[string]any{"nodes": []wisp.NodeStatus{a, b}})
}
