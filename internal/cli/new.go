package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/guest"
	"github.com/wisphq/wisp/internal/didyoumean"
)

func newCommand() *command {
	return &command{
		name:    "new",
		summary: "start an app project from a template (go, c, rust, assemblyscript, wat, js)",
		usage:   []string{"wisp new", "wisp new LANG NAME"},
		description: `
Without arguments, list the templates. With them, write a new project for
the app NAME from the template LANG into the directory NAME (a path: its
last element is the app's name, 1-63 lower case letters, digits and '-'):
the source, a wisp.toml naming the app and routing /NAME to it, a
README.md saying how to build, deploy and set variables and secrets, a
build.sh, and the language's SDK, copied in. The project builds and
deploys as is, with the language's own toolchain, offline except for the
js and assemblyscript templates, whose first build installs their tools
from the npm registry.

The directory must not exist yet: wisp new never overwrites anything. If
writing a file fails, the directory is removed again.`,
		examples: []string{
			"wisp new",
			"wisp new go shop",
			"# then:",
			"cd shop && ./build.sh && wisp deploy .",
		},
		new: func(e *env) verb { return &newVerb{e: e} },
	}
}

// newVerb is `wisp new`.
type newVerb struct{ e *env }

func (v *newVerb) flags(*flagSet) {}

func (v *newVerb) run(ctx context.Context, args []string) error {
	templates, err := guest.Templates()
	if err != nil {
		return err
	}
	switch len(args) {
	case 0:
		v.list(templates)
		return nil
	case 2:
	default:
		return usagef("want a template LANG and the app's NAME, as in 'wisp new go shop', got %d arguments; 'wisp new' lists the templates", len(args))
	}
	t, err := findTemplate(templates, args[0])
	if err != nil {
		return err
	}
	dir := filepath.Clean(args[1])
	name := filepath.Base(dir)
	if err := wisp.ValidateAppName(name); err != nil {
		if name != args[1] {
			return usagef("%v (the last element of %s names the app)", err, args[1])
		}
		return usageError{msg: err.Error()}
	}
	files, err := t.Files(name)
	if err != nil {
		return err
	}
	if err := writeProject(dir, files); err != nil {
		return err
	}
	fmt.Fprintf(v.e.stdout, "created %s (%s) in %s:\n", name, t.Lang, dir)
	for _, f := range files {
		fmt.Fprintf(v.e.stdout, "  %s\n", filepath.FromSlash(f.Path))
	}
	fmt.Fprintln(v.e.stdout, "Next:")
	fmt.Fprintf(v.e.stdout, "  cd %s\n", dir)
	for _, step := range t.Next {
		if rest, ok := strings.CutPrefix(step, "wisp "); ok {
			step = v.e.command() + " " + rest
		}
		fmt.Fprintf(v.e.stdout, "  %s\n", step)
	}
	return nil
}

// list prints the templates, one a line.
func (v *newVerb) list(templates []guest.Template) {
	fmt.Fprint(v.e.stdout, "Templates (wisp new LANG NAME):\n")
	tw := tabwriter.NewWriter(v.e.stdout, 0, 4, 2, ' ', 0)
	for _, t := range templates {
		fmt.Fprintf(tw, "  %s\t%s\n", t.Lang, t.Summary)
	}
	tw.Flush()
}

// findTemplate returns the template called lang (or having it as an
// alias), or a usage error naming the closest one and the list.
func findTemplate(templates []guest.Template, lang string) (guest.Template, error) {
	want := strings.ToLower(lang)
	var names []string
	for _, t := range templates {
		if t.Lang == want || slices.Contains(t.Aliases, want) {
			return t, nil
		}
		names = append(names, t.Lang)
	}
	msg := fmt.Sprintf("no template %q", lang)
	if s := closestTemplate(templates, want); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return guest.Template{}, usagef("%s; templates: %s ('wisp new' describes them)", msg, strings.Join(names, ", "))
}

// closestTemplate returns the template whose name or alias word starts,
// or is a few edits from (a swap of two adjacent letters counting as
// one), or "".
func closestTemplate(templates []guest.Template, word string) string {
	best, bestDist := "", min(3, max(1, len(word)/2)+1)
	for _, t := range templates {
		for _, n := range append([]string{t.Lang}, t.Aliases...) {
			if len(word) >= 2 && strings.HasPrefix(n, word) {
				return t.Lang
			}
			d := didyoumean.Distance(word, n)
			if swapped(word, n) {
				d = 1
			}
			if d < bestDist {
				best, bestDist = t.Lang, d
			}
		}
	}
	return best
}

// swapped reports whether b is a with two adjacent bytes swapped.
func swapped(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i+1 < len(a); i++ {
		if a[i] != b[i] {
			return a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
		}
	}
	return false
}

// writeProject creates dir, which must not exist, and writes files into
// it. If a write fails, it removes dir and everything written.
func writeProject(dir string, files []guest.File) (err error) {
	if parent := filepath.Dir(dir); parent != "." {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return fmt.Errorf("create the parent directory of %s: %w", dir, err)
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists: wisp new writes a new directory and never overwrites; choose another NAME or remove %s", dir, dir)
		}
		return fmt.Errorf("create %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("create %s: %w", filepath.Dir(p), err)
		}
		if err := os.WriteFile(p, f.Data, f.Mode); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return nil
}
