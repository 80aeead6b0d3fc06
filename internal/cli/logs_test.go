package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisphq/wisp"
)

// withLogs returns a fake node with app hello and a few log entries.
func withLogs(t *testing.T) *fakeNode {
	n := newFakeNode(t)
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	n.apps["hello"] = &wisp.App{Name: "hello", Current: 3}
	for i, e := range []wisp.LogEntry{
		{Stream: "node", Version: 3, Message: "deployed version 3"},
		{Stream: "request", Version: 3, Message: "GET /hello 200 1.2ms"},
		{Stream: "stderr", Version: 3, Message: "warning: cache cold\n"},
		{Stream: "node", Message: "rolled back"},
	} {
		e.Time = t0.Add(time.Duration(i) * time.Second)
		n.log("hello", e)
	}
	return n
}

func TestLogs(t *testing.T) {
	n := withLogs(t)
	got := n.invoke(t, "logs", "hello").must(t, 0)
	checkGolden(t, "logs/text", got.stdout)

	got = n.invoke(t, "logs", "hello", "--tail", "2", "-o", "json").must(t, 0)
	lines := strings.Split(strings.TrimSpace(got.stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("--tail 2 -o json printed %d lines:\n%s", len(lines), got.stdout)
	}
	var e wisp.LogEntry
	if err := json.Unmarshal([]byte(lines[1]), &e); err != nil || e.Seq != 4 || e.Message != "rolled back" {
		t.Errorf("last line = %q (%v), want entry 4", lines[1], err)
	}

	if got := n.invoke(t, "logs", "nope").must(t, 1); !strings.Contains(got.stderr, `wisp logs: app "nope" not found`) {
		t.Errorf("stderr = %q", got.stderr)
	}
}

// lineWaiter is an io.Writer that tells when it holds a number of lines.
type lineWaiter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	want  int
	ready chan struct{}
}

func (w *lineWaiter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, _ := w.buf.Write(p)
	if strings.Count(w.buf.String(), "\n") == w.want {
		close(w.ready)
	}
	return n, nil
}

func TestLogsFollow(t *testing.T) {
	n := withLogs(t)
	n.holdLogs = true
	stdout := &lineWaiter{want: 2, ready: make(chan struct{})}
	var stderr bytes.Buffer
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"wisp", "logs", "hello", "-f", "--tail", "2", "--admin", n.url, "--token", n.token}, stdout, &stderr)
	}()
	<-stdout.ready
	cancel() // as Ctrl-C does
	if code := <-done; code != exitInterrupted {
		t.Errorf("exit code %d, want %d", code, exitInterrupted)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr = %q, want nothing: stopping a follow is its normal end", stderr.String())
	}
	want := "2026-11-24T10:00:02Z v3 stderr warning: cache cold\n2026-11-24T10:00:03Z - node rolled back\n"
	if got := stdout.buf.String(); got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
}
