package main

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what one wrk run reports.
type wrkResult struct {
	Requests     int64         // completed requests
	Elapsed      time.Duration // the run's length as wrk measured it
	PerSecond    float64       // Requests/sec
	P50, P99     time.Duration // latency percentiles
	Non2xx       int64         // answers other than 2xx and 3xx
	SocketErrors int64         // connect, read, write and timeout errors
}

// failed returns the number of failed requests.
func (w wrkResult) failed() int64 { return w.Non2xx + w.SocketErrors }

// runWrk loads url with conns keep-alive connections for d and returns
// wrk's figures. wrk gets min(conns, 2) threads: the machine is small and
// the servers need the CPU. A request not answered in 10s is a timeout.
func runWrk(ctx context.Context, wrk, url string, conns int, d time.Duration) (wrkResult, error) {
	args := []string{
		"-t", strconv.Itoa(min(conns, 2)), "-c", strconv.Itoa(conns),
		"-d", fmt.Sprintf("%ds", int(d/time.Second)), "--timeout", "10s", "--latency", url,
	}
	cmd := exec.CommandContext(ctx, wrk, args...)
	killGroupOnCancel(cmd)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	res, err := parseWrk(string(out))
	if err != nil {
		return res, fmt.Errorf("wrk %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return res, nil
}

var (
	wrkTotal   = regexp.MustCompile(`(?m)^\s*(\d+) requests in ([\d.]+\w+),`)
	wrkRate    = regexp.MustCompile(`(?m)^Requests/sec:\s+([\d.]+)`)
	wrkPercent = regexp.MustCompile(`(?m)^\s+(50|99)(?:\.0+)?%\s+([\d.]+\w+)\s*$`)
	wrkNon2xx  = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses: (\d+)`)
	wrkSocket  = regexp.MustCompile(`(?m)^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// parseWrk reads the text wrk 4 prints with --latency.
func parseWrk(out string) (wrkResult, error) {
	var res wrkResult
	m := wrkTotal.FindStringSubmatch(out)
	if m == nil {
		return res, fmt.Errorf("no %q line in wrk's output", "N requests in T")
	}
	res.Requests, _ = strconv.ParseInt(m[1], 10, 64)
	var err error
	if res.Elapsed, err = parseWrkDuration(m[2]); err != nil {
		return res, err
	}
	m = wrkRate.FindStringSubmatch(out)
	if m == nil {
		return res, fmt.Errorf("no %q line in wrk's output", "Requests/sec:")
	}
	res.PerSecond, _ = strconv.ParseFloat(m[1], 64)
	found := 0
	for _, m := range wrkPercent.FindAllStringSubmatch(out, -1) {
		d, err := parseWrkDuration(m[2])
		if err != nil {
			return res, err
		}
		if m[1] == "50" {
			res.P50 = d
		} else {
			res.P99 = d
		}
		found++
	}
	if found != 2 && res.Requests > 0 {
		return res, fmt.Errorf("no 50%% and 99%% lines in wrk's output; was it run with --latency?")
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		res.Non2xx, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := wrkSocket.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.ParseInt(s, 10, 64)
			res.SocketErrors += n
		}
	}
	return res, nil
}

// parseWrkDuration parses a duration as wrk prints it: "254.00us",
// "1.94ms", "10.00s", "1.00m", "2.00h".
func parseWrkDuration(s string) (time.Duration, error) {
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}} {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(num, 64)
			if err != nil {
				break
			}
			return time.Duration(f * float64(u.unit)), nil
		}
	}
	return 0, fmt.Errorf("wrk duration %q: want a number and one of us, ms, s, m, h", s)
}
