// Package logwriter batches a process's log lines into few writes.
//
// A node logs one line per request. Written one by one, each line is a
// write(2) of its own: at tens of thousands of requests a second that is
// more CPU than the formatting of the line. A Writer holds the lines and
// writes them out together, at most Delay after the first one it holds
// (nginx's access_log buffer= and flush= do the same). Lines that must
// not wait, a warning or an error, are flushed at once by the slog handler
// Handler returns.
//
// What a Writer holds when the process dies without Close (a crash, a
// SIGKILL) is lost: at most Delay of lines.
package logwriter

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Defaults for New.
const (
	// DefaultDelay is the longest a line waits to be written.
	DefaultDelay = 10 * time.Millisecond
	// DefaultSize is how many bytes are held before they are written at
	// once, whatever their age.
	DefaultSize = 64 << 10
)

// Writer buffers writes to an io.Writer and writes them out in batches: a
// Delay after the first byte it holds, once it holds Size bytes, on Flush
// and on Close. Each Write is kept whole and in order. Safe for
// concurrent use.
type Writer struct {
	w     io.Writer
	delay time.Duration
	size  int

	flushMu sync.Mutex // held while writing to w: batches go out in order

	mu      sync.Mutex
	buf     []byte // what is held
	spare   []byte // the other buffer, swapped in while buf is written
	timer   *time.Timer
	pending bool // the timer is set to flush buf
	closed  bool
	err     error // of a flush by the timer, for the next Flush or Close
}

// New returns a Writer writing to w at most delay after a line arrives, or
// sooner once size bytes are held (0: DefaultDelay and DefaultSize).
func New(w io.Writer, delay time.Duration, size int) *Writer {
	if delay <= 0 {
		delay = DefaultDelay
	}
	if size <= 0 {
		size = DefaultSize
	}
	b := &Writer{w: w, delay: delay, size: size}
	b.timer = time.AfterFunc(time.Hour, b.flushKeepingError)
	b.timer.Stop()
	return b
}

// Write holds p for the next batch. It never fails: an error of the
// underlying writer is returned by the Flush or Close that meets it. After
// Close, p is written at once.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		b.flushMu.Lock()
		defer b.flushMu.Unlock()
		return b.w.Write(p)
	}
	b.buf = append(b.buf, p...)
	full := len(b.buf) >= b.size
	if !full && !b.pending {
		b.pending = true
		b.timer.Reset(b.delay)
	}
	b.mu.Unlock()
	if full {
		b.flushKeepingError()
	}
	return len(p), nil
}

// Flush writes out everything held and returns the underlying writer's
// error, or the first error of a flush since the last Flush (by the timer,
// or by a Write that filled the buffer).
func (b *Writer) Flush() error {
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	err := b.flush()
	b.mu.Lock()
	earlier := b.err
	b.err = nil
	b.mu.Unlock()
	return cmp.Or(earlier, err)
}

// flushKeepingError flushes and keeps the error for the next Flush or
// Close: the timer's and a filling Write's flush, which nobody waits on.
func (b *Writer) flushKeepingError() {
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	if err := b.flush(); err != nil {
		b.mu.Lock()
		b.err = cmp.Or(b.err, err)
		b.mu.Unlock()
	}
}

// flush writes out everything held. Called with b.flushMu held.
func (b *Writer) flush() error {
	b.mu.Lock()
	out := b.buf
	b.buf, b.spare = b.spare[:0], nil
	if b.pending {
		b.pending = false
		b.timer.Stop()
	}
	b.mu.Unlock()
	var err error
	if len(out) > 0 {
		_, err = b.w.Write(out)
	}
	b.keep(out)
	return err
}

// keep makes out the spare buffer again, unless a burst grew it past
// twice the batch size (then it is left to the collector).
func (b *Writer) keep(out []byte) {
	if cap(out) > 2*b.size {
		return
	}
	b.mu.Lock()
	b.spare = out[:0]
	b.mu.Unlock()
}

// Close writes out what is held; later writes go straight through.
func (b *Writer) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return b.Flush()
}

// Handler wraps h, which writes to w, so that a record at level Warn or
// above is written out at once, with every line held before it.
func Handler(h slog.Handler, w *Writer) slog.Handler {
	return flushing{h, w}
}

type flushing struct {
	slog.Handler
	w *Writer
}

func (f flushing) Handle(ctx context.Context, r slog.Record) error {
	err := f.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := f.w.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (f flushing) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushing{f.Handler.WithAttrs(attrs), f.w}
}

func (f flushing) WithGroup(name string) slog.Handler {
	return flushing{f.Handler.WithGroup(name), f.w}
}
