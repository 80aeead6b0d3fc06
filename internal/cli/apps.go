package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wisphq/wisp"
)

func appsCommand() *command {
	return &command{
		name:    "apps",
		summary: "list the apps deployed on a node",
		usage:   []string{"wisp apps [flags]"},
		description: `
List every app of the node, sorted by name: its current version, routes,
module (shortened digest) and when its newest version was deployed.`,
		examples: []string{"wisp apps", "wisp apps --output json | jq -r '.[].name'"},
		new:      func(e *env) verb { return &appsVerb{connFlags: connFlags{e: e}} },
	}
}

// appsVerb is `wisp apps`.
type appsVerb struct {
	connFlags
	output outputFlag
}

func (v *appsVerb) flags(fs *flagSet) {
	v.connFlags.register(fs)
	v.output.register(fs)
}

func (v *appsVerb) run(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q; to see one app, run 'wisp app %s'", args[0], args[0])
	}
	c, err := v.client()
	if err != nil {
		return err
	}
	apps, err := c.Apps(ctx)
	if err != nil {
		return err
	}
	w := v.e.stdout
	if v.output.json() {
		if apps == nil {
			apps = []wisp.App{}
		}
		return writeJSON(w, apps)
	}
	if len(apps) == 0 {
		fmt.Fprintln(w, "no apps deployed yet; deploy one with 'wisp deploy'")
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "NAME\tVERSION\tROUTES\tMODULE\tUPDATED")
	for _, app := range apps {
		cur := app.CurrentVersion()
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", app.Name, app.Current, formatRoutes(cur.Spec.Routes),
			shortDigest(cur.Spec.Module), formatTime(latestDeploy(app)))
	}
	return tw.Flush()
}

func appCommand() *command {
	return &command{
		name:    "app",
		summary: "show an app: its current version, limits and every version",
		usage:   []string{"wisp app NAME [flags]"},
		description: `
Show the app NAME: the module, routes, environment, files and limits of the
version serving traffic, and the list of all its versions, the current one
marked with '*'.

Environment values often hold secrets, so only their names are shown unless
--show-env is given. --output json prints the app as the admin API returns
it, values included.`,
		examples: []string{"wisp app hello", "wisp app hello --show-env", "wisp app hello -o json"},
		new:      func(e *env) verb { return &appVerb{connFlags: connFlags{e: e}} },
	}
}

// appVerb is `wisp app NAME`.
type appVerb struct {
	connFlags
	output  outputFlag
	showEnv bool
}

func (v *appVerb) flags(fs *flagSet) {
	v.connFlags.register(fs)
	v.output.register(fs)
	fs.BoolVar(&v.showEnv, "show-env", false, "show the values of environment variables, not only their names")
}

func (v *appVerb) run(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return usagef("want one app NAME, got %d arguments", len(args))
	}
	c, err := v.client()
	if err != nil {
		return err
	}
	app, err := c.App(ctx, args[0])
	if err != nil {
		return err
	}
	if v.output.json() {
		return writeJSON(v.e.stdout, app)
	}
	if err := printApp(v.e.stdout, app, v.showEnv); err != nil {
		return err
	}
	if u, err := c.AppUsage(ctx, app.Name); err != nil {
		fmt.Fprintf(v.e.stdout, "\n  cpu: unknown (%v)\n", err)
	} else {
		printUsage(v.e.stdout, u)
	}
	nodes, err := c.Nodes(ctx)
	if err != nil { // the app itself was shown; say why the rest is missing
		fmt.Fprintf(v.e.stdout, "\n  nodes: unknown (%v)\n", err)
		return nil
	}
	return printAppNodes(v.e.stdout, app, nodes)
}

// formatCPU formats limits.cpu; a version stored before the limit existed
// has none.
func formatCPU(d wisp.Duration) string {
	if d == 0 {
		return "none"
	}
	return d.String()
}

// printUsage writes the app's CPU use on the node (docs/cpu.md).
func printUsage(w io.Writer, u wisp.AppUsage) {
	fmt.Fprintln(w)
	if u.Requests == 0 {
		fmt.Fprintln(w, "  CPU on this node: no metered requests yet")
		return
	}
	cpu := func(d wisp.Duration) string { return wisp.FormatCPU(time.Duration(d)) }
	fmt.Fprintf(w, "  CPU on this node: %s, %s in all (%d fuel), %d stopped at limits.cpu\n",
		plural(int(u.Requests), "request"), cpu(u.CPU), u.Fuel, u.OverBudget)
	fmt.Fprintf(w, "  CPU per request (latest %d): p50 %s, p90 %s, p99 %s, max %s\n", u.Window, cpu(u.P50), cpu(u.P90), cpu(u.P99), cpu(u.Max))
}

