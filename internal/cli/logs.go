package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
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

that is the time (UTC), the app version, the stream and the message. The
streams are "stderr" (what the guest wrote), "log" (an entry the guest wrote
with the logging service, wasi:logging or the host ABI's log, with its
level), "request" (a served request, with the CPU it used), "error" (the
node's account of a failed request: a trap, a timeout, a CPU limit, bad CGI
output) and "node" (events such as deploys). A message of several lines,
such as a trap's stack trace, continues on lines indented by a tab. With
--follow, keep printing new entries until interrupted. --output json prints
one JSON object per entry and line.

The node keeps the last 1000 entries of each app in memory, since it
started: a restarted node has none of the entries from before.`,
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
	if len(entries) == 0 && v.tail > 0 {
		fmt.Fprintf(v.e.stderr, "no log entries for %s on this node yet (logs are kept in memory since the node started)\n", args[0])
	}
	for _, e := range entries {
		if err := print(e); err != nil {
			return err
		}
	}
	return nil
}

// writeLogEntry writes one entry as a JSON line, or as text: a line, and
// the message's further lines, if any, each indented by a tab, so that an
// entry's lines stay together and the next entry stands out.
func writeLogEntry(w io.Writer, e wisp.LogEntry, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(e)
	}
	msg := strings.TrimRight(e.Message, "\r\n")
	if e.Level != "" { // the logging service (and the node's notes on service calls): level, context, fields
		msg = guestLogText(e, msg)
	}
	first, more, _ := strings.Cut(msg, "\n")
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s %s\n", formatTime(e.Time), formatVersion(e.Version), e.Stream, strings.TrimSuffix(first, "\r"))
	for line := range strings.Lines(more) {
		b.WriteString("\t" + strings.TrimRight(line, "\r\n") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// guestLogText is an entry of the guest's logging service as text:
// "info [context] message key=value ...", fields sorted by key, values
// quoted when they hold a blank, a quote or '='.
func guestLogText(e wisp.LogEntry, msg string) string {
	var b strings.Builder
	b.WriteString(e.Level)
	if e.Context != "" {
		b.WriteString(" [" + e.Context + "]")
	}
	b.WriteString(" " + msg)
	for _, k := range slices.Sorted(maps.Keys(e.Fields)) {
		v := e.Fields[k]
		if v == "" || strings.ContainsAny(v, " \t\"=\n") {
			v = strconv.Quote(v)
		}
		b.WriteString(" " + k + "=" + v)
	}
	return b.String()
}
