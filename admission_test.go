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
		message string
	}{
		{"instance limit", wisp.Config{MaxInstances: 1}, "node is at its limit of 1 running instances"},
		{"memory budget", wisp.Config{MemoryBudget: 3 << 30}, "node memory budget of 3GiB is reserved"},
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
			big := wisp.Limits{Memory: 2 << 30, Timeout: wisp.Duration(5 * time.Second)}
			for _, app := range []string{"sleeper", "other"} {
				if _, err := n.Deploy(ctx, wisp.AppSpec{Name: app, Module: upload(t, n, "sleep.wasm"), Routes: routes(t, "/"+app), Limits: big}); err != nil {
					t.Fatal(err)
				}
			}
			busy, cancel := context.WithCancel(ctx)
			defer cancel()
			go n.InvokeApp(busy, "sleeper", wisp.Input{})
			waitUntil(t, func() bool { return n.Stats().Instances == 1 })

			err = n.InvokeApp(ctx, "other", wisp.Input{})
			if !errors.Is(err, wisp.ErrOverloaded) || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("second instance: %v; want ErrOverloaded containing %q", err, tc.message)
			}
			cancel()
			waitUntil(t, func() bool { s := n.Stats(); return s.Instances == 0 && s.MemoryReserved == 0 })
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
