package wisp_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/memstore"
)

func TestKVAdmin(t *testing.T) {
	ctx := context.Background()
	kv := memstore.NewKV()
	n, err := wisp.New(wisp.Config{Store: memstore.New(), KV: kv, KVLimits: wisp.KVLimits{MaxValue: 8, Quota: wisp.KVQuota{MaxKeys: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(ctx) })
	if l := n.KVLimits(); l.MaxValue != 8 || l.Quota.MaxKeys != 3 || l.Quota.MaxBytes != wisp.DefaultKVBytes {
		t.Errorf("KVLimits = %+v: want the defaults filled in", l)
	}
	// Reads never create a store.
	if _, err := n.KVGet(ctx, "default", "k"); !errors.Is(err, wisp.ErrNotFound) || !strings.Contains(err.Error(), `key-value store "default" does not exist`) {
		t.Fatalf("get from a missing store: %v", err)
	}
	if stores, _ := n.KVStores(ctx); len(stores) != 0 {
		t.Fatalf("a read made stores %q", stores)
	}
	rev, err := n.KVSet(ctx, "default", "a", []byte("1"), 0)
	if err != nil || rev == 0 {
		t.Fatalf("set: %d, %v", rev, err)
	}
	if _, err := n.KVSet(ctx, "default", "b", []byte("2"), time.Hour); err != nil {
		t.Fatal(err)
	}
	e, err := n.KVGet(ctx, "default", "b")
	if err != nil || string(e.Value) != "2" || time.Until(e.Expires) < 59*time.Minute {
		t.Fatalf("get b = %+v, %v", e, err)
	}
	// A variable's store is there, and hidden.
	if _, err := kv.Open(ctx, wisp.VariablesStore, wisp.KVQuota{}); err != nil {
		t.Fatal(err)
	}
	if stores, err := n.KVStores(ctx); err != nil || !slices.Equal(stores, []string{"default"}) {
		t.Fatalf("KVStores = %q, %v", stores, err)
	}
	keys, more, err := n.KVKeys(ctx, "default", "", "", 1)
	if err != nil || !slices.Equal(keys, []string{"a"}) || !more {
		t.Fatalf("first page = %q %v %v", keys, more, err)
	}
	keys, more, err = n.KVKeys(ctx, "default", "", "a", 0)
	if err != nil || !slices.Equal(keys, []string{"b"}) || more {
		t.Fatalf("second page = %q %v %v", keys, more, err)
	}
	if err := n.KVDelete(ctx, "default", "a"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		call func() error
		err  error
		want string
	}{
		{"deleted key", func() error { _, err := n.KVGet(ctx, "default", "a"); return err }, wisp.ErrNotFound, `has no key "a"`},
		{"delete deleted", func() error { return n.KVDelete(ctx, "default", "a") }, wisp.ErrNotFound, `has no key "a"`},
		{"reserved store", func() error { _, err := n.KVGet(ctx, wisp.VariablesStore, "x/y"); return err }, wisp.ErrInvalid, `"_variables"`},
		{"write reserved store", func() error { _, err := n.KVSet(ctx, wisp.VariablesStore, "x/y", nil, 0); return err }, wisp.ErrInvalid, `"_variables"`},
		{"keys of reserved store", func() error { _, _, err := n.KVKeys(ctx, wisp.VariablesStore, "", "", 0); return err }, wisp.ErrInvalid, `"_variables"`},
		{"empty key", func() error { _, err := n.KVSet(ctx, "default", "", nil, 0); return err }, wisp.ErrInvalid, "key is empty"},
		{"value too large", func() error { _, err := n.KVSet(ctx, "default", "c", []byte("123456789"), 0); return err }, wisp.ErrLimit, "value of 9B is larger than this node's limit of 8B"},
		{"negative ttl", func() error { _, err := n.KVSet(ctx, "default", "c", nil, -time.Second); return err }, wisp.ErrInvalid, "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want %v containing %q", err, tc.err, tc.want)
			}
		})
	}
	// The quota of 3 keys: b, c, d, then full.
	for _, k := range []string{"c", "d"} {
		if _, err := n.KVSet(ctx, "default", k, nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := n.KVSet(ctx, "default", "e", nil, 0); !errors.Is(err, wisp.ErrLimit) {
		t.Fatalf("a write past the quota: %v", err)
	}

	bare := newNode(t)
	if _, err := bare.KVStores(ctx); !errors.Is(err, wisp.ErrInvalid) || !strings.Contains(err.Error(), "no key-value backend") {
		t.Fatalf("a node without backend: %v", err)
	}
	if _, err := bare.KVSet(ctx, "default", "k", nil, 0); !errors.Is(err, wisp.ErrInvalid) {
		t.Fatalf("set on a node without backend: %v", err)
	}
}
