package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/bench/internal/report"
	"github.com/wisphq/wisp/bench/internal/testbed"
)

// series is one way of changing the app, measured -deploys times.
type series struct {
	name    string
	module  func(i int) []byte // the module of version i
	samples []sample
}

// sample is one deploy: how long after its acknowledgement each node
// served it.
type sample struct {
	ack     time.Duration   // deploy call to acknowledgement
	perNode []time.Duration // acknowledgement to the node serving it
}

func (s sample) all() time.Duration { return maxOf(s.perNode) }

func run(ctx context.Context, deploys int, write bool) error {
	dir, err := os.MkdirTemp("", "wisp-propagation-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintln(os.Stderr, "building wisp and nats-server, starting 3 NATS servers and 3 wisp nodes...")
	f, err := startFleet(ctx, dir, 3)
	if err != nil {
		return err
	}
	defer f.stop()
	base, err := os.ReadFile(f.root + "/testdata/wasm/printenv.wasm")
	if err != nil {
		return err
	}
	all := []*series{
		{name: "new module", module: func(i int) []byte { return withCustomSection(base, fmt.Sprintf("propagation %d", i)) }},
		{name: "new settings", module: func(int) []byte { return base }},
	}
	version := 0
	for _, s := range all {
		for i := range deploys {
			version++
			smp, err := deployOnce(ctx, f, s.module(version), version)
			if err != nil {
				return fmt.Errorf("%s, deploy %d: %w", s.name, i+1, err)
			}
			s.samples = append(s.samples, smp)
			fmt.Fprintf(os.Stderr, "%s %d/%d: every node serves it %s after the acknowledgement\n", s.name, i+1, deploys, smp.all().Round(time.Microsecond))
		}
	}
	md := render(all, deploys)
	fmt.Print(md)
	if write {
		return report.ReplaceSection(f.root+"/docs/benchmarks.md", "propagation", md)
	}
	return nil
}

// deployOnce uploads module through node 1, deploys it as version v and
// waits until every node serves it.
func deployOnce(ctx context.Context, f *fleet, module []byte, v int) (sample, error) {
	c := f.client(0)
	blob, err := c.PutBlob(ctx, bytes.NewReader(module), int64(len(module)), "")
	if err != nil {
		return sample{}, err
	}
	spec := wisp.AppSpec{
		Name: "prop", Module: blob.Digest, Routes: []wisp.Route{{Path: "/prop"}},
		Env: map[string]string{"VERSION": fmt.Sprint(v)}, Limits: wisp.DefaultLimits,
	}
	start := time.Now()
	if _, err := c.Deploy(ctx, spec); err != nil {
		return sample{}, err
	}
	acked := time.Now()
	smp := sample{ack: acked.Sub(start), perNode: make([]time.Duration, len(f.nodes))}
	want := fmt.Sprintf("VERSION=%d\n", v)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(f.nodes))
	for i, n := range f.nodes {
		wg.Go(func() {
			client := &http.Client{Timeout: 5 * time.Second}
			for {
				status, body, err := testbed.Get(ctx, client, n.Gateway+"/prop")
				if err == nil && status == 200 && strings.Contains(body, want) {
					smp.perNode[i] = time.Since(acked)
					return
				}
				if ctx.Err() != nil {
					errs[i] = fmt.Errorf("node %d does not serve version %d 30s after the acknowledgement (last: %d %v)", i+1, v, status, err)
					return
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return sample{}, err
		}
	}
	return smp, nil
}

// withCustomSection returns module with a custom section named name
// appended: the same code under another digest. (The section has a byte
// of content: wazero v1.12 refuses an empty one at the end of a module.)
func withCustomSection(module []byte, name string) []byte {
	// Wasm's unsigned LEB128 is Go's uvarint.
	body := append(append(binary.AppendUvarint(nil, uint64(len(name))), name...), 1)
	out := append(bytes.Clone(module), 0) // custom section id
	out = binary.AppendUvarint(out, uint64(len(body)))
	return append(out, body...)
}

func maxOf(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}
