package client

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/wisphq/wisp"
)

// Logs returns the app's log entries with a sequence number above after,
// oldest first: the last tail of them, or the node's default number (100)
// when tail is below zero. The node keeps the last 1000 entries per app in
// memory.
func (c *Client) Logs(ctx context.Context, name string, tail int, after uint64) ([]wisp.LogEntry, error) {
	var answer struct {
		Entries []wisp.LogEntry `json:"entries"`
	}
	if err := c.call(ctx, c.get(appPath(name)+"/logs", logsQuery(tail, after, false)), &answer); err != nil {
		return nil, err
	}
	return answer.Entries, nil
}

// maxLogLine caps one line of a followed log stream.
const maxLogLine = 1 << 20

// FollowLogs calls fn with the app's last tail log entries (the node's
// default number when tail is below zero) and then with every new entry as
// the node logs it, oldest first, until ctx ends, fn returns an error or
// the node ends the stream.
//
// It returns fn's error if fn returned one, ctx's error if ctx ended, and
// nil if the node ended the stream cleanly (for example because it is
// shutting down). The stream has no overall timeout. fn is called from the
// calling goroutine.
func (c *Client) FollowLogs(ctx context.Context, name string, tail int, fn func(wisp.LogEntry) error) error {
	req := request{method: "GET", path: appPath(name) + "/logs", query: logsQuery(tail, 0, true)}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the stream if fn fails
	resp, err := c.do(ctx, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), maxLogLine)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue // keep-alive
		}
		var entry wisp.LogEntry
		if err := json.Unmarshal(line, &entry); err != nil {
			return fmt.Errorf("follow logs of %q: the node sent a line that is not a log entry (%w); is %s a Wisp admin API of a compatible version?", name, err, c.base)
		}
		if err := fn(entry); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("follow logs of %q: the stream from %s broke: %w", name, c.base, err)
	}
	return nil
}

// logsQuery encodes the query of the logs endpoint.
func logsQuery(tail int, after uint64, follow bool) string {
	q := url.Values{}
	if tail >= 0 {
		q.Set("tail", strconv.Itoa(tail))
	}
	if after > 0 {
		q.Set("after", strconv.FormatUint(after, 10))
	}
	if follow {
		q.Set("follow", "1")
	}
	return q.Encode()
}
