package memstore_test

import (
	"errors"
	"strings"
	"testing"
	"time"

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
	cases := []struct {
		name  string
		quota wisp.KVQuota
		fill  []string // keys set to "vvvv" (4 bytes)
		write string   // then set to "vvvv"
		fits  bool
	}{
		{"keys at the limit", wisp.KVQuota{MaxKeys: 2}, []string{"a"}, "b", true},
		{"keys past the limit", wisp.KVQuota{MaxKeys: 2}, []string{"a", "b"}, "c", false},
		{"keys: update at the limit", wisp.KVQuota{MaxKeys: 2}, []string{"a", "b"}, "b", true},
		{"bytes to exactly the limit", wisp.KVQuota{MaxBytes: 10}, []string{"a"}, "b", true},
		{"bytes one past the limit", wisp.KVQuota{MaxBytes: 10}, []string{"a"}, "bb", false},
		{"bytes: update at the limit", wisp.KVQuota{MaxBytes: 10}, []string{"a", "b"}, "b", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := memstore.NewKV().Open(t.Context(), "q", c.quota)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range c.fill {
				if _, err := s.Set(t.Context(), k, []byte("vvvv"), time.Time{}); err != nil {
					t.Fatalf("filling: Set(%q): %v", k, err)
				}
			}
			_, err = s.Set(t.Context(), c.write, []byte("vvvv"), time.Time{})
			if c.fits && err != nil {
				t.Fatalf("Set(%q) = %v, want it to fit", c.write, err)
			}
			if !c.fits && (!errors.Is(err, wisp.ErrLimit) || !strings.Contains(err.Error(), `"q"`)) {
				t.Fatalf("Set(%q) = %v, want an error wrapping wisp.ErrLimit naming the store", c.write, err)
			}
		})
	}
}
