package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"
)

// appCollector exports the per-app series of an Observer's label sets at
// scrape time: the shards' sums, histograms made cumulative.
type appCollector struct{ o *Observer }

func (c appCollector) Describe(ch chan<- *prometheus.Desc) {
	a := &c.o.app
	for _, d := range []*prometheus.Desc{a.requests, a.duration, a.instanceStart, a.inFlight, a.queued, a.rejections,
		a.bodyBytes, a.responseBytes, a.memoryPeak, a.hostCalls, a.hostErrors, a.cpu, a.fuel, a.cpuStops} {
		ch <- d
	}
}

// Collect sends the series of every label set that has had an
// invocation and is not released. The label sets are listed under the
// Observer's lock and read without it: a scrape never holds up a request.
func (c appCollector) Collect(ch chan<- prometheus.Metric) {
	c.o.versionsMu.Lock()
	live := make([]*versionMetrics, 0, len(c.o.versionsByID))
	for _, v := range c.o.versionsByID {
		if v.set.Load() != nil {
			live = append(live, v)
		}
	}
	c.o.versionsMu.Unlock()
	for _, v := range live {
		if s := v.set.Load(); s != nil {
			c.collect(ch, v, s.sum())
		}
	}
}

// totals are a label set's counts summed over its shards.
type totals struct {
	requests      [len(codeClasses)]uint64
	duration      [len(requestBuckets) + 1]uint64
	durationSum   int64
	start         [len(instanceBuckets) + 1]uint64
	startSum      int64
	inFlight      int64
	queued        int64
	rejections    [len(rejections)]uint64
	bodyBytes     uint64
	responseBytes uint64
	hostCalls     [len(services)][len(hostCallBuckets) + 1]uint64
	hostSums      [len(services)]int64
	hostErrors    [len(services)]uint64
	cpu           int64
	fuel          uint64
	cpuStops      uint64
}

func (s *seriesSet) sum() *totals {
	t := &totals{}
	for i := range s.shards {
		sh := &s.shards[i]
		for j := range sh.requests {
			t.requests[j] += sh.requests[j].Load()
		}
		for j := range sh.duration {
			t.duration[j] += sh.duration[j].Load()
		}
		t.durationSum += sh.durationSum.Load()
		for j := range sh.start {
			t.start[j] += sh.start[j].Load()
		}
		t.startSum += sh.startSum.Load()
		t.inFlight += sh.inFlight.Load()
		t.queued += sh.queued.Load()
		for j := range sh.rejections {
			t.rejections[j] += sh.rejections[j].Load()
		}
		t.bodyBytes += sh.bodyBytes.Load()
		t.responseBytes += sh.responseBytes.Load()
		for k := range sh.hostCalls {
			for j := range sh.hostCalls[k] {
				t.hostCalls[k][j] += sh.hostCalls[k][j].Load()
			}
			t.hostSums[k] += sh.hostSums[k].Load()
			t.hostErrors[k] += sh.hostErrors[k].Load()
		}
		t.cpu += sh.cpu.Load()
		t.fuel += sh.fuel.Load()
		t.cpuStops += sh.cpuStops.Load()
	}
	// A gauge's increment and its decrement may land in different
	// shards, read at different moments: never below zero.
	t.inFlight, t.queued = max(t.inFlight, 0), max(t.queued, 0)
	return t
}

func (c appCollector) collect(ch chan<- prometheus.Metric, v *versionMetrics, t *totals) {
	a, labels := &c.o.app, v.labels
	with := func(extra string) []string { return append(append(make([]string, 0, len(labels)+1), labels...), extra) }
	counter := func(d *prometheus.Desc, n float64, lv []string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, n, lv...)
	}
	gauge := func(d *prometheus.Desc, n float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, n, labels...)
	}
	for i, class := range codeClasses {
		counter(a.requests, float64(t.requests[i]), with(class))
	}
	ch <- histogram(a.duration, t.duration[:], t.durationSum, requestBuckets[:], labels)
	ch <- histogram(a.instanceStart, t.start[:], t.startSum, instanceBuckets[:], labels)
	gauge(a.inFlight, float64(t.inFlight))
	gauge(a.queued, float64(t.queued))
	for i, r := range rejections {
		counter(a.rejections, float64(t.rejections[i]), with(string(r)))
	}
	counter(a.bodyBytes, float64(t.bodyBytes), labels)
	counter(a.responseBytes, float64(t.responseBytes), labels)
	gauge(a.memoryPeak, float64(v.peak.Load()))
	for i, s := range services {
		ch <- histogram(a.hostCalls, t.hostCalls[i][:], t.hostSums[i], hostCallBuckets[:], with(s.String()))
		counter(a.hostErrors, float64(t.hostErrors[i]), with(s.String()))
	}
	counter(a.cpu, float64(t.cpu)/1e9, labels)
	counter(a.fuel, float64(t.fuel), labels)
	counter(a.cpuStops, float64(t.cpuStops), labels)
}

// histogram makes a constant histogram of per-bucket counts (the last past
// the largest bound) and a sum in nanoseconds. Its count is the counts'
// total, so it always matches the +Inf bucket.
func histogram(d *prometheus.Desc, counts []uint64, sumNanos int64, bounds []float64, labels []string) prometheus.Metric {
	buckets := make(map[float64]uint64, len(bounds))
	var cum uint64
	for i, ub := range bounds {
		cum += counts[i]
		buckets[ub] = cum
	}
	cum += counts[len(bounds)]
	return prometheus.MustNewConstHistogram(d, cum, float64(sumNanos)/1e9, buckets, labels...)
}
