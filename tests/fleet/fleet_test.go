package fleet

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/testnode"
)

// convergence bounds how long a deploy may take to reach every node here;
// generous, because the machine is shared (the measured figures are in
// docs/benchmarks.md).
const convergence = 30 * time.Second

func TestFleet(t *testing.T) {
	f := startFleet(t, 3)
	n1, n2, n3 := f.nodes[0], f.nodes[1], f.nodes[2]
	var acked []wisp.Version // every deploy a node acknowledged

	t.Run("DeployThroughOneNodeReachesAll", func(t *testing.T) {
		n1.mustWisp(t, "deploy", "testdata/wasm/printenv.wasm", "--name", "shop", "--route", "/shop", "--env", "VERSION=1")
		for _, m := range f.nodes {
			m.waitServes(t, "/shop", "VERSION=1\n", convergence)
		}
		app, err := n1.client().App(t.Context(), "shop")
		if err != nil {
			t.Fatal(err)
		}
		acked = append(acked, app.CurrentVersion())
	})

	t.Run("AppShowsEveryNodeServing", func(t *testing.T) {
		var out string
		err := testnode.Poll(convergence, func() (bool, error) {
			out = n3.mustWisp(t, "app", "shop")
			return strings.Count(out, "current") == 3, nil
		})
		if err != nil {
			t.Fatalf("`wisp app shop` does not list three nodes serving the current version:\n%s", out)
		}
		for _, m := range f.nodes {
			if !strings.Contains(out, m.id) {
				t.Errorf("`wisp app shop` does not list %s:\n%s", m.id, out)
			}
		}
	})

	t.Run("MetricsShowTheFleet", func(t *testing.T) {
		// n1 deployed; n2 and n3 followed it, each counting how long after
		// the deploy it served the version; all three are connected.
		for _, m := range f.nodes {
			metrics := m.metrics(t)
			want := []string{`(?m)^wisp_fleet_nats_connected 1$`}
			if m == n1 {
				want = append(want, `(?m)^wisp_deploys_total\{outcome="deployed"\} 1$`)
			} else {
				want = append(want, `(?m)^wisp_fleet_follow_lag_seconds_count [1-9]`)
			}
			for _, w := range want {
				if !regexp.MustCompile(w).MatchString(metrics) {
					t.Errorf("%s's /metrics has no line matching %s", m.id, w)
				}
			}
		}
	})

	t.Run("KeepDeployingWithANodeAndANATSServerDown", func(t *testing.T) {
		n2.Kill()
		f.nats[1].Kill()
		base := acked[0].Spec
		for v := 2; v <= 6; v++ {
			through := []*member{n1, n3}[v%2]
			start := time.Now()
			res, err := through.client().Deploy(t.Context(), versionSpec(base, fmt.Sprint(v)))
			t.Logf("deploy of version %d through %s took %s", v, through.id, time.Since(start).Round(time.Millisecond))
			if err != nil {
				t.Fatalf("deploy version %d through %s with one NATS server down: %v\nstderr:\n%s", v, through.id, err, through.Stderr)
			}
			acked = append(acked, mustVersion(t, res.App, res.Version))
			n1.waitServes(t, "/shop", fmt.Sprintf("VERSION=%d\n", v), convergence)
			n3.waitServes(t, "/shop", fmt.Sprintf("VERSION=%d\n", v), convergence)
		}
	})

	t.Run("RestartedNodeAndServerConverge", func(t *testing.T) {
		if err := f.nats[1].Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		f.start(t, n2) // its first answers must already be the latest version
		status, body, err := n2.Get("/shop")
		if err != nil || status != 200 || !strings.Contains(body, "VERSION=6\n") {
			t.Fatalf("restarted node answers %d %v:\n%s\nwant VERSION=6 at once: a node catches up before it is ready\nstderr:\n%s", status, err, body, n2.Stderr)
		}
		deployed := n2.client()
		res, err := deployed.Deploy(t.Context(), versionSpec(acked[0].Spec, "7"))
		if err != nil {
			t.Fatalf("deploy through the restarted node: %v", err)
		}
		acked = append(acked, mustVersion(t, res.App, res.Version))
		for _, m := range f.nodes {
			m.waitServes(t, "/shop", "VERSION=7\n", convergence)
		}
	})

	t.Run("NoAcknowledgedDeployIsLost", func(t *testing.T) {
		for _, m := range f.nodes {
			app, err := m.client().App(t.Context(), "shop")
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range acked {
				got, ok := app.Version(want.Number)
				if !ok || got.Spec.Env["VERSION"] != want.Spec.Env["VERSION"] {
					t.Errorf("%s: acknowledged version %d (VERSION=%s) is %+v, %v in the stored app", m.id, want.Number, want.Spec.Env["VERSION"], got, ok)
				}
			}
		}
	})

	t.Run("ConcurrentDeploysHaveOneWinner", func(t *testing.T) {
		app, err := n1.client().App(t.Context(), "shop")
		if err != nil {
			t.Fatal(err)
		}
		racers := []*member{n1, n2, n3}
		errs := make([]error, len(racers))
		var wg sync.WaitGroup
		for i, m := range racers {
			wg.Go(func() {
				spec := versionSpec(app.CurrentVersion().Spec, "race-"+m.id)
				_, errs[i] = m.client().DeployIfCurrent(t.Context(), spec, app.Current)
			})
		}
		wg.Wait()
		winner := ""
		for i, err := range errs {
			switch {
			case err == nil && winner != "":
				t.Fatalf("both %s and %s won the race to deploy on top of version %d", winner, racers[i].id, app.Current)
			case err == nil:
				winner = racers[i].id
			case !errors.Is(err, wisp.ErrConflict):
				t.Fatalf("%s lost the race with %v, want an error matching ErrConflict", racers[i].id, err)
			}
		}
		if winner == "" {
			t.Fatalf("no deploy won: %v", errs)
		}
		for _, m := range f.nodes {
			m.waitServes(t, "/shop", "VERSION=race-"+winner+"\n", convergence)
		}
	})

	t.Run("NATSOutageKeepsServing", func(t *testing.T) {
		app, err := n1.client().App(t.Context(), "shop")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range f.nats {
			s.Kill()
		}
		for _, m := range f.nodes {
			m.waitServes(t, "/shop", "VERSION=race-", 5*time.Second)
		}
		_, err = n1.client().Deploy(t.Context(), versionSpec(app.CurrentVersion().Spec, "during-outage"))
		if err == nil || !strings.Contains(err.Error(), "NATS") {
			t.Fatalf("a deploy while NATS is down returned %v; want an error that says NATS is unreachable", err)
		}
		if err := testnode.StartNATS(t.Context(), f.nats); err != nil {
			t.Fatal(err)
		}
		err = testnode.Poll(convergence, func() (bool, error) {
			_, err := n3.client().Deploy(t.Context(), versionSpec(app.CurrentVersion().Spec, "after-outage"))
			return err == nil, nil
		})
		if err != nil {
			t.Fatalf("deploys do not resume when NATS is back: %v", err)
		}
		for _, m := range f.nodes {
			m.waitServes(t, "/shop", "VERSION=after-outage\n", convergence)
		}
		// The in-memory status bucket went with the servers; the nodes'
		// heartbeats make it again.
		var out string
		err = testnode.Poll(convergence, func() (bool, error) {
			out = n2.mustWisp(t, "app", "shop")
			return strings.Count(out, "current") == 3, nil
		})
		if err != nil {
			t.Fatalf("after the outage `wisp app shop` does not list three nodes serving the current version:\n%s", out)
		}
	})
}

// mustVersion returns version n of app.
func mustVersion(t *testing.T, app wisp.App, n int) wisp.Version {
	t.Helper()
	v, ok := app.Version(n)
	if !ok {
		t.Fatalf("the deploy result's app has no version %d", n)
	}
	return v
}
