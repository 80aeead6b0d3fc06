package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/wisphq/wisp/bench/internal/testbed"
)

// target is the goal: every node serves a deploy within this long of its
// acknowledgement, p99.
const target = time.Second

// render formats the series as the markdown of the "propagation" section.
func render(all []*series, deploys int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s on %s: 3 nats-server processes (one JetStream cluster, file storage, `sync_interval: always`, buckets with 3 replicas) and 3 wisp nodes on loopback, %d deploys per series through node 1. Propagation is from the deploy's acknowledgement to the moment every node's gateway answers with the new version (polled every millisecond per node).\n\n",
		time.Now().UTC().Format("2006-01-02"), testbed.Machine(), deploys)
	b.WriteString("| series | deploy acknowledged (p50) | every node serves it: p50 | p99 | max | target p99 < 1 s |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, s := range all {
		var acks, alls []time.Duration
		for _, smp := range s.samples {
			acks = append(acks, smp.ack)
			alls = append(alls, smp.all())
		}
		p99 := testbed.Percentile(alls, 0.99)
		met := "met"
		if p99 >= target {
			met = "**missed**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", s.name,
			ms(testbed.Percentile(acks, 0.5)), ms(testbed.Percentile(alls, 0.5)), ms(p99), ms(maxOf(alls)), met)
	}
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
