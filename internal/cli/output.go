package cli

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wisphq/wisp"
)

// writeJSON writes v as indented JSON, for --output json.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// newTable returns a writer of aligned columns; cells are separated by
// tabs, and the caller flushes it.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}

// shortDigest abbreviates "sha256:<64 hex>" to its first 12 hex digits,
// enough to tell modules apart at a glance.
func shortDigest(d string) string {
	const keep = len("sha256:") + 12
	if len(d) > keep && strings.HasPrefix(d, "sha256:") {
		return d[:keep]
	}
	return d
}

// formatTime formats t in UTC with second precision, as every wisp output
// does: "2026-11-24T10:00:00Z".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// formatRoutes joins routes for display: "/hello, /api/...", or says an
// app has none (it is only invoked by name).
func formatRoutes(routes []wisp.Route) string {
	if len(routes) == 0 {
		return "none (invoked by name only)"
	}
	s := make([]string, len(routes))
	for i, r := range routes {
		s[i] = r.String()
	}
	return strings.Join(s, ", ")
}

// formatVersion formats a log entry's version: "v3", or "-" for entries
// about no version.
func formatVersion(n int) string {
	if n == 0 {
		return "-"
	}
	return "v" + strconv.Itoa(n)
}

// latestDeploy returns when the app's newest version was deployed.
func latestDeploy(app wisp.App) time.Time {
	var t time.Time
	for _, v := range app.Versions {
		if v.CreatedAt.After(t) {
			t = v.CreatedAt
		}
	}
	return t
}

// plural formats a count of things: "1 file", "12 files".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}
