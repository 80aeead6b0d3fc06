package wisp

import "github.com/wisphq/wisp/internal/egress"

// parseOutbound parses an app's allowed_outbound_hosts (docs/outbound.md).
// A bad pattern fails with an error that names it by its index, says how
// to write it, and wraps ErrInvalid (and egress.ErrInvalid), so a deploy
// is refused before anything is stored. An empty list parses to a policy
// that allows nothing.
func parseOutbound(patterns []string) (*egress.Policy, error) {
	p, err := egress.Parse(patterns)
	if err != nil {
		return nil, errorf(ErrInvalid, "%w", err)
	}
	return p, nil
}
