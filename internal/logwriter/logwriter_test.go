package logwriter_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/logwriter"
)

// recorder is an io.Writer keeping each write apart.
type recorder struct {
	mu     sync.Mutex
	writes []string
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.writes...)
}

// waitFor polls until cond holds or a few seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestWriter(t *testing.T) {
	for _, tc := range []struct {
		name  string
		delay time.Duration
		size  int
		lines []string
		act   func(w *logwriter.Writer)
		want  []string // the writes w received, in order
	}{
		{
			name: "lines held are written together by Flush", delay: time.Hour, size: 1 << 10,
			lines: []string{"a\n", "b\n", "c\n"}, act: func(w *logwriter.Writer) { w.Flush() },
			want: []string{"a\nb\nc\n"},
		},
		{
			name: "reaching the size writes at once", delay: time.Hour, size: 4,
			lines: []string{"ab\n", "cd\n", "e\n"}, act: func(*logwriter.Writer) {},
			want: []string{"ab\ncd\n"},
		},
		{
			name: "Close writes what is held and later writes go through", delay: time.Hour, size: 1 << 10,
			lines: []string{"a\n"}, act: func(w *logwriter.Writer) { w.Close(); fmt.Fprint(w, "late\n") },
			want: []string{"a\n", "late\n"},
		},
		{
			name: "Flush with nothing held writes nothing", delay: time.Hour, size: 1 << 10,
			act:  func(w *logwriter.Writer) { w.Flush() },
			want: nil,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec recorder
			w := logwriter.New(&rec, tc.delay, tc.size)
			for _, l := range tc.lines {
				if n, err := w.Write([]byte(l)); n != len(l) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", l, n, err)
				}
			}
			tc.act(w)
			if got := rec.got(); strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("writes %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWriterDelay(t *testing.T) {
	var rec recorder
	w := logwriter.New(&rec, 5*time.Millisecond, 1<<20)
	defer w.Close()
	fmt.Fprint(w, "one\n")
	fmt.Fprint(w, "two\n")
	waitFor(t, "the held lines to be written", func() bool { return len(rec.got()) == 1 })
	if got := rec.got(); got[0] != "one\ntwo\n" {
		t.Fatalf("first batch %q", got[0])
	}
	fmt.Fprint(w, "three\n") // the timer is set again for a new line
	waitFor(t, "the next line to be written", func() bool { return len(rec.got()) == 2 })
}

// TestWriterConcurrent writes from many goroutines: every line arrives
// whole, each goroutine's in its order.
func TestWriterConcurrent(t *testing.T) {
	var out bytes.Buffer
	w := logwriter.New(&out, time.Millisecond, 256)
	const writers, lines = 8, 500
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				fmt.Fprintf(w, "g%d line %d\n", g, i)
			}
		}()
	}
	wg.Wait()
	w.Close()
	next := make([]int, writers)
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("%d lines, want %d", len(got), writers*lines)
	}
	for _, l := range got {
		var g, i int
		if _, err := fmt.Sscanf(l, "g%d line %d", &g, &i); err != nil || i != next[g] {
			t.Fatalf("line %q out of order or torn (want g%d line %d)", l, g, next[g])
		}
		next[g]++
	}
}

func TestHandlerFlushesWarnings(t *testing.T) {
	var rec recorder
	w := logwriter.New(&rec, time.Hour, 1<<20)
	log := slog.New(logwriter.Handler(slog.NewTextHandler(w, nil), w)).With("node", "n1")
	log.Info("request", "status", 200)
	if got := rec.got(); len(got) != 0 {
		t.Fatalf("an info line was written before its time: %q", got)
	}
	log.Warn("request", "status", 504)
	got := rec.got()
	if len(got) != 1 || !strings.Contains(got[0], "status=200") || !strings.Contains(got[0], "node=n1 status=504") {
		t.Fatalf("after a warning the writes are %q, want both lines in one", got)
	}
}

// failing fails every write, and counts them.
type failing struct{ calls *atomic.Int32 }

func (f failing) Write([]byte) (int, error) {
	f.calls.Add(1)
	return 0, errors.New("disk full")
}

// TestWriterKeepsErrors: a write error met by a flush nobody waits on
// (the timer's, a Write filling the buffer) is returned by the next
// Flush, once.
func TestWriterKeepsErrors(t *testing.T) {
	w := logwriter.New(failing{&atomic.Int32{}}, time.Hour, 4)
	if _, err := w.Write([]byte("12345\n")); err != nil {
		t.Fatalf("Write: %v, want nil (the error waits for Flush)", err)
	}
	if err := w.Flush(); err == nil || err.Error() != "disk full" {
		t.Fatalf("Flush after a failed flush: %v, want disk full", err)
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("second Flush, nothing held: %v, want nil", err)
	}
	f := failing{&atomic.Int32{}}
	w2 := logwriter.New(f, time.Millisecond, 1<<10)
	fmt.Fprint(w2, "x\n")
	waitFor(t, "the timer's flush", func() bool { return f.calls.Load() > 0 })
	if err := w2.Close(); err == nil {
		t.Fatal("Close after the timer's failed flush: nil, want its error")
	}
}
