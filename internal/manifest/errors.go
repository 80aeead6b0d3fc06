package manifest

import (
	"fmt"
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
}

// Error formats the problem the way compilers do, so editors can jump to it:
// "wisp.toml:3:1: unknown key ...".
func (e *Error) Error() string {
	switch {
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
