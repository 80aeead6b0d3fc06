package cli

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/didyoumean"
)

// flagSet is a verb's flag.FlagSet plus the one-letter aliases of its long
// flags, so help can print "-f, --follow" on one line.
type flagSet struct {
	*flag.FlagSet
	short map[string]string // long name -> its one-letter alias
}

// newFlagSet returns an empty flag set for the verb. It never prints
// anything itself: the dispatcher reports parse errors and help.
func newFlagSet(verb string) *flagSet {
	fs := flag.NewFlagSet("wisp "+verb, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, short: map[string]string{}}
}

// alias makes -short another name of the already defined flag long.
func (fs *flagSet) alias(short, long string) {
	f := fs.Lookup(long)
	fs.Var(f.Value, short, f.Usage)
	fs.short[long] = short
}

// parse parses args. With interspersed, flags may follow positional
// arguments ("deploy app.wasm --name hi"), and "--" ends the flags;
// without, the first positional argument ends them ("run app.wasm -v"
// hands -v to the guest). It returns the positional arguments. Errors:
// those of flag.FlagSet.Parse, except that a flag fs does not define is an
// *unknownFlagError suggesting the flag probably meant.
func (fs *flagSet) parse(args []string, interspersed bool) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if name := undefinedFlag(err); name != "" {
				return nil, &unknownFlagError{err: err, name: name, suggestion: fs.suggest(name)}
			}
			return nil, err
		}
		rest := fs.Args()
		consumed := args[:len(args)-len(rest)]
		if !interspersed || len(rest) == 0 || len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// unknownFlagError is an error of parse: a flag the flag set does not
// define, with the one it probably meant.
type unknownFlagError struct {
	err        error  // the flag package's error
	name       string // the flag as typed, without its dashes
	suggestion string // a flag with its dashes, or ""
}

// Error is the flag package's message, with the flag as the CLI spells
// flags, and the suggestion: "flag provided but not defined: --listn; did
// you mean --listen?".
func (u *unknownFlagError) Error() string {
	dashes := "--"
	if len(u.name) == 1 {
		dashes = "-"
	}
	msg := "flag provided but not defined: " + dashes + u.name
	if u.suggestion == "" {
		return msg
	}
	return msg + "; did you mean " + u.suggestion + "?"
}

func (u *unknownFlagError) Unwrap() error { return u.err }

// undefinedFlag returns the name of the flag an error of Parse says is not
// defined, as typed without its dashes ("listn"), or "" for other errors.
func undefinedFlag(err error) string {
	name, _ := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if name == err.Error() {
		return ""
	}
	return name
}

// suggest returns the flag of fs that name (typed without its dashes)
// probably meant, with its dashes ("--listen", "-o"), or "" when none is
// close: the flag spelt in another case or with "_" for "-"
// ("--Max_Instances"), one a few edits away (a swap of two adjacent
// letters counting as one), the only one name begins
// ("--mem" for --memory-budget), or the longest one that begins name and a
// "-" ("--data-dir" for --data).
func (fs *flagSet) suggest(name string) string {
	want := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	if want == "" {
		return ""
	}
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) }) // in lexical order
	dashed := func(n string) string {
		if len(n) == 1 {
			return "-" + n
		}
		return "--" + n
	}
	if slices.Contains(names, want) {
		return dashed(want)
	}
	// A typo is a few edits away, fewer for short words.
	best, bestDist := "", min(3, max(1, len(want)/2)+1)
	for _, n := range names {
		d := didyoumean.Distance(want, n)
		if isTransposition(want, n) {
			d = 1 // "dri" for "dir": two edits, one slip of the fingers
		}
		if len(n) > 1 && d < bestDist {
			best, bestDist = n, d
		}
	}
	if best != "" {
		return dashed(best)
	}
	var starts []string
	for _, n := range names {
		if len(want) >= 3 && strings.HasPrefix(n, want) {
			starts = append(starts, n)
		}
		if len(n) > 1 && strings.HasPrefix(want, n+"-") && len(n) > len(best) {
			best = n
		}
	}
	switch {
	case len(starts) == 1:
		return dashed(starts[0])
	case best != "":
		return dashed(best)
	}
	return ""
}

// isTransposition reports whether a is b with two adjacent bytes swapped.
func isTransposition(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
}

// helpWidth is the width help text is wrapped to.
const helpWidth = 80

// printDefaults writes the flags sorted by name, long names with two
// dashes, descriptions wrapped in a column:
//
//	-f, --follow    keep printing new entries until interrupted
//	    --tail N    print the last N entries (default 100)
func (fs *flagSet) printDefaults(w io.Writer) {
	aliases := map[string]bool{}
	for _, s := range fs.short {
		aliases[s] = true
	}
	type row struct{ spec, usage string }
	var rows []row
	width := 0
	fs.VisitAll(func(f *flag.Flag) { // in lexical order
		if aliases[f.Name] {
			return
		}
		arg, usage := flag.UnquoteUsage(f)
		if _, isBool := f.Value.(interface{ IsBoolFlag() bool }); isBool {
			arg = ""
		}
		spec := "    --" + f.Name
		if len(f.Name) == 1 {
			spec = "-" + f.Name // a flag with only a one-letter name
		} else if s, ok := fs.short[f.Name]; ok {
			spec = "-" + s + ", --" + f.Name
		}
		if arg != "" {
			spec += " " + arg
		}
		if d := f.DefValue; d != "" && d != "false" && d != "0" {
			usage += " (default " + d + ")"
		}
		rows = append(rows, row{spec, usage})
		width = max(width, len(spec))
	})
	for _, r := range rows {
		indent := 2 + width + 2
		lines := wrap(r.usage, max(helpWidth-indent, 30))
		fmt.Fprintf(w, "  %-*s  %s\n", width, r.spec, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "%*s%s\n", indent, "", l)
		}
	}
}

