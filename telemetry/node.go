package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wisphq/wisp"
)

// NodeCollector returns a collector of a node's figures read at scrape
// time (wisp.Node.Stats and Budgets): running instances and their limit,
// the memory budget and what is reserved of it, and the compiled-code
// cache. Register
// it on the registry the node's Observer uses.
func NodeCollector(node *wisp.Node) prometheus.Collector {
	return &nodeCollector{node: node}
}

type nodeCollector struct{ node *wisp.Node }

// The node's families: name, help, and whether it is a counter.
var nodeFamilies = []struct {
	name, help string
	counter    bool
	value      func(wisp.Stats, wisp.Budgets) float64
}{
	{"wisp_instances_running", "Instances running now, across all apps.", false, func(s wisp.Stats, _ wisp.Budgets) float64 { return float64(s.Instances) }},
	{"wisp_instances_limit", "Instances that may run at once (wisp serve --max-instances).", false, func(_ wisp.Stats, b wisp.Budgets) float64 { return float64(b.MaxInstances) }},
	{"wisp_memory_budget_bytes", "The node's memory budget (wisp serve --memory-budget); 0: none.", false, func(_ wisp.Stats, b wisp.Budgets) float64 { return float64(b.MemoryBudget) }},
	{"wisp_memory_reserved_bytes", "Memory of the budget reserved now by running instances (their limits.memory) and held request buffers.", false, func(s wisp.Stats, _ wisp.Budgets) float64 { return float64(s.MemoryReserved) }},
	{"wisp_code_cache_bytes", "Estimated size of the compiled code in memory.", false, func(s wisp.Stats, _ wisp.Budgets) float64 { return float64(s.CodeBytes) }},
	{"wisp_code_cache_budget_bytes", "Compiled code kept in memory at most (wisp serve --code-cache); 0: no limit.", false, func(_ wisp.Stats, b wisp.Budgets) float64 { return float64(b.CodeCache) }},
	{"wisp_code_cache_modules", "Compiled modules of the apps on this node.", false, func(s wisp.Stats, _ wisp.Budgets) float64 { return float64(s.CodeModules) }},
	{"wisp_code_cache_resident_modules", "Compiled modules whose code is in memory now.", false, func(s wisp.Stats, _ wisp.Budgets) float64 { return float64(s.CodeResident) }},
	{"wisp_code_cache_hits_total", "Runs that found their module's code in memory.", true, func(s wisp.Stats, _ wisp.Budgets) float64 { return float64(s.CodeHits) }},
	{"wisp_code_cache_misses_total", "Runs that found their module's code released and waited for it to load.", true, func(s wisp.Stats, _ wisp.Budgets) float64 { return float64(s.CodeMisses) }},
	{"wisp_code_cache_loads_total", "Loads of released code from the disk cache (concurrent misses share one).", true, func(s wisp.Stats, _ wisp.Budgets) float64 { return float64(s.CodeLoads) }},
	{"wisp_code_cache_evictions_total", "Modules whose code was released to stay within the code cache budget.", true, func(s wisp.Stats, _ wisp.Budgets) float64 { return float64(s.CodeEvictions) }},
}

func (c *nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range nodeFamilies {
		ch <- prometheus.NewDesc(f.name, f.help, nil, nil)
	}
}

func (c *nodeCollector) Collect(ch chan<- prometheus.Metric) {
	s, b := c.node.Stats(), c.node.Budgets()
	for _, f := range nodeFamilies {
		kind := prometheus.GaugeValue
		if f.counter {
			kind = prometheus.CounterValue
		}
		ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(f.name, f.help, nil, nil), kind, f.value(s, b))
	}
}
