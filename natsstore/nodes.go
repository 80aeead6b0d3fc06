package natsstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

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
	if _, err := s.nodes.Put(ctx, nodeKey(st.ID), data); err != nil {
		return fmt.Errorf("natsstore: publish status of node %q: %w", st.ID, unavailable(err))
	}
	return nil
}

// Nodes implements wisp.Fleet.
func (s *Store) Nodes(ctx context.Context) ([]wisp.NodeStatus, error) {
	var nodes []wisp.NodeStatus
	err := scan(ctx, s.nodes, "nodes", false, func(e jetstream.KeyValueEntry) error {
		var st wisp.NodeStatus
		if err := json.Unmarshal(e.Value(), &st); err != nil {
			s.log.Warn("skipping a node status this node cannot read", "key", e.Key(), "err", err)
			return nil
		}
		nodes = append(nodes, st)
		return nil
	})
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
