package natsstore

import "context"

// OnLeader exposes onLeader to the package's external tests.
func (s *Store) OnLeader(ctx context.Context, digest string) (bool, error) {
	return s.onLeader(ctx, digest)
}
