// Package report keeps generated sections of a markdown file up to date, so
// several benchmark commands can write their tables into one document
// (docs/benchmarks.md) while the prose around them stays hand-written.
//
// A section is the text between two marker lines, which markdown renders
// as nothing:
//
//	<!-- BEGIN peers -->
//	...generated text...
//	<!-- END peers -->
//
// Only the text between the markers changes; the markers and everything
// outside them are kept byte for byte.
package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ReplaceSection replaces the text of section name in the markdown file at
// path with content, and appends the section, markers included, at the end
// of the file if it has none. A missing file is created holding only the
// section. content gets a final newline if it lacks one.
//
// The file is rewritten through a temporary file in its directory and a
// rename, keeping its permissions, so a reader never sees half a file and a
// failed write leaves the old one. It is not safe to call concurrently for
// the same path: the last writer wins and the other's section is lost.
func ReplaceSection(path, name, content string) error {
	old, err := os.ReadFile(path)
	mode := fs.FileMode(0o644)
	switch {
	case err == nil:
		if info, err := os.Stat(path); err == nil {
			mode = info.Mode().Perm()
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return fmt.Errorf("replace section %q: %w", name, err)
	}
	doc, err := Replace(string(old), name, content)
	if err != nil {
		return fmt.Errorf("replace section %q in %s: %w", name, path, err)
	}
	if err := writeAtomic(path, []byte(doc), mode); err != nil {
		return fmt.Errorf("replace section %q: %w", name, err)
	}
	return nil
}

// Replace returns doc with the text of section name replaced by content,
// as ReplaceSection does to a file: the section is appended at the end of
// doc if absent, and content gets a final newline if it lacks one.
//
// A marker is a line holding only "<!-- BEGIN name -->" or
// "<!-- END name -->" (surrounding spaces and a "\r" are allowed). It is
// an error if name is not a valid section name (see ValidName), if doc has
// one marker without the other, END before BEGIN, either marker twice, or
// if content itself holds a marker line of name.
func Replace(doc, name, content string) (string, error) {
	if err := ValidName(name); err != nil {
		return "", err
	}
	if content != "" && !strings.HasSuffix(content, "\n") {
		content += "\n"
	}
	begin, end := beginMarker(name), endMarker(name)
	if b, e := findLines(content, begin), findLines(content, end); len(b) > 0 || len(e) > 0 {
		return "", fmt.Errorf("the new content of section %q holds its own marker line; remove it from the content", name)
	}
	bs, es := findLines(doc, begin), findLines(doc, end)
	switch {
	case len(bs) == 0 && len(es) == 0:
		if doc != "" && !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		if doc != "" {
			doc += "\n"
		}
		return doc + begin + "\n" + content + end + "\n", nil
	case len(bs) == 0:
		return "", fmt.Errorf("line %d has %q but no line has %q; add it before the section or delete the END line", lineNumber(doc, es[0].start), end, begin)
	case len(es) == 0:
		return "", fmt.Errorf("line %d has %q but no line has %q; add it after the section or delete the BEGIN line", lineNumber(doc, bs[0].start), begin, end)
	case len(bs) > 1:
		return "", fmt.Errorf("%q appears on lines %d and %d; keep only one", begin, lineNumber(doc, bs[0].start), lineNumber(doc, bs[1].start))
	case len(es) > 1:
		return "", fmt.Errorf("%q appears on lines %d and %d; keep only one", end, lineNumber(doc, es[0].start), lineNumber(doc, es[1].start))
	case es[0].start < bs[0].end:
		return "", fmt.Errorf("%q on line %d comes before %q on line %d; swap them", end, lineNumber(doc, es[0].start), begin, lineNumber(doc, bs[0].start))
	}
	return doc[:bs[0].end] + content + doc[es[0].start:], nil
}

// ValidName reports whether name can name a section: 1 to 64 ASCII
// letters, digits, '-', '_' and '.', so that its markers are plain HTML
// comments on one line.
func ValidName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("section name %q must have 1 to 64 characters", name)
	}
	for _, c := range []byte(name) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return fmt.Errorf("section name %q has %q; use only letters, digits, '-', '_' and '.'", name, c)
		}
	}
	return nil
}

func beginMarker(name string) string { return "<!-- BEGIN " + name + " -->" }
func endMarker(name string) string   { return "<!-- END " + name + " -->" }

// span is a line of a document: start is its first byte, end is just past
// its "\n" (or the end of the document).
type span struct{ start, end int }

// findLines returns the lines of doc that hold only marker, ignoring
// surrounding spaces and tabs and a trailing "\r".
func findLines(doc, marker string) []span {
	var out []span
	for start := 0; start < len(doc); {
		end := len(doc)
		if i := strings.IndexByte(doc[start:], '\n'); i >= 0 {
			end = start + i + 1
		}
		if strings.Trim(doc[start:end], " \t\r\n") == marker {
			out = append(out, span{start, end})
		}
		start = end
	}
	return out
}

// lineNumber returns the 1-based number of the line starting at offset.
func lineNumber(doc string, offset int) int {
	return strings.Count(doc[:offset], "\n") + 1
}

// writeAtomic writes data to path through a temporary file and a rename.
func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
