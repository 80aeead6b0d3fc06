package client_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/adminapi"
	"github.com/wisphq/wisp/client"
	"github.com/wisphq/wisp/internal/secretbox"
	"github.com/wisphq/wisp/memstore"
)

// servicesClient is a client of a real admin API over a node with a
// memory key-value backend and a secret key.
func servicesClient(t *testing.T) (*client.Client, *wisp.Node) {
	t.Helper()
	k, _ := secretbox.GenerateKey()
	kr, _ := secretbox.New(k)
	node, err := wisp.New(wisp.Config{Store: memstore.New(), KV: memstore.NewKV(), Sealer: kr, KVLimits: wisp.KVLimits{MaxValue: 1 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	node.Load(context.Background())
	srv := httptest.NewServer(adminapi.New(adminapi.Config{Node: node, Token: testToken}))
	t.Cleanup(func() {
		srv.Close()
		node.Close(context.Background())
	})
	return client.New(srv.URL, testToken), node
}

func TestKV(t *testing.T) {
	c, _ := servicesClient(t)
	ctx := t.Context()
	if stores, err := c.KVStores(ctx); err != nil || len(stores) != 0 {
		t.Fatalf("KVStores = %v, %v", stores, err)
	}
	// Keys the server's path cleaning would change, and binary values.
	keys := []string{".", "..", "a/b", "a//b", "../x", "/lead", "sp ace", "q?x#y", "100%", "ü"}
	for i, key := range keys {
		value := []byte{byte(i), 0, 255, '\n'}
		rev, err := c.KVSet(ctx, "default", key, value, 0)
		if err != nil || rev == 0 {
			t.Fatalf("KVSet %q = %d, %v", key, rev, err)
		}
		e, err := c.KVGet(ctx, "default", key)
		if err != nil || string(e.Value) != string(value) || e.Revision != rev || !e.Expires.IsZero() {
			t.Fatalf("KVGet %q = %+v, %v; want %q at revision %d", key, e, err, value, rev)
		}
	}
	if _, err := c.KVSet(ctx, "default", "empty", nil, time.Hour); err != nil {
		t.Fatal(err)
	}
	e, err := c.KVGet(ctx, "default", "empty")
	if err != nil || e.Value == nil || len(e.Value) != 0 || time.Until(e.Expires) < 59*time.Minute {
		t.Fatalf("an empty value with a ttl: %+v, %v", e, err)
	}
	var all []string
	for after := ""; ; {
		page, more, err := c.KVKeys(ctx, "default", "", after, 3)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if !more {
			break
		}
		after = page[len(page)-1]
	}
	if len(all) != len(keys)+1 {
		t.Errorf("paged through %d keys, want %d: %q", len(all), len(keys)+1, all)
	}
	if err := c.KVDelete(ctx, "default", "a/b"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		err  error
		call func() error
	}{
		{"get deleted", wisp.ErrNotFound, func() error { _, err := c.KVGet(ctx, "default", "a/b"); return err }},
		{"delete deleted", wisp.ErrNotFound, func() error { return c.KVDelete(ctx, "default", "a/b") }},
		{"unknown store", wisp.ErrNotFound, func() error { _, _, err := c.KVKeys(ctx, "other", "", "", 0); return err }},
		{"value over the limit", wisp.ErrLimit, func() error { _, err := c.KVSet(ctx, "default", "big", make([]byte, 2<<10), 0); return err }},
		{"reserved store", wisp.ErrInvalid, func() error { _, err := c.KVGet(ctx, "_variables", "x/y"); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
		})
	}
}

func TestVariables(t *testing.T) {
	c, _ := servicesClient(t)
	ctx := t.Context()
	info, err := c.SetVariable(ctx, "shop", "region", "eu", false)
	if err != nil || info.Declared || info.Value == nil || *info.Value != "eu" {
		t.Fatalf("SetVariable = %+v, %v", info, err)
	}
	info, err = c.SetVariable(ctx, "shop", "api_key", "s3cr3t", true)
	if err != nil || !info.Secret || !info.HasValue || info.Value != nil {
		t.Fatalf("SetVariable secret = %+v, %v", info, err)
	}
	vars, err := c.Variables(ctx, "shop")
	if err != nil || len(vars) != 2 || vars[0].Name != "api_key" || vars[0].Value != nil {
		t.Fatalf("Variables = %+v, %v", vars, err)
	}
	if n, err := c.RewrapSecrets(ctx); n != 1 || err != nil {
		t.Fatalf("RewrapSecrets = %d, %v", n, err)
	}
	if err := c.DeleteVariable(ctx, "shop", "api_key"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteVariable(ctx, "shop", "api_key"); !errors.Is(err, wisp.ErrNotFound) || !strings.Contains(err.Error(), "no value set") {
		t.Fatalf("delete twice: %v", err)
	}
	if _, err := c.Variables(ctx, "ghost"); !errors.Is(err, wisp.ErrNotFound) {
		t.Fatalf("Variables of an unknown app: %v", err)
	}
}
