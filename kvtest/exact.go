package kvtest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
)

// RunExactQuota checks, beyond Run, that a backend counting a store's
// bytes as len(key)+len(value) per live entry (memory and bbolt do;
// natsstore counts what JetStream stores) fills a store to exactly its
// quota: a write that reaches a limit fits, one past it is refused with
// wisp.ErrLimit naming the store, and an update at the limit that does
// not grow the store fits.
func RunExactQuota(t *testing.T, open func(t *testing.T) wisp.KV) {
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
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := fmt.Sprintf("quota%d", i)
			st, err := open(t).Open(t.Context(), name, c.quota)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range c.fill {
				if _, err := st.Set(t.Context(), k, []byte("vvvv"), time.Time{}); err != nil {
					t.Fatalf("filling: Set(%q): %v", k, err)
				}
			}
			_, err = st.Set(t.Context(), c.write, []byte("vvvv"), time.Time{})
			if c.fits && err != nil {
				t.Fatalf("Set(%q) = %v, want it to fit", c.write, err)
			}
			if !c.fits && (!errors.Is(err, wisp.ErrLimit) || !strings.Contains(err.Error(), `"`+name+`"`)) {
				t.Fatalf("Set(%q) = %v, want an error wrapping wisp.ErrLimit naming the store", c.write, err)
			}
		})
	}
}
