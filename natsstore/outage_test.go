package natsstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/natstest"
	"github.com/wisphq/wisp/internal/testnode"
)

// outageBound is how long a store call may take to fail once the client
// has no NATS server: docs/operations.md says 2 s; the bound is generous
// for a loaded machine, but well under the 5 s of jetstream's API timeout
// that calls used to wait for.
const outageBound = 4 * time.Second

// TestCallsFailSoonWhenNATSIsGone stops the only NATS server and makes
// every kind of store call: each fails with wisp.ErrUnavailable after
// about 2 s, not after jetstream's 5 s request timeout (or 10 s for a put
// that then checks whether its write landed).
func TestCallsFailSoonWhenNATSIsGone(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv.URL())
	s := open(t, nc, "outage", true)
	stored, err := s.PutApp(t.Context(), testApp("shop"))
	if err != nil {
		t.Fatal(err)
	}
	blob, err := s.PutBlob(t.Context(), strings.NewReader("module bytes"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}

	srv.Shutdown()
	if err := testnode.Poll(10*time.Second, func() (bool, error) { return !nc.IsConnected(), nil }); err != nil {
		t.Fatalf("the client still thinks it is connected: %v", err)
	}

	next := stored
	next.Current = 2
	calls := []storeCall{
		{"GetApp", func(ctx context.Context) error { _, err := s.GetApp(ctx, "shop"); return err }},
		{"ListApps", func(ctx context.Context) error { _, err := s.ListApps(ctx); return err }},
		{"PutApp", func(ctx context.Context) error { _, err := s.PutApp(ctx, next); return err }},
		{"PutApp new", func(ctx context.Context) error { _, err := s.PutApp(ctx, testApp("new")); return err }},
		{"DeleteApp", func(ctx context.Context) error { return s.DeleteApp(ctx, "shop", stored.Revision) }},
		{"StatBlob", func(ctx context.Context) error { _, err := s.StatBlob(ctx, blob.Digest); return err }},
		{"OpenBlob", func(ctx context.Context) error {
			rc, err := s.OpenBlob(ctx, blob.Digest)
			if err == nil {
				rc.Close()
			}
			return err
		}},
		{"PutBlob", func(ctx context.Context) error {
			_, err := s.PutBlob(ctx, strings.NewReader("another module"), 1<<20)
			return err
		}},
		{"Nodes", func(ctx context.Context) error { _, err := s.Nodes(ctx); return err }},
		{"WatchApps", func(ctx context.Context) error { _, err := s.WatchApps(ctx); return err }},
	}
	// All at once: each waits about 2 s.
	outcomes := callAll(t.Context(), calls)
	for i, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			o := outcomes[i]
			t.Logf("%s after %s: %v", c.name, o.took.Round(time.Millisecond), o.err)
			if !errors.Is(o.err, wisp.ErrUnavailable) {
				t.Errorf("%s during the outage = %v, want an error matching wisp.ErrUnavailable", c.name, o.err)
			}
			if o.took > outageBound {
				t.Errorf("%s failed after %s; the documented time is 2 s (bound %s)", c.name, o.took.Round(time.Millisecond), outageBound)
			}
		})
	}
}
