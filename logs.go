package wisp

import (
	"sync"
	"time"
)

// LogEntry is one line of an app's log: something the guest wrote to
// stderr, a served request, or a node event about the app.
type LogEntry struct {
	Seq  uint64    `json:"seq"` // increases by one per entry on this node
	Time time.Time `json:"time"`
	// Stream is "stderr" (a line the guest wrote), "request" (one served
	// request), "error" (why a request failed: trap, timeout, bad output)
	// "log" (an entry written with the logging service) or "node"
	// (deployed, rolled back, removed).
	Stream  string `json:"stream"`
	Version int    `json:"version,omitempty"`
	Message string `json:"message"`
	// Level, Context and Fields are set on entries the guest wrote with
	// the logging service (Stream "log"): "trace" to "critical", the
	// guest's context string, and its key-value fields.
	Level   string            `json:"level,omitempty"`
	Context string            `json:"context,omitempty"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// DeployResult is what a deploy returns.
type DeployResult struct {
	App       App  `json:"app"`
	Version   int  `json:"version"`   // the version now serving
	Unchanged bool `json:"unchanged"` // the spec equalled the current version; nothing new was stored
}

// logRing keeps the last entries of one app's log in memory, and wakes
// followers when new entries arrive. Its memory grows with the entries it
// holds, up to its size: a node with thousands of quiet apps does not hold
// thousands of empty rings.
type logRing struct {
	mu      sync.Mutex
	size    int        // most entries kept
	entries []LogEntry // the entry of seq s is at (s-1) % size; grows to size, then wraps
	next    uint64     // seq of the next entry; entries hold seqs [next-n, next)
	n       int
	notify  chan struct{} // closed on the next append; nil until a follower asks
}

func newLogRing(size int) *logRing {
	return &logRing{size: size, next: 1}
}

func (l *logRing) append(e LogEntry) {
	l.mu.Lock()
	e.Seq = l.next
	if i := int((l.next - 1) % uint64(l.size)); i < len(l.entries) {
		l.entries[i] = e
	} else {
		if len(l.entries) == cap(l.entries) { // grow by doubling, to size at most
			grown := make([]LogEntry, len(l.entries), min(max(2*cap(l.entries), 4), l.size))
			copy(grown, l.entries)
			l.entries = grown
		}
		l.entries = append(l.entries, e)
	}
	l.next++
	if l.n < l.size {
		l.n++
	}
	if l.notify != nil {
		close(l.notify)
		l.notify = nil
	}
	l.mu.Unlock()
}

// wait returns a channel closed on the next append. Called with l.mu held.
func (l *logRing) wait() <-chan struct{} {
	if l.notify == nil {
		l.notify = make(chan struct{})
	}
	return l.notify
}

// since returns up to limit entries (limit <= 0: all kept) with Seq > after,
// the newest ones if more are available, and a channel closed when more
// arrive.
func (l *logRing) since(after uint64, limit int) ([]LogEntry, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if after >= l.next-1 { // nothing newer (also: an after from before a restart)
		return nil, l.wait()
	}
	first := max(l.next-uint64(l.n), after+1)
	if limit > 0 && l.next-first > uint64(limit) {
		first = l.next - uint64(limit)
	}
	out := make([]LogEntry, 0, l.next-first)
	for s := first; s < l.next; s++ {
		out = append(out, l.entries[int((s-1)%uint64(l.size))])
	}
	return out, l.wait()
}

// last returns the Seq of the newest entry, 0 if there is none.
func (l *logRing) last() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.next - 1
}