// wrap splits text into lines of at most width bytes, breaking at spaces
// (a longer word gets a line of its own).
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return append(lines, line)
}

// stringList is a repeatable flag collecting every value given, in order.
type stringList []string

func (s *stringList) String() string {
	if s == nil {
		return ""
	}
	return strings.Join(*s, ",")
}

// Set appends v.
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// routesFlag is a repeatable --route.
type routesFlag []wisp.Route

func (r *routesFlag) String() string {
	if r == nil {
		return ""
	}
	var s []string
	for _, route := range *r {
		s = append(s, route.String())
	}
	return strings.Join(s, ",")
}

// Set parses v with wisp.ParseRoute, after checkRouteStart.
func (r *routesFlag) Set(v string) error {
	if err := checkRouteStart(v); err != nil {
		return err
	}
	route, err := wisp.ParseRoute(v)
	if err != nil {
		return err
	}
	*r = append(*r, route)
	return nil
}

// checkRouteStart explains a route with no "/" at all, such as "hello",
// which is far more often a path without its leading "/" than a host
// without its path (wisp.ParseRoute reads it as the latter): `routes start
// with "/"; did you mean "/hello"?` (the flag package names the value
// before it). When the route
// looks like a host ("example.com"), the suggestion offers the host's
// every path first. Errors: only for such a route; nil for every other,
// which wisp.ParseRoute judges.
func checkRouteStart(v string) error {
	s := strings.TrimSpace(v)
	if s == "" || strings.Contains(s, "/") {
		return nil
	}
	if rest, ok := strings.CutSuffix(s, "..."); ok { // "api..." meant "/api/..."
		return fmt.Errorf("routes start with \"/\"; did you mean %q?", strings.TrimSuffix("/"+rest, "/")+wisp.PrefixSuffix)
	}
	if strings.Contains(s, ".") {
		return fmt.Errorf("routes start with \"/\", or with a host and a path; did you mean %q (every path on host %s) or %q?", s+wisp.PrefixSuffix, s, "/"+s)
	}
	return fmt.Errorf("routes start with \"/\"; did you mean %q?", "/"+s)
}

// envFlag is a repeatable --env KEY=VALUE. A bare KEY takes the value of
// the variable KEY in wisp's own environment (like docker run -e KEY).
type envFlag struct {
	getenv func(string) string
	vars   []string // KEY=VALUE, in the order given
}

func (e *envFlag) String() string {
	if e == nil {
		return ""
	}
	return strings.Join(e.vars, ",")
}

func (e *envFlag) Set(v string) error {
	key, value, hasValue := strings.Cut(v, "=")
	if key == "" {
		return fmt.Errorf("%q has no variable name: write KEY=VALUE", v)
	}
	if !hasValue {
		value = e.getenv(key)
	}
	e.vars = append(e.vars, key+"="+value)
	return nil
}

// Map returns the variables as a map; a later KEY wins.
func (e *envFlag) Map() map[string]string {
	if len(e.vars) == 0 {
		return nil
	}
	m := make(map[string]string, len(e.vars))
	for _, kv := range e.vars {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// byteSizeFlag is a flag holding a wisp.ByteSize, such as "64MiB". Its
// zero value prints as nothing, so help shows no "(default 0B)".
type byteSizeFlag struct{ p *wisp.ByteSize }

func (b byteSizeFlag) String() string {
	if b.p == nil || *b.p == 0 {
		return ""
	}
	return b.p.String()
}

func (b byteSizeFlag) Set(v string) error {
	n, err := wisp.ParseByteSize(v)
	if err != nil {
		return err
	}
	*b.p = n
	return nil
}

// durationFlag is a flag holding a wisp.Duration, such as "5s".
type durationFlag struct{ p *wisp.Duration }

func (d durationFlag) String() string {
	if d.p == nil || *d.p == 0 {
		return ""
	}
	return d.p.String()
}

// Set parses v, explaining that a bare number ("5") needs a unit.
func (d durationFlag) Set(v string) error {
	if isBareNumber(v) {
		return fmt.Errorf("%q has no unit: write %s (or 500ms, 1m)", v, strings.TrimSpace(v)+"s")
	}
	return d.p.UnmarshalText([]byte(v))
}

// isBareNumber reports whether s (blanks around it aside) is a
// non-negative decimal number without a unit, like "5" or "1.5".
func isBareNumber(s string) bool {
	s = strings.TrimSpace(s)
	return strings.ContainsAny(s, "0123456789") && strings.Trim(s, "0123456789.") == "" && strings.Count(s, ".") <= 1
}

// outputFlag is --output: "text" (the default) or "json".
type outputFlag string

func (o *outputFlag) String() string {
	if o == nil || *o == "" {
		return "text"
	}
	return string(*o)
}

func (o *outputFlag) Set(v string) error {
	if v != "text" && v != "json" {
		return fmt.Errorf("use text or json")
	}
	*o = outputFlag(v)
	return nil
}

// json reports whether JSON output was asked for.
func (o outputFlag) json() bool { return o == "json" }

// register defines --output on fs.
func (o *outputFlag) register(fs *flagSet) {
	*o = "text"
	fs.Var(o, "output", "output `FORMAT`: text or json")
	fs.alias("o", "output")
}
