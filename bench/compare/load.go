package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuSample is a moment's CPU accounting: the whole machine's, from
// /proc/stat, and the harness's own and that of its reaped children
// (servers, wrk, go test), from getrusage.
type cpuSample struct {
	busy, total time.Duration // all cores: time not idle, and all time
	ours        time.Duration // the harness and its reaped children
}

// sampleCPU reads the machine's and the harness's CPU time.
func sampleCPU() (cpuSample, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuSample{}, fmt.Errorf("read CPU accounting: %w (this needs Linux's /proc)", err)
	}
	s, err := parseProcStat(string(b))
	if err != nil {
		return s, err
	}
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err != nil {
			return s, fmt.Errorf("read CPU accounting: getrusage: %w", err)
		}
		s.ours += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return s, nil
}

// parseProcStat reads the "cpu" line of /proc/stat: user nice system idle
// iowait irq softirq steal..., in USER_HZ ticks. Idle and iowait are idle.
func parseProcStat(stat string) (cpuSample, error) {
	var s cpuSample
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return s, fmt.Errorf("read CPU accounting: first line of /proc/stat %q is not the cpu line", line)
	}
	for i, v := range f[1:9] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return s, fmt.Errorf("read CPU accounting: /proc/stat field %q: %w", v, err)
		}
		d := time.Duration(n) * time.Second / userHZ
		s.total += d
		if i != 3 && i != 4 { // idle, iowait
			s.busy += d
		}
	}
	return s, nil
}

// otherLoad returns the share of the machine's CPU time between two
// samples that went to processes other than the harness and its children:
// other users of the machine, whose work makes the figures noisier. Every
// child must have been reaped by the time of the second sample.
func otherLoad(from, to cpuSample) float64 {
	total := to.total - from.total
	if total <= 0 {
		return 0
	}
	other := (to.busy - from.busy) - (to.ours - from.ours)
	return max(0, float64(other)/float64(total))
}
