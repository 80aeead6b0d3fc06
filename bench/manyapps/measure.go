package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/client"
	"github.com/wisphq/wisp/internal/testnode"
)

// result is everything one run measured.
type result struct {
	cfg     config
	version string // `wisp version`
	when    time.Time

	deployTime time.Duration
	idle       memory     // every app deployed and idle
	idleStats  wisp.Stats // the node's /v1/node stats then

	cold, warm []time.Duration // first and second request to each sampled app
	coldLoads  uint64          // code loads the first requests caused
	afterCold  memory

	restartReady time.Duration // process start to /readyz 200
	restartIdle  memory
	restartFirst []time.Duration
	restartLoads uint64

	fullReady time.Duration // the same with the default --code-cache
	fullIdle  memory
	fullStats wisp.Stats
}

// memory is a process's resident memory, now and at its peak.
type memory struct{ RSS, HWM int64 }

// settle is how long the node is left idle before its memory is read, so
// that the Go runtime has returned what the deploys' garbage held.
const settle = 5 * time.Second

// measure runs the phases described in the package documentation,
// writing progress to progress.
func measure(ctx context.Context, cfg config, root string, progress io.Writer) (*result, error) {
	tmp, err := os.MkdirTemp("", "wisp-manyapps-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bin, err := testnode.BinaryOrBuild(ctx, cfg.bin, root, tmp, progress)
	if err != nil {
		return nil, err
	}
	res := &result{cfg: cfg, when: time.Now().UTC()}
	data := filepath.Join(tmp, "data")
	start := func(codeCache bool) (*testnode.Node, time.Duration, error) {
		args := []string{"--grace", "5s"}
		if codeCache {
			args = append(args, "--code-cache", cfg.codeCache.String())
		}
		began := time.Now()
		n, err := testnode.StartContext(ctx, testnode.Options{
			Bin: bin, Data: data, Dir: root, Args: args,
			StartTimeout: 30 * time.Minute,
			OutputLimit:  64 << 10, // the node logs a line per request and per deploy
		})
		return n, time.Since(began), err
	}

	n, _, err := start(true)
	if err != nil {
		return nil, err
	}
	defer func() { // the node running if measure returns early
		if n != nil {
			n.Kill()
		}
	}()
	if res.version, err = n.CLI().Output(ctx, "version"); err != nil {
		return nil, err
	}
	res.version = strings.TrimSpace(res.version)

	fmt.Fprintf(progress, "deploying %d apps with %d clients...\n", cfg.apps, cfg.deployers)
	began := time.Now()
	if err := deployAll(ctx, n, cfg, progress); err != nil {
		return nil, err
	}
	res.deployTime = time.Since(began)
	if res.idle, res.idleStats, err = idleState(ctx, n); err != nil {
		return nil, err
	}

	fmt.Fprintf(progress, "first and second request to %d apps whose code is not in memory...\n", cfg.sample)
	rng := rand.New(rand.NewPCG(uint64(cfg.seed), 0))
	// After the deploys the code in memory is the last deployed apps'
	// (CLOCK releases in about the order of insertion), so apps are drawn
	// from the earlier ones.
	coldRange := cfg.apps
	if resident := res.idleStats.CodeResident; cfg.apps-2*resident >= cfg.sample {
		coldRange = cfg.apps - 2*resident
	}
	sample := rng.Perm(coldRange)[:cfg.sample]
	if res.cold, res.warm, res.coldLoads, err = firstRequests(ctx, n, sample, true); err != nil {
		return nil, err
	}
	if res.afterCold, err = readMemory(n.PID()); err != nil {
		return nil, err
	}

	fmt.Fprintln(progress, "restarting the node...")
	if err := n.Stop(time.Minute); err != nil {
		return nil, err
	}
	if n, res.restartReady, err = start(true); err != nil {
		return nil, err
	}
	if res.restartIdle, _, err = idleState(ctx, n); err != nil {
		return nil, err
	}
	sample = rng.Perm(cfg.apps)[:cfg.sample]
	if res.restartFirst, _, res.restartLoads, err = firstRequests(ctx, n, sample, false); err != nil {
		return nil, err
	}

	fmt.Fprintln(progress, "restarting with the default --code-cache...")
	if err := n.Stop(time.Minute); err != nil {
		return nil, err
	}
	if n, res.fullReady, err = start(false); err != nil {
		return nil, err
	}
	if res.fullIdle, res.fullStats, err = idleState(ctx, n); err != nil {
		return nil, err
	}
	if err := n.Stop(time.Minute); err != nil {
		return nil, err
	}
	return res, ctx.Err()
}

// deployAll uploads and deploys apps 0 to cfg.apps-1 from cfg.deployers
// clients.
func deployAll(ctx context.Context, n *testnode.Node, cfg config, progress io.Writer) error {
	c := client.New(n.Admin, n.Token)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		done     int
	)
	for range cfg.deployers {
		wg.Go(func() {
			for i := range next {
				err := deployApp(ctx, c, i)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				if done++; done%1000 == 0 {
					fmt.Fprintf(progress, "  %d deployed\n", done)
				}
				mu.Unlock()
			}
		})
	}
	for i := 0; i < cfg.apps && ctx.Err() == nil; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

func deployApp(ctx context.Context, c *client.Client, i int) error {
	wasm := helloModule(appBody(i))
	blob, err := c.PutBlob(ctx, bytes.NewReader(wasm), int64(len(wasm)), "")
	if err != nil {
		return fmt.Errorf("upload %s: %w", appName(i), err)
	}
	route, err := wisp.ParseRoute(appRoute(i))
	if err != nil {
		return err
	}
	if _, err := c.Deploy(ctx, wisp.AppSpec{Name: appName(i), Module: blob.Digest, Routes: []wisp.Route{route}}); err != nil {
		return fmt.Errorf("deploy %s: %w", appName(i), err)
	}
	return nil
}

// idleState leaves the node idle for settle and reads its memory and
// stats.
func idleState(ctx context.Context, n *testnode.Node) (memory, wisp.Stats, error) {
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return memory{}, wisp.Stats{}, ctx.Err()
	}
	mem, err := readMemory(n.PID())
	if err != nil {
		return mem, wisp.Stats{}, err
	}
	stats, err := nodeStats(ctx, n)
	return mem, stats, err
}

