package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/wisphq/wisp"
)

func logsCommand() *command {
	return &command{
		name:    "logs",
		summary: "print an app's recent log, or follow it",
		usage:   []string{"wisp logs NAME [--tail N] [-f] [flags]"},
		description: `
Print the last entries of the app NAME's log, oldest first, one a line:

  2026-11-24T10:00:00Z v3 stderr something the guest wrote to stderr

that is the time (UTC), the app version, the stream ("stderr" for what the
guest wrote, "request" for a served request, "node" for events such as
deploys) and the message. With --follow, keep printing new entries until
interrupted. --output json prints one JSON object per entry and line.

The node keeps the last 1000 entries of each app in memory.`,
		examples: []string{"wisp logs hello", "wisp logs hello -f --tail 0", "wisp logs hello -o json | jq -r .message"},
		// Following runs until interrupted: that is its normal end.
		quietInterrupt: true,
		new:            func(e *env) verb { return &logsVerb{connFlags: connFlags{e: e}} },
	}
}

// logsVerb is `wisp logs`.
type logsVerb struct {
	connFlags
	output outputFlag
	tail   int
	follow bool
}

func (v *logsVerb) flags(fs *flagSet) {
	v.connFlags.register(fs)
	v.output.register(fs)
	fs.IntVar(&v.tail, "tail", 100, "print the last `N` entries; 0 prints none, for following only new ones")
	fs.BoolVar(&v.follow, "follow", false, "keep printing new entries until interrupted")
	fs.alias("f", "follow")
}

func (v *logsVerb) run(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return usagef("want one app NAME, got %d arguments", len(args))
	}
	if v.tail < 0 {
		return usagef("--tail %d is negative; use 0 or more", v.tail)
	}
	c, err := v.client()
	if err != nil {
		return err
	}
	print := func(e wisp.LogEntry) error { return writeLogEntry(v.e.stdout, e, v.output.json()) }
	if v.follow {
		return c.FollowLogs(ctx, args[0], v.tail, print)
	}
	entries, err := c.Logs(ctx, args[0], v.tail, 0)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := print(e); err != nil {
			return err
		}
	}
	return nil
}

// writeLogEntry writes one entry as a text line or a JSON line.
func writeLogEntry(w io.Writer, e wisp.LogEntry, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(e)
	}
	msg := strings.TrimRight(e.Message, "\n")
	_, err := fmt.Fprintf(w, "%s %s %s %s\n", formatTime(e.Time), formatVersion(e.Version), e.Stream, msg)
	return err
}
