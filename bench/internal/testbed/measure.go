// Package testbed holds what Wisp's benchmark tools (bench/compare,
// bench/manyapps, bench/flood) share: a description of the machine for
// their reports, a reader for /proc fields, nearest-rank percentiles and a
// plain HTTP GET.
package testbed

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Machine describes the host: CPU model and count, memory, OS and kernel,
// for example "AMD EPYC, 2 cores; 23.5 GiB RAM; Debian GNU/Linux 12
// (bookworm), amd64, kernel 6.1.0". Facts it cannot read are left out.
func Machine() string {
	cpu := ProcField("/proc/cpuinfo", "model name")
	if cpu == "" {
		cpu = "unknown CPU"
	}
	facts := []string{fmt.Sprintf("%s, %d cores", cpu, runtime.NumCPU())}
	if mem := ProcField("/proc/meminfo", "MemTotal"); mem != "" {
		if kib, err := strconv.ParseInt(strings.TrimSuffix(mem, " kB"), 10, 64); err == nil {
			facts = append(facts, fmt.Sprintf("%.1f GiB RAM", float64(kib)/(1<<20)))
		}
	}
	osName := runtime.GOOS + "/" + runtime.GOARCH
	if pretty := osRelease("PRETTY_NAME"); pretty != "" {
		osName = pretty + ", " + runtime.GOARCH
	}
	if release, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		osName += ", kernel " + strings.TrimSpace(string(release))
	}
	return strings.Join(append(facts, osName), "; ")
}

// ProcField returns the value of the first "key: value" line of a /proc
// file, or "" if there is none.
func ProcField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// osRelease returns a field of /etc/os-release, unquoted, or "".
func osRelease(key string) string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), key+"="); ok {
			if u, err := strconv.Unquote(v); err == nil {
				return u
			}
			return v
		}
	}
	return ""
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 1) of ds,
// or 0 if ds is empty. ds is not modified.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(float64(len(s))*p+0.999999) - 1
	return s[min(max(rank, 0), len(s)-1)]
}

// Get requests url and returns the status and the body.
func Get(ctx context.Context, client *http.Client, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}
