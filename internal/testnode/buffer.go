package testnode

import "sync"

// Buffer collects what a process prints and is safe for concurrent use:
// the process writes to it while a test reads it. The zero value keeps
// everything; a Node's buffers keep only the tail when
// Options.OutputLimit is set.
type Buffer struct {
	mu  sync.Mutex
	max int // if above 0, keep only the last max bytes
	b   []byte
}

// Write appends p, dropping the oldest bytes beyond the buffer's limit.
// It never fails.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b = append(b.b, p...)
	if over := len(b.b) - b.max; b.max > 0 && over > 0 {
		b.b = append(b.b[:0], b.b[over:]...)
	}
	return len(p), nil
}

// String returns what the buffer holds: everything written so far, or its
// last bytes if it has a limit.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.b)
}
