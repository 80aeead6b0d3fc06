package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
	"github.com/wisphq/wisp"
)

// document is wisp.toml as go-toml decodes it, before validation.
type document struct {
	Name   string            `toml:"name"`
	Module string            `toml:"module"`
	Routes []string          `toml:"routes"`
	Env    map[string]string `toml:"env"`
	Files  []fileEntry       `toml:"files"`
	Limits limitsEntry       `toml:"limits"`
}

type fileEntry struct {
	Source string `toml:"source"`
	Mount  string `toml:"mount"`
}

// limitsEntry keeps each limit as TOML gave it (int64, string, float64...)
// so that limits.go can accept both "64MiB" and 67108864 and word the
// errors itself.
type limitsEntry struct {
	Memory         any `toml:"memory"`
	Timeout        any `toml:"timeout"`
	MaxBody        any `toml:"max_body"`
	MaxResponse    any `toml:"max_response"`
	MaxConcurrency any `toml:"max_concurrency"`
}

// parser holds what the steps of parsing one manifest share.
type parser struct {
	file string // for messages
	dir  string // relative paths are resolved against it
	idx  *index // where things were written; may be partial after a syntax error
}

// errorAt returns an *Error at pos wrapping wisp.ErrInvalid.
func (p *parser) errorAt(pos position, format string, args ...any) *Error {
	return &Error{File: p.file, Line: pos.line, Column: pos.column, Msg: fmt.Sprintf(format, args...), Err: wisp.ErrInvalid}
}

// decode decodes data strictly and turns go-toml's errors into ones that
// say where and how to fix them.
func (p *parser) decode(data []byte) (*document, error) {
	var doc document
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(&doc)
	if err == nil {
		return &doc, nil
	}
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) && len(strict.Errors) > 0 {
		return nil, p.unknownKeyError(&strict.Errors[0]) // the first in the document
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		return nil, p.decodeError(de)
	}
	return nil, &Error{File: p.file, Msg: err.Error(), Err: wisp.ErrInvalid}
}

func (p *parser) decodeError(de *toml.DecodeError) *Error {
	line, column := de.Position()
	pos := position{line, column}
	msg := strings.TrimPrefix(de.Error(), "toml: ")
	if len(de.Key()) == 0 {
		return p.errorAt(pos, "TOML syntax error: %s", msg)
	}
	if strings.HasPrefix(msg, "cannot decode TOML ") || strings.HasPrefix(msg, "cannot store ") {
		return p.typeError(pos, de.Key())
	}
	if k, ok := between(msg, "key ", " is already defined"); ok {
		return p.errorAt(pos, "key %q is set twice%s: remove one", k, p.alsoOn(k, line))
	}
	if k, ok := between(msg, "table ", " already exists"); ok {
		return p.errorAt(pos, "table [%s] is written twice%s: merge the two", k, p.alsoOn(k, line))
	}
	if k, ok := between(msg, "table ", " already exists as an array of tables"); ok {
		return p.errorAt(pos, "[%s] conflicts with the [[%s]] entries above: write [[%s]] for every entry", k, k, k)
	}
	path, _ := p.resolve(pos, de.Key())
	return p.errorAt(pos, "%s: %s", displayName(path), msg) // such as a number too large
}

// between returns what s holds between prefix and suffix.
func between(s, prefix, suffix string) (string, bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return "", false
	}
	return strings.CutSuffix(rest, suffix)
}

// alsoOn returns " (also on line N)" if the dotted key was first written
// on a line N other than line.
func (p *parser) alsoOn(dotted string, line int) string {
	if e, ok := p.idx.lookup(strings.Split(dotted, ".")...); ok && e.key.line != line {
		return fmt.Sprintf(" (also on line %d)", e.key.line)
	}
	return ""
}

// resolve returns the full path of the key go-toml reported at pos, with
// its index entry. go-toml's key is partial inside inline tables (the key
// of the inline table, or the key inside it), so the path is looked up by
// position, and trusted only if key is its start or its end.
func (p *parser) resolve(pos position, key []string) ([]string, *entry) {
	if p.idx != nil {
		if path, ok := p.idx.at[pos]; ok {
			names := keyNames(path)
			if hasPrefix(names, key) || hasSuffix(names, key) {
				e, _ := p.idx.lookup(path...)
				return path, e
			}
		}
	}
	return key, nil
}

