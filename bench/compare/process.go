package main

import (
	"github.com/wisphq/wisp/bench/internal/testbed"

	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is a server the harness started. Its output goes to a log file,
// so the server never blocks on a pipe and the harness spends no CPU
// reading it.
type process struct {
	name    string
	cmd     *exec.Cmd
	started time.Time     // just before exec
	logPath string        // the server's stdout and stderr
	done    chan struct{} // closed when the process has exited
	waitErr error         // set before done is closed
}

// startProcess starts cmd with its output in logPath. The process gets
// its own process group, so a terminal's SIGINT reaches only the harness,
// which stops it, and it is killed if the harness dies first.
func startProcess(name string, cmd *exec.Cmd, logPath string) (*process, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	defer log.Close() // the child has its own copy
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// killGroupOnCancel makes cmd, built with exec.CommandContext, run in a
// process group of its own that is killed as a whole when the context
// ends (`go test` runs the test binary as its child), and be killed if the
// harness dies.
func killGroupOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}

// pid returns the process's id.
func (p *process) pid() int { return p.cmd.Process.Pid }

// exited returns why the process ended, or nil while it runs.
func (p *process) exited() error {
	select {
	case <-p.done:
		if p.waitErr == nil {
			return fmt.Errorf("%s exited", p.name)
		}
		return fmt.Errorf("%s exited: %w", p.name, p.waitErr)
	default:
		return nil
	}
}

// stop ends the process group: SIGTERM, then SIGKILL after a few seconds.
// It returns once the process has been reaped. Safe to call twice.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	syscall.Kill(-p.pid(), syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-p.pid(), syscall.SIGKILL)
		<-p.done
	}
	syscall.Kill(-p.pid(), syscall.SIGKILL) // anything the server itself started
}

// logTail returns the last lines the server printed, for error messages.
func (p *process) logTail() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	const max = 2000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return strings.TrimSpace(string(b))
}

// waitFirstOK requests url until it answers 200 with a body starting with
// wantPrefix and returns how long after the exec that was. It takes 503
// and 404 as "still starting"; it fails if the process exits, if it
// answers any other status or body, or after timeout.
func waitFirstOK(ctx context.Context, p *process, url, wantPrefix string, timeout time.Duration) (time.Duration, error) {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	deadline := p.started.Add(timeout)
	for {
		status, body, err := testbed.Get(ctx, client, url)
		switch {
		case err != nil:
		case status == http.StatusOK && strings.HasPrefix(body, wantPrefix):
			return time.Since(p.started), nil
		case status == http.StatusServiceUnavailable || status == http.StatusNotFound:
			// Starting: Wisp answers 503 until its --deploy apps serve.
			err = fmt.Errorf("it answered %d %q", status, body)
		default:
			return 0, fmt.Errorf("%s answered %s with %d %q, want 200 and a body starting %q\nits log ends:\n%s", p.name, url, status, body, wantPrefix, p.logTail())
		}
		if exit := p.exited(); exit != nil {
			return 0, fmt.Errorf("%w before answering %s\nits log ends:\n%s", exit, url, p.logTail())
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%s did not answer %s within %s: %v\nits log ends:\n%s", p.name, url, timeout, err, p.logTail())
		}
		time.Sleep(time.Millisecond)
	}
}

// freeAddr returns a loopback address with a port nothing listens on now.
// Another process could take it before the server binds it; on a
// benchmark machine that does not happen.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// userHZ is the unit of the CPU times in /proc/PID/stat: USER_HZ, 100 on
// every Linux architecture Go supports.
const userHZ = 100

// cpuTime returns the CPU time process pid has used, user and system, all
// threads.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time: %w (this needs Linux's /proc)", err)
	}
	return parseStatCPU(string(b))
}

// parseStatCPU returns utime+stime of a /proc/PID/stat line.
func parseStatCPU(stat string) (time.Duration, error) {
	// The command name, field 2, is in parentheses and may hold spaces and
	// parentheses itself: count fields from the last ')'.
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("read CPU time: no ')' in /proc/PID/stat %q", stat)
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, fmt.Errorf("read CPU time: /proc/PID/stat has %d fields after the name, want at least 13", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] { // fields 14 and 15: utime and stime
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("read CPU time: field %q: %w", s, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// peakRSS returns the peak resident memory of process pid (VmHWM), in bytes.
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read peak RSS: %w (this needs Linux's /proc)", err)
	}
	defer f.Close()
	return parseVmHWM(f)
}

// parseVmHWM returns the VmHWM of a /proc/PID/status file, in bytes.
func parseVmHWM(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("read peak RSS: line %q: %w", sc.Text(), err)
		}
		return kb << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read peak RSS: %w", err)
	}
	return 0, errors.New("read peak RSS: no VmHWM line in /proc/PID/status (has the process exited?)")
}
