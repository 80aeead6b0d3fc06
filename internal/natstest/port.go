package natstest

import (
	"testing"

	"github.com/wisphq/wisp/internal/testnode"
)

// freePort returns a loopback TCP port nothing listens on right now.
func freePort(t testing.TB) int {
	t.Helper()
	p, err := testnode.FreePort()
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	return p
}
