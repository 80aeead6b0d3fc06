package memstore_test

import (
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/memstore"
	"github.com/wisphq/wisp/storetest"
)

// TestConformance runs the store suite against the in-memory store, the
// simplest correct implementation: a failure here is as likely a bug in
// the suite as in the store.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) wisp.Store { return memstore.New() },
		// Close keeps the contents, so "reopening" is using it again.
		Reopen: func(t *testing.T, s wisp.Store) wisp.Store {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return s
		},
	})
}