func hasPrefix(list, prefix []string) bool {
	return len(prefix) <= len(list) && slices.Equal(list[:len(prefix)], prefix)
}

func hasSuffix(list, suffix []string) bool {
	return len(suffix) <= len(list) && slices.Equal(list[len(list)-len(suffix):], suffix)
}

// unknownKeyError words go-toml's "unknown field" for the first key of the
// path its table does not define, suggesting the closest valid key.
func (p *parser) unknownKeyError(de *toml.DecodeError) *Error {
	line, column := de.Position()
	pos := position{line, column}
	path, _ := p.resolve(pos, de.Key())
	table, key := unknownKey(path)
	if key == "" {
		return p.errorAt(pos, "unknown key %q", displayName(path))
	}
	valid := tableKeys[table]
	where := ""
	if table != "" {
		where = " in " + tableHeader[table]
		if slices.Contains(tableKeys[""], key) {
			if header, ok := p.enclosingHeader(path); ok {
				return p.errorAt(pos, "unknown key %q%s; move it above the %s header on line %d: every key below a header belongs to that table",
					key, where, tableHeader[table], header.line)
			}
		}
	}
	hint := ""
	if s := suggest(key, valid); s != "" {
		hint = fmt.Sprintf("; did you mean %q?", s)
	}
	return p.errorAt(pos, "unknown key %q%s%s (valid keys: %s)", key, where, hint, strings.Join(valid, ", "))
}

// enclosingHeader returns the position of the [table] or [[table]] header
// that path was written under, if it was.
func (p *parser) enclosingHeader(path []string) (position, bool) {
	for n := len(path) - 1; n > 0; n-- {
		if e, ok := p.idx.lookup(path[:n]...); ok && e.kind == unstable.Table {
			return e.key, true
		}
	}
	return position{}, false
}

// typeError reports a value of the wrong type at pos.
func (p *parser) typeError(pos position, key []string) *Error {
	path, e := p.resolve(pos, key)
	if e != nil {
		return p.wrongType(pos, path, e.kind, e)
	}
	// go-toml's position is not in the index: it points inside a value the
	// index does not locate, such as an array in an array.
	found := unstable.Invalid
	if e, ok := p.idx.lookup(path...); ok {
		pos = e.value
		if !strings.HasPrefix(valueTypes[schemaName(path)].want, "an array") {
			found = e.kind // otherwise the wrong kind is an element's, nested deeper
		}
	}
	return p.wrongType(pos, path, found, nil)
}

// wrongType reports that the value of path is not of the type the schema
// wants. found is the kind written (Invalid if unknown); e, if not nil, is
// its entry.
func (p *parser) wrongType(pos position, path []string, found unstable.Kind, e *entry) *Error {
	name := schemaName(path)
	want, ok := valueTypes[name]
	if !ok {
		return p.errorAt(pos, "%s has the wrong type", displayName(path))
	}
	names := keyNames(path)
	display := displayName(path)
	example := want.example
	hint := ""
	if name == "env.*" {
		display = "env." + names[1] // a dotted key under [env] is still one variable
		example = fmt.Sprintf("%s = %q", names[1], "value")
		if e != nil && e.raw != "" && len(names) == 2 {
			example = fmt.Sprintf("%s = %q", names[1], e.raw) // quote what was written
		}
		if slices.Contains(tableKeys[""], names[1]) {
			if header, ok := p.enclosingHeader(path); ok {
				hint = fmt.Sprintf("; if %s is meant as a top-level key, move it above the [env] header on line %d", names[1], header.line)
			}
		}
	}
	if found == unstable.Invalid {
		return p.errorAt(pos, "%s must be %s (example: %s)%s", display, want.want, example, hint)
	}
	return p.errorAt(pos, "%s must be %s, not %s (example: %s)%s", display, want.want, kindName(found), example, hint)
}

// kindName names a TOML value kind with its article, for messages.
func kindName(k unstable.Kind) string {
	switch k {
	case unstable.String:
		return "a string"
	case unstable.Integer:
		return "an integer"
	case unstable.Float:
		return "a float"
	case unstable.Bool:
		return "a boolean"
	case unstable.Array:
		return "an array"
	case unstable.Table, unstable.InlineTable:
		return "a table"
	case unstable.ArrayTable:
		return "an array of tables"
	case unstable.LocalDate:
		return "a date"
	case unstable.LocalTime:
		return "a time"
	default:
		return "a date-time"
	}
}
