package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/wisphq/wisp/client"
	"github.com/wisphq/wisp/internal/testnode"
)

// fleet is the NATS cluster and the wisp nodes under measurement.
type fleet struct {
	root  string
	nats  []*testnode.NATSServer
	nodes []*testnode.Node
}

// startFleet builds the binaries into dir and starts 3 NATS servers and n
// wisp nodes joined to them.
func startFleet(ctx context.Context, dir string, n int) (*fleet, error) {
	root, err := testnode.Root()
	if err != nil {
		return nil, err
	}
	wispBin, err := testnode.BuildContext(ctx, root, dir)
	if err != nil {
		return nil, err
	}
	natsBin, err := testnode.BuildNATS(ctx, root, dir)
	if err != nil {
		return nil, err
	}
	f := &fleet{root: root}
	if f.nats, err = testnode.StartNATSCluster(ctx, natsBin, filepath.Join(dir, "nats"), 3); err != nil {
		return nil, err
	}
	for i := range n {
		data := filepath.Join(dir, fmt.Sprintf("node-%d", i+1))
		node, err := testnode.StartContext(ctx, testnode.Options{
			Bin: wispBin, Data: data, Dir: root, OutputLimit: 1 << 20,
			Args: []string{"--nats", testnode.NATSURLs(f.nats), "--node-id", fmt.Sprintf("node-%d", i+1), "--log-level", "warn"},
		})
		if err != nil {
			f.stop()
			return nil, err
		}
		f.nodes = append(f.nodes, node)
	}
	return f, nil
}

func (f *fleet) stop() {
	for _, n := range f.nodes {
		n.Kill()
	}
	testnode.KillNATS(f.nats)
}

// client returns an admin API client of node i.
func (f *fleet) client(i int) *client.Client {
	return client.New(f.nodes[i].Admin, f.nodes[i].Token)
}
