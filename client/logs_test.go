package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/wisphq/wisp"
)

func entry(seq uint64, msg string) wisp.LogEntry {
	return wisp.LogEntry{Seq: seq, Time: time.Date(2026, 11, 24, 10, 0, int(seq), 0, time.UTC), Stream: "stderr", Version: 3, Message: msg}
}

func TestLogsQuery(t *testing.T) {
	tests := []struct {
		name      string
		tail      int
		after     uint64
		wantQuery url.Values
	}{
		{"node default", -1, 0, url.Values{}},
		{"tail", 10, 0, url.Values{"tail": {"10"}}},
		{"none", 0, 0, url.Values{"tail": {"0"}}},
		{"after", -1, 42, url.Values{"after": {"42"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got url.Values
			c := newServer(t, map[string]http.HandlerFunc{
				"GET /v1/apps/{name}/logs": func(w http.ResponseWriter, r *http.Request) {
					got = r.URL.Query()
					writeJSON(w, 200, map[string]any{"entries": []wisp.LogEntry{entry(43, "hi")}})
				},
			})
			entries, err := c.Logs(t.Context(), "hello", tt.tail, tt.after)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || !reflect.DeepEqual(entries[0], entry(43, "hi")) {
				t.Errorf("Logs() = %+v, want the one entry", entries)
			}
			if got.Encode() != tt.wantQuery.Encode() {
				t.Errorf("query = %q, want %q", got.Encode(), tt.wantQuery.Encode())
			}
		})
	}
}

// followServer streams the given entries as newline-delimited JSON, then
// either ends the stream or waits for the client to go away.
func followServer(t *testing.T, entries []wisp.LogEntry, end bool, gone chan<- struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("follow") != "1" {
			writeError(w, 400, "invalid", "want follow=1")
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		enc := json.NewEncoder(w)
		for _, e := range entries {
			enc.Encode(e)
			w.(http.Flusher).Flush()
		}
		if end {
			return
		}
		<-r.Context().Done()
		if gone != nil {
			close(gone)
		}
	}
}

func TestFollowLogsStopsWhenFnFails(t *testing.T) {
	gone := make(chan struct{})
	entries := []wisp.LogEntry{entry(1, "a"), entry(2, "b"), entry(3, "c")}
	c := newServer(t, map[string]http.HandlerFunc{
		"GET /v1/apps/{name}/logs": followServer(t, entries, false, gone),
	})
	errEnough := errors.New("enough")
	var got []wisp.LogEntry
	err := c.FollowLogs(t.Context(), "hello", 10, func(e wisp.LogEntry) error {
		got = append(got, e)
		if len(got) == 2 {
			return errEnough
		}
		return nil
	})
	if !errors.Is(err, errEnough) {
		t.Fatalf("FollowLogs() error = %v, want fn's error", err)
	}
	if fmt.Sprint(got) != fmt.Sprint(entries[:2]) {
		t.Errorf("fn got %v, want %v", got, entries[:2])
	}
	<-gone // the node saw the client disconnect
}

func TestFollowLogsStopsWithContext(t *testing.T) {
	entries := []wisp.LogEntry{entry(1, "a"), entry(2, "b")}
	c := newServer(t, map[string]http.HandlerFunc{
		"GET /v1/apps/{name}/logs": followServer(t, entries, false, nil),
	})
	ctx, cancel := context.WithCancel(t.Context())
	n := 0
	err := c.FollowLogs(ctx, "hello", 10, func(e wisp.LogEntry) error {
		if n++; n == len(entries) {
			cancel() // the follower is interrupted while waiting for more
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("FollowLogs() error = %v, want context.Canceled", err)
	}
}

func TestFollowLogsEndsWithNode(t *testing.T) {
	entries := []wisp.LogEntry{entry(1, "a")}
	c := newServer(t, map[string]http.HandlerFunc{
		"GET /v1/apps/{name}/logs": followServer(t, entries, true, nil),
	})
	n := 0
	err := c.FollowLogs(t.Context(), "hello", -1, func(wisp.LogEntry) error { n++; return nil })
	if err != nil || n != 1 {
		t.Fatalf("FollowLogs() = %v after %d entries, want nil after 1", err, n)
	}
}

func TestFollowLogsNotFound(t *testing.T) {
	c := newServer(t, map[string]http.HandlerFunc{
		"GET /v1/apps/{name}/logs": func(w http.ResponseWriter, r *http.Request) {
			writeError(w, 404, "not_found", `app "nope" not found`)
		},
	})
	err := c.FollowLogs(t.Context(), "nope", 10, func(wisp.LogEntry) error { return nil })
	if !errors.Is(err, wisp.ErrNotFound) {
		t.Fatalf("FollowLogs() error = %v, want one matching wisp.ErrNotFound", err)
	}
}
