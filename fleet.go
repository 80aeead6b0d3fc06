package wisp

import (
	"context"
	"time"
)

// Fleet is what a node needs from a store that several nodes share
// (natsstore): the changes other nodes make to app records, and a place to
// say which versions it serves. A node given one in Config.Fleet follows
// it with [Node.Follow]. Implementations must be safe for concurrent use.
type Fleet interface {
	// WatchApps sends the current record of every stored app, then a
	// change with Synced set, then every change as it is stored, in store
	// order per app. It closes the channel when ctx ends or the watch
	// breaks (the node then starts a new one); it never skips a change
	// while open.
	WatchApps(ctx context.Context) (<-chan AppChange, error)
	// PublishNode stores st as the status of node st.ID, replacing the
	// previous one. A status not refreshed within the fleet's expiry (see
	// the implementation) disappears, so a node that died stops being
	// listed.
	PublishNode(ctx context.Context, st NodeStatus) error
	// RemoveNode deletes the status of node id, for a node that stops.
	RemoveNode(ctx context.Context, id string) error
	// Nodes returns the status of every node that published one lately,
	// sorted by ID.
	Nodes(ctx context.Context) ([]NodeStatus, error)
}

// AppChange is one change to a stored app record, as [Fleet.WatchApps]
// sends it.
type AppChange struct {
	Name     string
	App      App    // the new record, with its Revision; zero if Deleted
	Deleted  bool   // the app was removed
	Revision uint64 // the store revision of the change (of the removal, if Deleted)
	// Synced marks the end of the records that existed when the watch
	// started; it carries no change.
	Synced bool
}

// NodeStatus is what one node of a fleet reports about itself.
type NodeStatus struct {
	ID      string              `json:"id"`
	Started time.Time           `json:"started"`
	Updated time.Time           `json:"updated"`
	Apps    map[string]AppState `json:"apps"` // by app name
}

// AppState is which version of an app one node serves.
type AppState struct {
	// Serving is the version the node routes requests to; 0: none.
	Serving int `json:"serving"`
	// Failed is the current version, if the node could not load it (it
	// then goes on serving the version it had, if any), and Error why.
	Failed int    `json:"failed,omitempty"`
	Error  string `json:"error,omitempty"`
}

// fleetHeartbeat is how often a node republishes its status when nothing
// changes, so the fleet knows it is alive.
const fleetHeartbeat = 5 * time.Second

// fleetRetry is how often a node retries loading versions it could not
// load for a reason that may pass (a blob not yet readable, NATS away).
const fleetRetry = 3 * time.Second
