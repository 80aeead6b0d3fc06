package memstore_test

import (
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/kvtest"
	"github.com/wisphq/wisp/memstore"
)

// TestKVConformance runs the key-value suite on one in-memory KV, which
// every call of open returns (a new one would hold nothing).
func TestKVConformance(t *testing.T) {
	kv := memstore.NewKV()
	kvtest.Run(t, func(t *testing.T) wisp.KV { return kv })
}

// TestKVShared runs the several-nodes suite with three handles on one KV.
func TestKVShared(t *testing.T) {
	kv := memstore.NewKV()
	kvtest.RunShared(t, []wisp.KV{kv, kv, kv})
}

// TestKVQuotaIsExact fills stores to exactly their quota: the memory KV
// counts len(key)+len(value) per live entry and nothing else.
func TestKVQuotaIsExact(t *testing.T) {
	kvtest.RunExactQuota(t, func(t *testing.T) wisp.KV { return memstore.NewKV() })
}
