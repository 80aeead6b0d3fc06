package wisp

import (
	"sync"
	"time"
)

// LogEntry is one line of an app's log: something the guest wrote to
// stderr, a served request, or a node event about the app.
type LogEntry struct {
	Seq     uint64    `json:"seq"` // increases by one per entry on this node
	Time    time.Time `json:"time"`
	Stream  string    `json:"stream"` // "stderr", "request" or "node"
	Version int       `json:"version,omitempty"`
	Message string    `json:"message"`
}

// DeployResult is what a deploy returns.
type DeployResult struct {
	App       App  `json:"app"`
	Version   int  `json:"version"`   // the version now serving
	Unchanged bool `json:"unchanged"` // the spec equalled the current version; nothing new was stored
}

// logRing keeps the last entries of one app's log in memory, and wakes
// followers when new entries arrive.
type logRing struct {
	mu      sync.Mutex
	entries []LogEntry // ring of cap len(entries)
	next    uint64     // seq of the next entry; entries hold seqs [next-n, next)
	n       int
	notify  chan struct{} // closed and replaced on every append
}

func newLogRing(size int) *logRing {
	return &logRing{entries: make([]LogEntry, size), next: 1, notify: make(chan struct{})}
}

func (l *logRing) append(e LogEntry) {
	l.mu.Lock()
	e.Seq = l.next
	l.entries[int(l.next%uint64(len(l.entries)))] = e
	l.next++
	if l.n < len(l.entries) {
		l.n++
	}
	close(l.notify)
	l.notify = make(chan struct{})
	l.mu.Unlock()
}

// since returns up to max entries with Seq > after (the newest ones if
// more are available), and a channel closed when more arrive.
func (l *logRing) since(after uint64, max int) ([]LogEntry, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	first := l.next - uint64(l.n)
	if after+1 > first {
		first = after + 1
	}
	if max > 0 && l.next-first > uint64(max) {
		first = l.next - uint64(max)
	}
	out := make([]LogEntry, 0, l.next-first)
	for s := first; s < l.next; s++ {
		out = append(out, l.entries[int(s%uint64(len(l.entries)))])
	}
	return out, l.notify
}
