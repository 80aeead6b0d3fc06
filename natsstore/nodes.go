package natsstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wisphq/wisp"
)

// PublishNode implements wisp.Fleet: the status goes under the node's ID
// in the nodes bucket, whose keys expire 30s after their last write.
func (s *Store) PublishNode(ctx context.Context, st wisp.NodeStatus) error {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("natsstore: encode status of node %q: %w", st.ID, err)
	}
	_, err = s.nodesBucket().Put(ctx, nodeKey(st.ID), data)
	if bucketGone(err) || errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) {
		// The in-memory bucket went with a NATS restart: make it again.
		var kv jetstream.KeyValue
		if kv, err = s.buckets.keyValue(ctx, s.nodesConfig()); err == nil {
			s.nodesMu.Lock()
			s.nodes = kv
			s.nodesMu.Unlock()
			_, err = kv.Put(ctx, nodeKey(st.ID), data)
		}
	}
	if err != nil {
		return fmt.Errorf("natsstore: publish status of node %q: %w", st.ID, unavailable(err))
	}
	return nil
}

// RemoveNode implements wisp.Fleet: a node that stops cleanly deletes
// its status instead of waiting for it to expire.
func (s *Store) RemoveNode(ctx context.Context, id string) error {
	if err := s.nodesBucket().Purge(ctx, nodeKey(id)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("natsstore: remove status of node %q: %w", id, unavailable(err))
	}
	return nil
}

// bucketGone reports whether err says the bucket's stream does not exist.
// (Watches go through nats.go's older API, which has its own error.)
func bucketGone(err error) bool {
	return errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrBucketNotFound) || errors.Is(err, nats.ErrStreamNotFound)
}

// nodesBucket returns the nodes bucket, which PublishNode may recreate.
func (s *Store) nodesBucket() jetstream.KeyValue {
	s.nodesMu.Lock()
	defer s.nodesMu.Unlock()
	return s.nodes
}

// Nodes implements wisp.Fleet.
func (s *Store) Nodes(ctx context.Context) ([]wisp.NodeStatus, error) {
	var nodes []wisp.NodeStatus
	err := s.scan(ctx, s.nodesBucket(), "nodes", false, func(e jetstream.KeyValueEntry) error {
		var st wisp.NodeStatus
		if err := json.Unmarshal(e.Value(), &st); err != nil {
			s.log.Warn("skipping a node status this node cannot read", "key", e.Key(), "err", err)
			return nil
		}
		nodes = append(nodes, st)
		return nil
	})
	if bucketGone(err) {
		return nil, nil // gone with a NATS restart; the next heartbeats make it again
	}
	if err != nil {
		return nil, err
	}
	slices.SortFunc(nodes, func(a, b wisp.NodeStatus) int { return strings.Compare(a.ID, b.ID) })
	return nodes, nil
}

// nodeKey makes a KV key of a node ID (a host name, usually valid as it
// is): characters a key may not hold become '_'.
func nodeKey(id string) string {
	if id == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '=':
			return r
		}
		return '_'
	}, id)
}