// firstRequests requests each app of sample once, one at a time, and
// also a second time right after if twice is set. It checks every answer
// and returns the latencies and how many times the node loaded code from
// disk meanwhile.
func firstRequests(ctx context.Context, n *testnode.Node, sample []int, twice bool) (first, second []time.Duration, loads uint64, err error) {
	before, err := nodeStats(ctx, n)
	if err != nil {
		return nil, nil, 0, err
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 30 * time.Second}
	defer hc.CloseIdleConnections()
	for _, i := range sample {
		d, err := timedGet(ctx, hc, n.Gateway+appRoute(i), appBody(i))
		if err != nil {
			return nil, nil, 0, err
		}
		first = append(first, d)
		if twice {
			if d, err = timedGet(ctx, hc, n.Gateway+appRoute(i), appBody(i)); err != nil {
				return nil, nil, 0, err
			}
			second = append(second, d)
		}
	}
	after, err := nodeStats(ctx, n)
	if err != nil {
		return nil, nil, 0, err
	}
	return first, second, after.CodeLoads - before.CodeLoads, nil
}

// timedGet requests url and checks that it answers 200 with want.
func timedGet(ctx context.Context, hc *http.Client, url, want string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	began := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", url, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(began)
	if err != nil {
		return 0, fmt.Errorf("GET %s: read the body: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK || string(body) != want {
		return 0, fmt.Errorf("GET %s = %d %q, want 200 %q", url, resp.StatusCode, body, want)
	}
	return d, nil
}

// nodeStats reads the stats of GET /v1/node.
func nodeStats(ctx context.Context, n *testnode.Node) (wisp.Stats, error) {
	var answer struct {
		Stats wisp.Stats `json:"stats"`
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.Admin+"/v1/node", nil)
	if err != nil {
		return answer.Stats, err
	}
	req.Header.Set("Authorization", "Bearer "+n.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer.Stats, fmt.Errorf("GET /v1/node: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return answer.Stats, fmt.Errorf("GET /v1/node: status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return answer.Stats, fmt.Errorf("GET /v1/node: %w", err)
	}
	return answer.Stats, nil
}

// readMemory reads VmRSS and VmHWM from /proc/PID/status.
func readMemory(pid int) (memory, error) {
	var m memory
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m, fmt.Errorf("read the node's memory: %w (this needs Linux's /proc)", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), ":")
		var field *int64
		switch key {
		case "VmRSS":
			field = &m.RSS
		case "VmHWM":
			field = &m.HWM
		default:
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB")), 10, 64)
		if err != nil {
			return m, fmt.Errorf("read the node's memory: line %q: %w", sc.Text(), err)
		}
		*field = kb << 10
	}
	if err := sc.Err(); err != nil {
		return m, fmt.Errorf("read the node's memory: %w", err)
	}
	if m.RSS == 0 || m.HWM == 0 {
		return m, fmt.Errorf("read the node's memory: no VmRSS or VmHWM in /proc/%d/status", pid)
	}
	return m, nil
}
