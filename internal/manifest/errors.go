package manifest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wisphq/wisp/internal/didyoumean"
)

// Error is a problem with a manifest, located where it was written.
type Error struct {
	File   string // the manifest's path, as given to Load or Parse
	Line   int    // 1-based; 0 when the problem has no single place, like a missing key
	Column int    // 1-based byte column; 0 when unknown
	Msg    string // what is wrong and how to fix it
	// Err is the cause that errors.Is can match: wisp.ErrInvalid for
	// content problems, an fs error (fs.ErrNotExist...) for missing files.
	Err error

	// standalone means Msg names the file itself ("no wisp.toml at
	// PATH ..."), so Error prints it without the "FILE: " prefix.
	standalone bool
}

// Error formats the problem the way compilers do, so editors can jump to it:
// "wisp.toml:3:1: unknown key ...".
func (e *Error) Error() string {
	switch {
	case e.standalone:
		return e.Msg
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	default:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// ErrNoManifest is matched (errors.Is) by the error of [Load] when there is
// no manifest at the path it was given: the path does not exist, or is a
// directory without a wisp.toml. That error also matches fs.ErrNotExist;
// a missing module or files source directory matches only the latter.
var ErrNoManifest = errors.New("no manifest")

// MaxErrors is how many problems [ErrorList] lists at most.
const MaxErrors = 10

// ErrorList is several independent problems with one manifest. [Parse] and
// [Load] return it instead of an [*Error] when they find more than one, so
// that all can be fixed in one go. errors.As finds its first *Error, and
// errors.Is matches what any of them matches.
type ErrorList struct {
	Errors  []*Error // in file order, then problems with no line (a missing key); at most MaxErrors
	Omitted int      // how many more problems were found but not listed
}

// Error lists the problems one a line, each as [Error.Error] formats it.
func (l *ErrorList) Error() string {
	lines := make([]string, 0, len(l.Errors)+1)
	for _, e := range l.Errors {
		lines = append(lines, e.Error())
	}
	if l.Omitted > 0 && len(l.Errors) > 0 {
		lines = append(lines, fmt.Sprintf("%s: and %d more problems: fix these first", l.Errors[0].File, l.Omitted))
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the listed problems.
func (l *ErrorList) Unwrap() []error {
	errs := make([]error, len(l.Errors))
	for i, e := range l.Errors {
		errs[i] = e
	}
	return errs
}

// joinErrors returns nil for no problems, the *Error itself for one, and
// an *ErrorList of them in file order for more.
func joinErrors(errs []*Error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	sorted := slices.Clone(errs)
	unplaced := func(e *Error) int {
		if e.Line == 0 {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(sorted, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(unplaced(a), unplaced(b)), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	l := &ErrorList{Errors: sorted}
	if len(sorted) > MaxErrors {
		l.Errors, l.Omitted = sorted[:MaxErrors], len(sorted)-MaxErrors
	}
	return l
}

// position is a place in the manifest; the zero value means "unknown".
type position struct{ line, column int }

// suggest returns the candidate closest to word by edit distance, or "" if
// none is close enough to be a likely typo.
func suggest(word string, candidates []string) string {
	best, bestDist := "", 3 // at most two edits away
	lower := strings.ToLower(word)
	for _, c := range candidates {
		if d := didyoumean.Distance(lower, c); d < bestDist && d < len(word) {
			best, bestDist = c, d
		}
	}
	return best
}
