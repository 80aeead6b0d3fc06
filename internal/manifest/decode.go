package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
	"github.com/wisphq/wisp"
)

// parser holds what the steps of parsing one manifest share.
type parser struct {
	file string   // for messages
	dir  string   // relative paths are resolved against it
	idx  *index   // where things were written; may be partial after a syntax error
	errs []*Error // the problems found so far, in the order found

	// slipped holds the paths (by pathKey) of keys that were written
	// somewhere else (below the wrong [table] header, or misspelled) and
	// reported there, so that their absence is not reported again.
	slipped map[string]bool
	// explained holds the paths (by pathKey) already reported as a slip,
	// whose own checks are skipped.
	explained map[string]bool
}

// report records a problem; checking goes on, so that every independent
// problem is reported at once.
func (p *parser) report(e *Error) { p.errs = append(p.errs, e) }

// reportAt records a problem at pos wrapping wisp.ErrInvalid.
func (p *parser) reportAt(pos position, format string, args ...any) {
	p.report(p.errorAt(pos, format, args...))
}

// errorAt returns an *Error at pos wrapping wisp.ErrInvalid.
func (p *parser) errorAt(pos position, format string, args ...any) *Error {
	return &Error{File: p.file, Line: pos.line, Column: pos.column, Msg: fmt.Sprintf(format, args...), Err: wisp.ErrInvalid}
}

// decode decodes data into generic TOML values (tables are
// map[string]any, arrays []any). Only problems with the document as a
// whole fail here: syntax errors, and keys or tables written twice. They
// stop parsing, since what follows them cannot be trusted; the schema is
// checked afterwards, on the values.
func (p *parser) decode(data []byte) (map[string]any, error) {
	doc := map[string]any{}
	err := toml.NewDecoder(bytes.NewReader(data)).Decode(&doc)
	if err == nil {
		return doc, nil
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
	if len(de.Key()) == 0 && strings.Contains(msg, "number") {
		// go-toml reports a number too large without its key.
		if path, ok := p.idx.at[pos]; ok {
			return p.errorAt(pos, "%s: %s", displayName(path), msg)
		}
	}
	if len(de.Key()) == 0 {
		hint := ""
		if !strings.HasSuffix(p.file, ".toml") {
			hint = fmt.Sprintf("; is %s a manifest? pass a %s or a directory holding one", filepath.Base(p.file), FileName)
		}
		return p.errorAt(pos, "TOML syntax error: %s%s", msg, hint)
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

// unknownKeyError reports the unknown key at path (the first key of path
// that its table does not define), suggesting the closest valid key, or
// saying where to move a top-level key written below a header. It records
// in p.slipped the key the author probably meant, so that its absence is
// not reported as well.
func (p *parser) unknownKeyError(pos position, path []string) *Error {
	table, key, at := unknownKey(path)
	if key == "" {
		return p.errorAt(pos, "unknown key %q", displayName(path))
	}
	valid := tableKeys[table]
	where := ""
	switch {
	case table == "variables.*":
		where = fmt.Sprintf(" in variable %q", path[at-1])
	case table != "":
		where = " in " + tableHeader[table]
		if slices.Contains(tableKeys[""], key) {
			if header, ok := p.enclosingHeader(path); ok {
				p.slipped[pathKey([]string{key})] = true
				return p.errorAt(pos, "unknown key %q%s; move it above the %s header on line %d: every key below a header belongs to that table",
					key, where, tableHeader[table], header.line)
			}
		}
	}
	hint := ""
	if s := suggest(key, valid); s != "" {
		hint = fmt.Sprintf("; did you mean %q?", s)
		p.slipped[pathKey(join(path[:at], s))] = true
	} else if s, ok := synonyms[key]; ok && slices.Contains(valid, s) {
		hint = fmt.Sprintf("; Wisp calls it %q", s)
		p.slipped[pathKey(join(path[:at], s))] = true
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
		hint = p.topLevelHint(path, names[1], "env")
	}
	switch name {
	case "variables.*":
		example = p.variableExample(names[1], e)
		hint = p.topLevelHint(path, names[1], "variables")
	case "variables.*.default":
		example = p.variableExample(names[1], e)
	case "variables.*.required", "variables.*.secret":
		example = fmt.Sprintf("%s = { %s = true }", names[1], names[2])
	}
	if found == unstable.Invalid {
		return p.errorAt(pos, "%s must be %s (example: %s)%s", display, want.want, example, hint)
	}
	return p.errorAt(pos, "%s must be %s, not %s (example: %s)%s", display, want.want, kindName(found), example, hint)
}

// topLevelHint returns, for a key of [env] or [variables] (table) that
// is also a top-level key and was written below that table's header, a
// hint to move it above the header; "" otherwise.
func (p *parser) topLevelHint(path []string, key, table string) string {
	if !slices.Contains(tableKeys[""], key) {
		return ""
	}
	if header, ok := p.enclosingHeader(path); ok {
		return fmt.Sprintf("; if %s is meant as a top-level key, move it above the %s header on line %d", key, tableHeader[table], header.line)
	}
	return ""
}

// variableExample returns a correct line for the variable name whose
// value or default, at e, has the wrong type: the value written, as its
// default.
func (p *parser) variableExample(name string, e *entry) string {
	switch {
	case e == nil || e.raw == "" || len(e.raw) > 40 || strings.ContainsAny(e.raw, "\n\r"):
		return fmt.Sprintf("%s = { default = %q }", name, "hi")
	case e.kind == unstable.String:
		return fmt.Sprintf("%s = { default = %s }", name, e.raw) // already a TOML string
	default:
		return fmt.Sprintf("%s = { default = %q }", name, e.raw)
	}
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
