package cli

import (
	"context"
	"fmt"
	"strconv"
)

func rollbackCommand() *command {
	return &command{
		name:    "rollback",
		summary: "make an earlier version of an app serve again",
		usage:   []string{"wisp rollback NAME [VERSION] [flags]"},
		description: `
Make version VERSION of the app NAME serve traffic again, or, without
VERSION, the version before the current one. Nothing is uploaded: the
node keeps every version an app had, and 'wisp app NAME' lists them.`,
		examples: []string{"wisp rollback hello", "wisp rollback hello 3"},
		new:      func(e *env) verb { return &rollbackVerb{connFlags: connFlags{e: e}} },
	}
}

// rollbackVerb is `wisp rollback`.
type rollbackVerb struct {
	connFlags
	output outputFlag
}

func (v *rollbackVerb) flags(fs *flagSet) {
	v.connFlags.register(fs)
	v.output.register(fs)
}

func (v *rollbackVerb) run(ctx context.Context, args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return usagef("want an app NAME and an optional VERSION, got %d arguments", len(args))
	}
	version := 0
	if len(args) == 2 {
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 1 {
			return usagef("version %q is not a version number like 3; 'wisp app %s' lists them", args[1], args[0])
		}
		version = n
	}
	c, err := v.client()
	if err != nil {
		return err
	}
	app, err := c.Rollback(ctx, args[0], version)
	if err != nil {
		return err
	}
	if v.output.json() {
		return writeJSON(v.e.stdout, app)
	}
	fmt.Fprintf(v.e.stdout, "%s now serves version %d (%s)\n", app.Name, app.Current, shortDigest(app.CurrentVersion().Spec.Module))
	return nil
}

func rmCommand() *command {
	return &command{
		name:    "rm",
		summary: "remove an app and all its versions",
		usage:   []string{"wisp rm NAME [flags]"},
		description: `
Remove the app NAME with every version it had. It stops serving at once.
There is no confirmation prompt and no undo: deploy it again to bring it
back.`,
		examples: []string{"wisp rm hello"},
		new:      func(e *env) verb { return &rmVerb{connFlags: connFlags{e: e}} },
	}
}

// rmVerb is `wisp rm`.
type rmVerb struct{ connFlags }

func (v *rmVerb) flags(fs *flagSet) { v.connFlags.register(fs) }

func (v *rmVerb) run(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return usagef("want one app NAME, got %d arguments", len(args))
	}
	c, err := v.client()
	if err != nil {
		return err
	}
	if err := c.Remove(ctx, args[0]); err != nil {
		return err
	}
	fmt.Fprintf(v.e.stdout, "removed %s\n", args[0])
	return nil
}
