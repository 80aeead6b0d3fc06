package wisp

import (
	"testing"
	"time"
)

// TestLogRequestLine pins the request line LogRequest writes to the app's
// log (`wisp logs`): method, path, status, duration rounded to the
// microsecond and, for a metered app, the CPU it used.
func TestLogRequestLine(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method string
		path   string
		status int
		d      time.Duration
		u      Usage
		want   string
	}{
		{"ok", "GET", "/hello", 200, 1234567 * time.Nanosecond, Usage{}, "GET /hello 200 1.235ms"},
		{"error", "POST", "/a/b", 504, 3 * time.Second, Usage{}, "POST /a/b 504 3s"},
		{"client gone", "PUT", "/", 499, 999 * time.Nanosecond, Usage{}, "PUT / 499 1µs"},
		{"instant", "HEAD", "/x", 204, 0, Usage{}, "HEAD /x 204 0s"},
		{"metered", "GET", "/sha", 200, 2 * time.Millisecond, Usage{Fuel: 1_160_000, CPU: Duration(1500 * time.Microsecond)},
			"GET /sha 200 2ms (" + Usage{Fuel: 1_160_000, CPU: Duration(1500 * time.Microsecond)}.String() + ")"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := &Node{stats: newRequestStats(time.Now)}
			d := &deployed{app: "a", logs: newLogRing(4)}
			n.LogRequest(Target{App: "a", d: d}, tc.method, tc.path, tc.status, tc.d, tc.u)
			if len(d.logs.entries) != 1 {
				t.Fatalf("%d log entries, want 1", len(d.logs.entries))
			}
			if e := d.logs.entries[0]; e.Stream != "request" || e.Message != tc.want {
				t.Errorf("log entry %q %q, want %q %q", e.Stream, e.Message, "request", tc.want)
			}
		})
	}
}
