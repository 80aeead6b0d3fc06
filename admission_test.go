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
		{"one app's share", wisp.Config{MemoryBudget: 3 << 30}, 0, "sleeper", `app "sleeper" holds 1.0GiB of the node memory budget, with its share of 1.5GiB (1/2 of 3GiB)`},
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
				release, err := n.Reserve("", tc.held, "the test's buffers")
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

// TestDeployRefusesAnAppThatCouldNeverStart checks that a deploy whose
// limits.memory is over one app's share of the node's memory budget is
// refused, with the reason, instead of answering 503 "busy" forever.
func TestDeployRefusesAnAppThatCouldNeverStart(t *testing.T) {
	ctx := context.Background()
	n, err := wisp.New(wisp.Config{Store: memstore.New(), MemoryBudget: 100 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close(ctx)
	n.Load(ctx)
	_, err = n.Deploy(ctx, wisp.AppSpec{Name: "big", Module: upload(t, n, "sleep.wasm"), Routes: routes(t, "/big"), Limits: wisp.Limits{Memory: 64 << 20}})
	want := `deploy app "big": limits.memory of 64MiB is more than one app's share of this node's memory budget (50MiB, 1/2 of 100MiB)`
	if !errors.Is(err, wisp.ErrInvalid) || !strings.Contains(err.Error(), want) {
		t.Fatalf("deploy: %v; want ErrInvalid containing %q", err, want)
	}
	if _, err := n.Deploy(ctx, wisp.AppSpec{Name: "small", Module: upload(t, n, "sleep.wasm"), Routes: routes(t, "/small"), Limits: wisp.Limits{Memory: 32 << 20}}); err != nil {
		t.Fatalf("an app within its share: %v", err)
	}
}
