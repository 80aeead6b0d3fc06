package gateway_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
)

// TestStreamedResponses checks each way a response leaves the gateway:
// held and framed with Content-Length when it fits the window, streamed
// (chunked, or with the guest's Content-Length) when it does not, and cut
// (the client sees an incomplete body) when it fails after it started.
func TestStreamedResponses(t *testing.T) {
	srv, _ := newGateway(t, wisp.Limits{MaxResponse: 4 << 20}, "stream=stream.wasm:/stream", "echo=printenv.wasm:/env")
	const mib = 1 << 20
	tests := []struct {
		name           string
		path           string
		wantLength     int64 // the Content-Length header; -1: chunked
		wantBody       int   // bytes the client reads
		wantIncomplete bool  // reading the body fails
	}{
		{"small response held", "/env", -2, -1, false},
		{"large response chunked", "/stream?b", -1, mib, false},
		{"declared length kept", "/stream?l", mib, mib, false},
		{"short of its length: cut", "/stream?s", mib, mib / 2, true},
		{"trap after start: cut", "/stream?t", -1, mib / 2, true},
		{"over max_response: cut", "/stream?f", -1, 4 << 20, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			n, err := io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d; want 200", resp.StatusCode)
			}
			switch {
			case tt.wantLength == -2 && resp.ContentLength <= 0:
				t.Errorf("Content-Length %d; want the exact length of a held response", resp.ContentLength)
			case tt.wantLength >= -1 && resp.ContentLength != tt.wantLength:
				t.Errorf("Content-Length %d; want %d", resp.ContentLength, tt.wantLength)
			}
			if tt.wantIncomplete != (err != nil) {
				t.Errorf("reading the body: %v; want an incomplete body: %v", err, tt.wantIncomplete)
			}
			if tt.wantBody >= 0 && n > int64(tt.wantBody) || !tt.wantIncomplete && tt.wantBody >= 0 && n != int64(tt.wantBody) {
				t.Errorf("read %d body bytes; want %d", n, tt.wantBody)
			}
		})
	}
}

// TestServerSentEvents checks that output reaches the client while the
// guest still runs: the first event arrives long before the guest, which
// sleeps a second between its two events, is done.
func TestServerSentEvents(t *testing.T) {
	srv, _ := newGateway(t, wisp.Limits{}, "stream=stream.wasm:/stream")
	start := time.Now()
	resp, err := http.Get(srv.URL + "/stream?e")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" || resp.ContentLength != -1 {
		t.Fatalf("Content-Type %q, Content-Length %d; want an event stream, chunked", ct, resp.ContentLength)
	}
	br := bufio.NewReader(resp.Body)
	first, err := br.ReadString('\n')
	if err != nil || first != "data: one\n" {
		t.Fatalf("first line %q, %v", first, err)
	}
	firstAt := time.Since(start)
	rest, err := io.ReadAll(br)
	if err != nil || string(rest) != "\ndata: two\n\n" {
		t.Fatalf("rest %q, %v", rest, err)
	}
	// The guest sleeps 1 s between the events: the first cannot have been
	// held until the end if it came at least half of that earlier.
	if gap := time.Since(start) - firstAt; gap < 500*time.Millisecond {
		t.Fatalf("first event after %s, the rest %s later; want the first event sent while the guest sleeps", firstAt, gap)
	}
}

// TestSlowReaderHoldsTheGuest checks back-pressure: a client that reads
// nothing makes the guest's writes wait (the node does not buffer the
// response) until the app's deadline, which cuts the response.
func TestSlowReaderHoldsTheGuest(t *testing.T) {
	srv, node := newGateway(t, wisp.Limits{Timeout: wisp.Duration(time.Second), MaxResponse: 1 << 30}, "stream=stream.wasm:/stream")
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4 << 10)
	io.WriteString(conn, "GET /stream?f HTTP/1.1\r\nHost: wisp\r\n\r\n")
	// Read nothing: the guest must be held back, then stopped at its
	// deadline, with the response cut.
	var line string
	poll(t, 10*time.Second, func() bool {
		line = logLine(node, "stream", "response cut after ")
		return node.Stats().Instances == 0 && line != ""
	})
	var sent int64
	if _, err := fmt.Sscanf(line, "response cut after %d bytes", &sent); err != nil {
		t.Fatalf("log line %q: %v", line, err)
	}
	// What the socket buffers took, a few MiB at most, not the 1 GiB the
	// guest can write in a second.
	if sent > 64<<20 {
		t.Fatalf("%q; want the guest held back by the unread socket", line)
	}
	t.Logf("%s", line)
}

// logLine returns the first line of app's log containing substr, or "".
func logLine(node *wisp.Node, app, substr string) string {
	entries, _, _ := node.Logs(app, 0, 0)
	for _, e := range entries {
		if strings.Contains(e.Message, substr) {
			return e.Message
		}
	}
	return ""
}

// poll calls cond until it is true or timeout passes.
func poll(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", timeout)
		}
	}
}

// TestHeadGetsTheDeclaredLength checks that a HEAD request's answer
// carries the Content-Length the guest declared for its body.
func TestHeadGetsTheDeclaredLength(t *testing.T) {
	srv, _ := newGateway(t, wisp.Limits{}, "stream=stream.wasm:/stream")
	resp, err := http.Head(srv.URL + "/stream?l")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ContentLength != 1<<20 {
		t.Fatalf("HEAD: %d, Content-Length %d; want 200 and the declared 1048576", resp.StatusCode, resp.ContentLength)
	}
}