// printAppNodes writes which version of app each node serves.
func printAppNodes(w io.Writer, app wisp.App, nodes []wisp.NodeStatus) error {
	fmt.Fprintln(w)
	tw := newTable(w)
	fmt.Fprintln(tw, "  NODE	SERVING	STATE")
	for _, n := range nodes {
		st, ok := n.Apps[app.Name]
		serving, state := "-", "not serving"
		if st.Serving > 0 {
			serving = strconv.Itoa(st.Serving)
			state = "current"
			if st.Serving != app.Current {
				state = fmt.Sprintf("loading version %d", app.Current)
			}
		}
		switch {
		case st.Failed > 0:
			state = fmt.Sprintf("version %d failed: %s", st.Failed, st.Error)
		case !ok:
			state = fmt.Sprintf("loading version %d", app.Current)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", n.ID, serving, state)
	}
	return tw.Flush()
}

// printApp writes the text form of `wisp app`.
func printApp(w io.Writer, app wisp.App, showEnv bool) error {
	cur := app.CurrentVersion()
	spec := cur.Spec
	tw := newTable(w)
	fmt.Fprintf(tw, "Name:\t%s\n", app.Name)
	fmt.Fprintf(tw, "Version:\t%d (of %d), deployed %s\n", app.Current, len(app.Versions), formatTime(cur.CreatedAt))
	fmt.Fprintf(tw, "Module:\t%s\n", spec.Module)
	writeWorld(tw, cur.World)
	fmt.Fprintf(tw, "Routes:\t%s\n", formatRoutes(spec.Routes))
	writeRows(tw, "Env:", formatEnv(spec.Env, showEnv))
	var files []string
	for _, f := range spec.Files {
		files = append(files, fmt.Sprintf("%s (bundle %s)", f.Mount, shortDigest(f.Bundle)))
	}
	writeRows(tw, "Files:", files)
	if len(spec.KeyValueStores) > 0 {
		fmt.Fprintf(tw, "KV stores:\t%s\n", strings.Join(spec.KeyValueStores, ", "))
	}
	if len(spec.AllowedOutboundHosts) > 0 {
		writeRows(tw, "Outbound:", spec.AllowedOutboundHosts)
	}
	if len(spec.Variables) > 0 {
		writeRows(tw, "Variables:", formatVariables(spec.Variables))
	}
	l := spec.Limits
	fmt.Fprintf(tw, "Limits:\tmemory %s, timeout %s, cpu %s, max body %s, max response %s, max concurrency %d\n",
		l.Memory, l.Timeout, formatCPU(l.CPU), l.MaxBody, l.MaxResponse, l.MaxConcurrency)
	if len(spec.KeyValueStores) > 0 || len(spec.AllowedOutboundHosts) > 0 {
		s := l.WithDefaults() // versions stored before these limits existed
		fmt.Fprintf(tw, "\tkv ops %d, outbound requests %d, outbound bytes %s (per request)\n", s.KVOps, s.OutboundRequests, s.OutboundBytes)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w)
	tw = newTable(w)
	fmt.Fprintln(tw, "  VERSION\tCREATED\tMODULE\tROUTES")
	for _, ver := range app.Versions {
		mark := " "
		if ver.Number == app.Current {
			mark = "*"
		}
		fmt.Fprintf(tw, "%s %d\t%s\t%s\t%s\n", mark, ver.Number, formatTime(ver.CreatedAt), shortDigest(ver.Spec.Module), formatRoutes(ver.Spec.Routes))
	}
	return tw.Flush()
}

// writeWorld writes the world a version targets: its name and kind, and
// for a component its exports, imports (with versions) and notes.
func writeWorld(tw io.Writer, w *wisp.World) {
	if w == nil {
		fmt.Fprintf(tw, "World:\tunknown (deployed before Wisp recorded it)\n")
		return
	}
	name := w.Name
	if name == "" {
		name = "none"
	}
	fmt.Fprintf(tw, "World:\t%s (%s)\n", name, w.Kind)
	if w.Kind == "component" {
		writeRows(tw, "Exports:", w.Exports)
	}
	writeRows(tw, "Imports:", w.Imports)
	if len(w.Notes) > 0 {
		writeRows(tw, "Notes:", w.Notes)
	}
}

// writeRows writes label and the first row on one line, and the other rows
// below it in the same column; "-" if there are none.
func writeRows(tw io.Writer, label string, rows []string) {
	if len(rows) == 0 {
		rows = []string{"-"}
	}
	for i, row := range rows {
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(tw, "%s\t%s\n", label, row)
	}
}

// formatVariables lists declared variables sorted by name, one a row:
// "region (required)", "api_key (secret)", "greeting (default "hi")".
// Values are not part of a version ('wisp config ls APP' shows them).
func formatVariables(vars map[string]wisp.Variable) []string {
	rows := make([]string, 0, len(vars))
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		v := vars[name]
		var notes []string
		if v.Secret {
			notes = append(notes, "secret")
		}
		if v.Required {
			notes = append(notes, "required")
		}
		if v.Default != nil {
			notes = append(notes, "default "+strconv.Quote(*v.Default))
		}
		row := name
		if len(notes) > 0 {
			row += " (" + strings.Join(notes, ", ") + ")"
		}
		rows = append(rows, row)
	}
	return rows
}

// formatEnv lists the variables sorted by name, one a row: names only, or
// NAME=VALUE if showValues (values quoted if they hold blanks or quotes).
func formatEnv(env map[string]string, showValues bool) []string {
	if len(env) == 0 {
		return nil
	}
	keys := slices.Sorted(maps.Keys(env))
	if !showValues {
		return []string{strings.Join(keys, ", ") + " (values hidden; --show-env shows them)"}
	}
	rows := make([]string, len(keys))
	for i, k := range keys {
		value := env[k]
		if value == "" || strings.ContainsAny(value, " \t\r\n\"'\\") || !strconv.CanBackquote(value) {
			value = strconv.Quote(value)
		}
		rows[i] = k + "=" + value
	}
	return rows
}
