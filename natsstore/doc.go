// Package natsstore is a [wisp.Store] and [wisp.Fleet] on NATS JetStream,
// so that several Wisp nodes serve the same apps: every node reads and
// writes the same buckets and follows their changes.
//
// A fleet named NAME (default "wisp") keeps:
//
//   - NAME_apps, a Key-Value bucket with one key per app holding its record
//     (JSON). The key's revision is the record's Revision, and every write
//     is a compare-and-swap on it (KV Create and Update), so of concurrent
//     deploys of one app through different nodes exactly one wins.
//   - NAME_blobs, an Object Store bucket holding modules and file bundles,
//     named by their digest ("sha256:<hex>"): content-addressed, stored
//     once, verified against the object's own SHA-256 when read.
//   - NAME_nodes, a Key-Value bucket with one key per node holding its
//     [wisp.NodeStatus]; keys expire 30s after a node stops refreshing
//     them, so a dead node drops out of `wisp app NAME`.
//
// # Durability
//
// The buckets use file storage. The node that creates them chooses their
// replicas (Config.Replicas): by default 3, or 1 on a NATS server that is
// not part of a JetStream cluster. With 3 replicas an acknowledged write
// is on a majority of the servers; it survives the loss of the machine
// only if the servers fsync before acknowledging, which NATS does with
// `sync_interval: always` in their jetstream block (the default fsyncs
// every two minutes). docs/operations.md has the whole story.
//
// # Limits
//
// An app record holds every version of the app, and NATS caps one message
// at its max_payload (1 MiB by default): that is a few thousand versions.
// A node's status lists every app it serves, about 30 bytes each.
package natsstore
