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
		{Stream: "error", Version: 3, Message: "GET /hello: the guest trapped: unreachable\nwasm stack trace:\n\t.main()\n\t._start()\n"},
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
	if err := json.Unmarshal([]byte(lines[1]), &e); err != nil || e.Seq != 5 || e.Message != "rolled back" {
		t.Errorf("last line = %q (%v), want entry 5", lines[1], err)
	}

	if got := n.invoke(t, "logs", "nope").must(t, 1); !strings.Contains(got.stderr, `wisp logs: app "nope" not found`) {
		t.Errorf("stderr = %q", got.stderr)
	}
}

func TestLogsEmpty(t *testing.T) {
	n := newFakeNode(t)
	n.apps["quiet"] = &wisp.App{Name: "quiet", Current: 1}
	got := n.invoke(t, "logs", "quiet").must(t, 0)
	if got.stdout != "" {
		t.Errorf("stdout = %q, want nothing", got.stdout)
	}
	if want := "no log entries for quiet on this node yet (logs are kept in memory since the node started)\n"; got.stderr != want {
		t.Errorf("stderr = %q, want %q", got.stderr, want)
	}
	// --tail 0 asks for no entries: getting none is no news.
	if got := n.invoke(t, "logs", "quiet", "--tail", "0").must(t, 0); got.stderr != "" {
		t.Errorf("--tail 0: stderr = %q, want nothing", got.stderr)
	}
}

func TestWriteLogEntry(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name, message, want string
	}{
		{"one line", "hello", "2026-11-24T10:00:00Z v2 error hello\n"},
		{"trailing newline", "hello\n", "2026-11-24T10:00:00Z v2 error hello\n"},
		{"several lines", "trap\nstack:\n  f()\n", "2026-11-24T10:00:00Z v2 error trap\n\tstack:\n\t  f()\n"},
		{"CRLF", "trap\r\nstack\r\n", "2026-11-24T10:00:00Z v2 error trap\n\tstack\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := writeLogEntry(&b, wisp.LogEntry{Time: t0, Version: 2, Stream: "error", Message: tt.message}, false); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got %q, want %q", b.String(), tt.want)
			}
		})
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
	want := "2026-11-24T10:00:03Z v3 stderr warning: cache cold\n2026-11-24T10:00:04Z - node rolled back\n"
	if got := stdout.buf.String(); got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
}

func TestGuestLogText(t *testing.T) {
	tests := []struct {
		name string
		e    wisp.LogEntry
		want string
	}{
		{"level and message", wisp.LogEntry{Level: "info", Message: "saved"}, "info saved"},
		{"context", wisp.LogEntry{Level: "warn", Context: "db", Message: "slow"}, "warn [db] slow"},
		{"fields sorted, quoted when needed", wisp.LogEntry{Level: "error", Message: "failed",
			Fields: map[string]string{"user": "ana", "err": "no such key", "empty": ""}}, `error failed empty="" err="no such key" user=ana`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := guestLogText(tt.e, tt.e.Message); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
