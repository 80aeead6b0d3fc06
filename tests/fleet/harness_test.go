package fleet

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/client"
	"github.com/wisphq/wisp/internal/testnode"
)

// fleet is a running NATS cluster and the wisp nodes joined to it.
type fleet struct {
	nats  []*testnode.NATSServer
	nodes []*member
	extra []string // more `wisp serve` flags for every node
}

// member is one wisp node of the fleet; it keeps its data directory, so
// it can be killed and started again.
type member struct {
	*testnode.Node
	id, data string
}

// startFleet starts a 3-server NATS cluster and n wisp nodes joined to
// it, each with the extra `wisp serve` flags.
func startFleet(t *testing.T, n int, extra ...string) *fleet {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skipping the multi-process fleet test")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	servers, err := testnode.StartNATSCluster(ctx, natsBin, t.TempDir(), 3)
	if err != nil {
		t.Fatal(err)
	}
	f := &fleet{nats: servers, extra: extra}
	t.Cleanup(func() {
		for _, m := range f.nodes {
			if m.Node != nil {
				m.Kill()
			}
		}
		testnode.KillNATS(f.nats)
	})
	for i := range n {
		m := &member{id: "node-" + string(rune('1'+i)), data: t.TempDir()}
		f.nodes = append(f.nodes, m)
		f.start(t, m)
	}
	return f
}

// start (re)starts m's `wisp serve` on its data directory.
func (f *fleet) start(t *testing.T, m *member) {
	t.Helper()
	n, err := testnode.Start(testnode.Options{
		Bin: wispBin, Data: m.data, Dir: repoRoot, StartTimeout: 2 * time.Minute,
		Args: append([]string{"--nats", testnode.NATSURLs(f.nats), "--node-id", m.id}, f.extra...),
	})
	if err != nil {
		t.Fatal(err)
	}
	m.Node = n
}

// client returns an admin API client of m.
func (m *member) client() *client.Client {
	return client.New(m.Admin, m.Token, client.WithDeployTimeout(time.Minute))
}

// mustWisp runs a CLI command against m that must succeed, returning stdout.
// metrics returns the member's Prometheus exposition (GET /metrics).
func (m *member) metrics(t *testing.T) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, m.Admin+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+m.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: GET /metrics: %d %v", m.id, resp.StatusCode, err)
	}
	return string(b)
}

func (m *member) mustWisp(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, err := m.CLI().Output(ctx, args...)
	if err != nil {
		t.Fatalf("%v\nnode %s stderr:\n%s", err, m.id, m.Stderr)
	}
	return out
}

// waitServes polls m's gateway until path answers with a body containing
// want, and fails the test after timeout.
func (m *member) waitServes(t *testing.T, path, want string, timeout time.Duration) {
	t.Helper()
	var last string
	err := testnode.Poll(timeout, func() (bool, error) {
		status, body, err := m.Get(path)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		last = body
		return status == 200 && strings.Contains(body, want), nil
	})
	if err != nil {
		t.Fatalf("%s does not serve %q on %s within %s; last answer:\n%s\nnode stderr:\n%s", m.id, want, path, timeout, last, m.Stderr)
	}
}

// versionSpec is spec with VERSION=v in its environment, so every
// version's answer says which it is.
func versionSpec(spec wisp.AppSpec, v string) wisp.AppSpec {
	spec.Env = map[string]string{"VERSION": v}
	return spec
}
