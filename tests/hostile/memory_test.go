package hostile

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/attack"
	"github.com/wisphq/wisp/internal/testnode"
)

// The memory floods run against a node of their own, inside a memory
// cgroup when the machine allows it (as root), the way the attacks that
// found them ran: a container with a memory limit, where a node that takes
// more is killed by the kernel.
const (
	floodCgroup   = 512 << 20
	floodBudget   = floodCgroup / 4 * 3 // what --memory-budget auto picks in that cgroup
	floodDuration = 3 * time.Second
	floodClients  = 150
	// refusalBound is how soon excess work must be refused: a 503 in
	// milliseconds, never a stall. Generous: client and node share two
	// cores with the flood.
	refusalBound = 2 * time.Second
)

// TestMemoryFloods sends each memory attack of internal/attack to a node
// with a memory budget and checks what the attackers got, that the excess
// was refused fast, that a control app kept answering within its normal
// latency, that the node's memory stayed within its budget's ceiling, and
// that the kernel killed nothing.
//
//   - bodies: chunked bodies that never end. They stream into the guest,
//     which holds an instance of its app; past the app's share of the
//     budget, requests are refused. Nothing is buffered whole.
//   - responses: responses nobody reads. The guest's writes wait for the
//     client (back-pressure) and the response is cut at the app's timeout.
//   - over budget: far more instances that fill their memory than the
//     budget holds; one app may hold half of it, the rest is refused.
func TestMemoryFloods(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node and floods it for about 15 s; run without -short")
	}
	s := &suite{data: t.TempDir(), client: &http.Client{Timeout: requestTimeout}}
	args := []string{"--memory-budget", "auto"}
	cg, err := testnode.NewCgroup(fmt.Sprintf("wisp-hostile-%d", os.Getpid()), floodCgroup)
	if err != nil {
		t.Logf("the node runs without a cgroup (%v); the memory bounds are checked all the same", err)
		args = []string{"--memory-budget", wisp.ByteSize(floodBudget).String()}
	} else {
		t.Cleanup(func() {
			if err := cg.Close(); err != nil {
				t.Error(err)
			}
		})
	}
	n, err := testnode.Start(testnode.Options{Bin: wispBin, Data: s.data, Dir: repoRoot, Args: args, Cgroup: cg, OutputLimit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Kill)
	s.n = n
	if cg != nil {
		// Class 3: the budget comes from the cgroup, v1 or v2.
		want := fmt.Sprintf("budget %s: 3/4 of the cgroup", wisp.ByteSize(floodBudget))
		if !strings.Contains(n.Stdout.String(), want) {
			t.Fatalf("serve's banner lacks %q:\n%s", want, n.Stdout)
		}
	}
	s.deploy(t, fixture("version1.wasm"), "--name", "control", "--route", controlRoute, "--memory", "1MiB")
	s.deploy(t, fixture("printenv.wasm"), "--name", "body", "--route", "/body", "--max-body", "64MiB", "--memory", "4MiB", "--timeout", "2s")
	s.deploy(t, fixture("stream.wasm"), "--name", "stream", "--route", "/stream", "--max-response", "1GiB", "--memory", "1MiB", "--timeout", "2s")
	s.deploy(t, fixture("hog.wasm"), "--name", "hog", "--route", "/hog", "--memory", "64MiB")
	if s.base, err = n.Usage(); err != nil {
		t.Fatal(err)
	}
	share := wisp.ByteSize(floodBudget / 2).Approx()
	// The node may hold the budget and a quarter (wisp.MemoryCeiling)
	// above what it held idle; the cgroup kills at a little more.
	bound := s.base.RSS + wisp.MemoryCeiling(floodBudget)

	for _, tc := range []struct {
		name   string
		attack func(ctx context.Context) *attack.Result
		// check asserts what the attackers got and what the attacked
		// app's log says.
		check func(t *testing.T, res *attack.Result)
	}{{
		name: "bodies",
		attack: func(ctx context.Context) *attack.Result {
			return attack.Bodies(ctx, n.Gateway+"/body", floodClients, 4<<20)
		},
		check: func(t *testing.T, res *attack.Result) {
			refusedFast(t, res)
			s.logHas(t, "body", `app "body" holds`, "its share of "+share)
		},
	}, {
		name: "responses",
		attack: func(ctx context.Context) *attack.Result {
			return attack.Readers(ctx, n.Gateway+"/stream?f", floodClients)
		},
		check: func(t *testing.T, res *attack.Result) {
			if res.Count(http.StatusOK) == 0 {
				t.Errorf("no response started: %s", res)
			}
			// The instances blocked on unread responses end at their
			// timeout, their responses cut.
			s.logHas(t, "stream", "response cut after ", "bytes of body: sending the response")
		},
	}, {
		name: "over-budget",
		attack: func(ctx context.Context) *attack.Result {
			return attack.Requests(ctx, n.Gateway+"/hog", floodClients/4)
		},
		check: func(t *testing.T, res *attack.Result) {
			if res.Count(http.StatusOK) == 0 {
				t.Errorf("the hog never ran: %s", res)
			}
			refusedFast(t, res)
			s.logHas(t, "hog", `app "hog" holds`, "its share of "+share)
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), floodDuration)
			defer cancel()
			probe := s.startProbe(2, 20*time.Millisecond)
			res := tc.attack(ctx)
			peak := probe.check(t, tc.name)
			t.Logf("attackers got: %s", res)
			if err := n.Exited(); err != nil {
				t.Fatal(err)
			}
			if peak.RSS > bound {
				t.Errorf("node peak %s; want at most %s (idle %s + ceiling of the %s budget)", peak, wisp.ByteSize(bound).Approx(), wisp.ByteSize(s.base.RSS).Approx(), wisp.ByteSize(floodBudget))
			}
			tc.check(t, res)
			if cg != nil && cg.OOMKills() > 0 {
				t.Fatalf("the kernel's OOM killer killed %d processes in the node's cgroup", cg.OOMKills())
			}
			s.healthy(t)
		})
	}
}

// refusedFast checks that the attack was refused in part, with 503s that
// came quickly.
func refusedFast(t *testing.T, res *attack.Result) {
	t.Helper()
	refused := res.Latencies(http.StatusServiceUnavailable)
	if len(refused) == 0 {
		t.Errorf("nothing was refused: %s", res)
		return
	}
	slowest := max(refused[0], refused[len(refused)-1])
	for _, d := range refused {
		slowest = max(slowest, d)
	}
	if slowest > refusalBound {
		t.Errorf("the slowest of %d refusals took %s; want each within %s", len(refused), slowest, refusalBound)
	}
}

// logHas checks that app's log has a line containing every one of parts.
func (s *suite) logHas(t *testing.T, app string, parts ...string) {
	t.Helper()
	log := s.logs(t, app, 1000)
	for _, line := range strings.Split(log, "\n") {
		found := true
		for _, p := range parts {
			found = found && strings.Contains(line, p)
		}
		if found {
			return
		}
	}
	t.Errorf("the log of app %s has no line with %q:\n%.3000s", app, parts, log)
}
