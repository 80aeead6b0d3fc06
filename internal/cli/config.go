package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/client"
	"github.com/wisphq/wisp/internal/didyoumean"
)

func configCommand() *command {
	return &command{
		name:    "config",
		summary: "set, list and remove an app's variables",
		usage: []string{
			"wisp config set APP NAME=VALUE... [flags]",
			"wisp config ls APP [flags]",
			"wisp config rm APP NAME... [flags]",
		},
		description: `
Variables are declared in the app's wisp.toml ([variables]) and given values
at run time: a change reaches the app's next request, on every node of a
fleet, without a new version. The app reads them through wisp:config/store
(its SDK's config get); a request reads the value set here, else the
declared default.

  set   sets each NAME to VALUE. A value may be set before the version that
        declares the variable is deployed (a required variable must have
        its value first); until then no request reads it, and set says so.
  ls    lists the app's declared variables and the values set: where each
        value comes from (set, default or none). Secrets' values are never
        shown.
  rm    removes values; requests read the default again. A variable the
        current version requires cannot be removed.

Secrets are set with 'wisp secret set', which reads the value from stdin
and stores it encrypted.`,
		examples: []string{
			"wisp config set links-go greeting='Welcome to links'",
			"wisp config set shop region=eu currency=EUR",
			"wisp config ls shop",
			"wisp config rm shop currency",
		},
		new: func(e *env) verb { return &configVerb{connFlags: connFlags{e: e}} },
	}
}

// configVerb is `wisp config`.
type configVerb struct {
	connFlags
	output outputFlag
}

func (v *configVerb) flags(fs *flagSet) {
	v.connFlags.register(fs)
	v.output.register(fs)
}

func configActions() actions {
	return actions{names: []string{"set", "ls", "rm"}, synonyms: map[string]string{
		"put": "set", "add": "set", "list": "ls", "get": "ls", "show": "ls",
		"del": "rm", "delete": "rm", "remove": "rm", "unset": "rm",
	}}
}

func (v *configVerb) run(ctx context.Context, args []string) error {
	action, args, err := configActions().split("config", args)
	if err != nil {
		return err
	}
	switch {
	case action == "set" && len(args) < 2:
		return usagef("want APP NAME=VALUE..., got %d arguments", len(args))
	case action == "ls" && len(args) != 1:
		return usagef("want one APP, got %d arguments", len(args))
	case action == "rm" && len(args) < 2:
		return usagef("want APP NAME..., got %d arguments", len(args))
	}
	app := args[0]
	type pair struct{ name, value string }
	var pairs []pair
	if action == "set" {
		for _, arg := range args[1:] {
			name, value, ok := strings.Cut(arg, "=")
			if !ok || name == "" {
				return usagef("%q is not NAME=VALUE: write it like greeting=hello (quote VALUE for the shell if it has blanks)", arg)
			}
			pairs = append(pairs, pair{name, value})
		}
	}
	c, err := v.client()
	if err != nil {
		return err
	}
	w := v.e.stdout
	switch action {
	case "set":
		var set []wisp.VariableInfo
		for _, p := range pairs {
			info, err := c.SetVariable(ctx, app, p.name, p.value, false)
			if err != nil {
				return err
			}
			set = append(set, info)
			if !v.output.json() {
				fmt.Fprintf(w, "set %s of %s\n", p.name, app)
			}
			warnUndeclared(ctx, v.e, c, app, info)
		}
		if v.output.json() {
			return writeJSON(w, set)
		}
	case "ls":
		vars, err := c.Variables(ctx, app)
		if err != nil {
			return err
		}
		if v.output.json() {
			if vars == nil {
				vars = []wisp.VariableInfo{}
			}
			return writeJSON(w, vars)
		}
		return printVariables(w, app, vars)
	case "rm":
		for _, name := range args[1:] {
			if err := c.DeleteVariable(ctx, app, name); err != nil {
				return err
			}
			fmt.Fprintf(w, "removed %s of %s\n", name, app)
		}
	}
	return nil
}

// warnUndeclared tells on stderr that a value just set is read by no
// request: the app is not deployed, or its current version does not
// declare the variable (perhaps a typo of one it does).
func warnUndeclared(ctx context.Context, e *env, c *client.Client, app string, info wisp.VariableInfo) {
	if info.Declared {
		return
	}
	a, err := c.App(ctx, app)
	switch {
	case errors.Is(err, wisp.ErrNotFound):
		fmt.Fprintf(e.stderr, "note: %s is not deployed yet; the value waits for a version that declares %s in [variables]\n", app, info.Name)
		return
	case err != nil:
		return // the value is set; this note is all that is missing
	}
	msg := fmt.Sprintf("note: the current version of %s does not declare %s, so no request reads it until a version declares it in [variables]", app, info.Name)
	best, bestDist := "", min(3, max(1, len(info.Name)/2)+1)
	for _, name := range slices.Sorted(maps.Keys(a.CurrentVersion().Spec.Variables)) {
		if d := didyoumean.Distance(info.Name, name); d < bestDist {
			best, bestDist = name, d
		}
	}
	if best != "" {
		msg += fmt.Sprintf("; did you mean %s? (remove this one with 'wisp config rm %s %s')", best, app, info.Name)
	}
	fmt.Fprintln(e.stderr, msg)
}

// printVariables writes the table of `wisp config ls`.
func printVariables(w io.Writer, app string, vars []wisp.VariableInfo) error {
	if len(vars) == 0 {
		fmt.Fprintf(w, "%s declares no variables and has none set\n", app)
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "NAME\tVALUE\tFROM\tNOTE")
	for _, v := range vars {
		value := "-"
		switch {
		case v.Secret && v.HasValue:
			value = "(secret)"
		case v.Value != nil:
			value = displayValue(*v.Value)
		case v.Default != nil:
			value = displayValue(*v.Default)
		}
		var notes []string
		if v.Secret {
			notes = append(notes, "secret")
		}
		if v.Required {
			notes = append(notes, "required")
		}
		if !v.Declared {
			notes = append(notes, "not declared by the current version: no request reads it")
		}
		if v.Source == wisp.SourceNone && v.Declared {
			cmd := fmt.Sprintf("wisp config set %s %s=VALUE", app, v.Name)
			if v.Secret {
				cmd = fmt.Sprintf("wisp secret set %s %s", app, v.Name)
			}
			notes = append(notes, "no value: "+cmd)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.Name, value, v.Source, strings.Join(notes, "; "))
	}
	return tw.Flush()
}

// displayValue returns a value as is if it reads unambiguously on one
// line, else quoted.
func displayValue(s string) string {
	if s == "" || s == "-" || strings.ContainsAny(s, " \t\r\n\"'\\") || !strconv.CanBackquote(s) || s != quoteKey(s) {
		return strconv.Quote(s)
	}
	return s
}
