package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/wisphq/wisp/internal/didyoumean"
)

// verb is what one command does: the flags it takes and its run.
type verb interface {
	// flags defines the verb's flags on fs.
	flags(fs *flagSet)
	// run runs the verb with its positional arguments, after its flags
	// were parsed. Errors are reported as "wisp VERB: message", with exit
	// code 1 unless they are a usageError or an exitCodeError.
	run(ctx context.Context, args []string) error
}

// command describes one verb for dispatching and help.
type command struct {
	name        string
	summary     string   // one line for `wisp help`
	usage       []string // synopsis lines, such as "wisp rm NAME"
	description string   // paragraphs for `wisp help VERB`
	examples    []string // command lines, with "# comment" lines
	// flagsFirst makes the first positional argument end the flags, so
	// the rest can be handed on (wisp run FILE.wasm ARGS...).
	flagsFirst bool
	// quietInterrupt suppresses "interrupted" when the verb is stopped by
	// a signal, for verbs that run until interrupted (logs --follow).
	quietInterrupt bool
	new            func(e *env) verb
}

// commands returns every verb, in the order `wisp help` lists them.
func commands() []*command {
	return []*command{
		serveCommand(), newCommand(), deployCommand(), appsCommand(), appCommand(), rollbackCommand(), rmCommand(),
		logsCommand(), configCommand(), secretCommand(), kvCommand(), pushCommand(), pullCommand(), runCommand(), callCommand(), versionCommand(),
	}
}

// lookup returns the command called name, or nil.
func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// connectionHelp is the overview's note on how API verbs find the node.
const connectionHelp = `Commands that talk to a node use its admin API at --admin URL, else
$WISP_ADMIN, else http://127.0.0.1:8081, with the token of --token, else
$WISP_TOKEN, else the file .wisp/admin.token of the current directory or
the nearest one above it (where a node started with 'wisp serve --data
.wisp' keeps it). --admin, --token and --output may come
before COMMAND too: wisp --token T apps.`

// printOverview writes the list of verbs.
func (e *env) printOverview(w io.Writer) {
	fmt.Fprint(w, "wisp runs WebAssembly (WASI) modules per HTTP request.\n\n")
	fmt.Fprint(w, "Usage: wisp COMMAND [ARGUMENTS] [FLAGS]\n\nCommands:\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	fmt.Fprintf(tw, "  help\t%s\n", "show help for a command")
	tw.Flush()
	fmt.Fprintf(w, "\n%s\n\nRun 'wisp help COMMAND' (or 'wisp COMMAND -h') for details.\n", connectionHelp)
}

// printHelp writes the help of cmd: usage, description, flags, examples.
func (e *env) printHelp(w io.Writer, cmd *command) {
	for i, u := range cmd.usage {
		lead := "       "
		if i == 0 {
			lead = "Usage: "
		}
		fmt.Fprintln(w, lead+u)
	}
	fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(cmd.description))
	fs := newFlagSet(cmd.name)
	cmd.new(e).flags(fs)
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprint(w, "\nFlags:\n")
		fs.printDefaults(w)
	}
	if len(cmd.examples) > 0 {
		fmt.Fprint(w, "\nExamples:\n")
		for _, ex := range cmd.examples {
			fmt.Fprintf(w, "  %s\n", ex)
		}
	}
}

// help runs `wisp help [VERB]`. Help flags among args are dropped:
// `wisp help -h` is `wisp help`, `wisp help deploy -h` is `wisp help
// deploy`.
func (e *env) help(ctx context.Context, args []string) int {
	args = slices.DeleteFunc(slices.Clone(args), func(a string) bool { return a == "-h" || a == "-help" || a == "--help" })
	switch {
	case len(args) == 0 || args[0] == "help":
		e.printOverview(e.stdout)
		return exitOK
	case len(args) > 1:
		fmt.Fprintf(e.stderr, "wisp help: too many arguments: name one command, as in 'wisp help deploy'\n")
		return exitUsage
	}
	cmd := lookup(args[0])
	if cmd == nil {
		e.unknownVerb(args[0])
		return exitUsage
	}
	e.printHelp(e.stdout, cmd)
	return exitOK
}

// unknownVerb reports a verb that does not exist, suggesting the closest.
func (e *env) unknownVerb(name string) {
	msg := fmt.Sprintf("wisp: unknown command %q", name)
	if s := suggestVerb(name); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	fmt.Fprintf(e.stderr, "%s\nRun 'wisp help' for the list of commands.\n", msg)
}

// synonym returns the verb that does what word does in other tools, for
// suggestions only, or "".
func synonym(word string) string {
	switch word {
	case "ls", "list", "ps":
		return "apps"
	case "status", "show", "info", "inspect", "get", "describe":
		return "app"
	case "remove", "delete", "del", "destroy":
		return "rm"
	case "undo", "revert":
		return "rollback"
	case "up", "ship":
		return "deploy"
	case "start", "node", "server":
		return "serve"
	case "exec", "execute":
		return "run"
	case "tail", "log":
		return "logs"
	case "init", "create", "scaffold", "generate":
		return "new"
	}
	return ""
}

// suggestVerb returns the verb name was probably meant to be, or "".
func suggestVerb(name string) string {
	name = strings.ToLower(strings.TrimLeft(name, "-"))
	if v := synonym(name); v != "" {
		return v
	}
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	names = append(names, "help")
	if slices.Contains(names, name) {
		return name
	}
	if len(name) >= 3 { // a verb's start ("roll") means that verb
		for _, n := range names {
			if strings.HasPrefix(n, name) {
				return n
			}
		}
	}
	// A typo is a few edits away, fewer for short words.
	best, bestDist := "", min(3, max(1, len(name)/2)+1)
	for _, n := range names {
		if d := didyoumean.Distance(name, n); d < bestDist {
			best, bestDist = n, d
		}
	}
	if best == "" && len(name) >= 2 {
		for _, n := range names {
			if strings.HasPrefix(n, name) {
				return n
			}
		}
	}
	return best
}
