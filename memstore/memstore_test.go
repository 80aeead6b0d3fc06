package memstore_test

import (
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/memstore"
	"github.com/wisphq/wisp/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{New: func(t *testing.T) wisp.Store { return memstore.New() }})
}
