package wisp_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/memstore"
)

func TestNodeWideAdmission(t *testing.T) {
	for _, tc := range []struct {
		name    string
		config  wisp.Config
		held    int64  // reserved outside instances by the test (Node.Reserve)
		second  string // the app started while "sleeper" runs
		message string
	}{
		{"instance limit", wisp.Config{MaxInstances: 1}, 0, "other", "node is at its limit of 1 running instances"},
		{"memory budget", wisp.Config{MemoryBudget: 3 << 30}, 1 << 30, "other", "node memory budget of 3GiB is reserved"},
		{"one app's share", wisp.Config{MemoryBudget: 3 << 30}, 0, "sleeper", `app "sleeper" holds 1.0GiB of the node memory budget, its share of 1.5GiB (1/2 of 3GiB)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			tc.config.Store = memstore.New()
			n, err := wisp.New(tc.config)
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close(ctx)
			n.Load(ctx)
			big := wisp.Limits{Memory: 1 << 30, Timeout: wisp.Duration(5 * time.Second)}
			if tc.held > 0 {
				release, err := n.Reserve(tc.held, "the test's buffers")
				if err != nil {
					t.Fatal(err)
				}
				defer release()
			}
			for _, app := range []string{"sleeper", "other"} {
				if _, err := n.Deploy(ctx, wisp.AppSpec{Name: app, Module: upload(t, n, "sleep.wasm"), Routes: routes(t, "/"+app), Limits: big}); err != nil {
					t.Fatal(err)
				}
			}
			busy, cancel := context.WithCancel(ctx)
			defer cancel()
			go n.InvokeApp(busy, "sleeper", wisp.Input{})
			waitUntil(t, func() bool { return n.Stats().Instances == 1 })

			err = n.InvokeApp(ctx, tc.second, wisp.Input{})
			if !errors.Is(err, wisp.ErrOverloaded) || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("second instance: %v; want ErrOverloaded containing %q", err, tc.message)
			}
			cancel()
			waitUntil(t, func() bool { s := n.Stats(); return s.Instances == 0 && int64(s.MemoryReserved) == tc.held })
		})
	}
}

// waitUntil polls cond for up to 10 s.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
	}
}
