package manifest

import (
	"slices"
	"strconv"
	"strings"
)

// The schema of wisp.toml: the keys of each table, checked by validate.go
// and limits.go, and the value types error messages describe.
// TestSchemaIsComplete checks that the two agree.

// tableKeys lists the valid keys of each table, in the order the package
// documentation shows them. "" is the top level. [env] takes any key.
var tableKeys = map[string][]string{
	"":       {"name", "module", "routes", "env", "files", "limits"},
	"files":  {"source", "mount"},
	"limits": {"memory", "timeout", "max_body", "max_response", "max_concurrency"},
}

// tableHeader is how a table is written, for messages.
var tableHeader = map[string]string{
	"env":    "[env]",
	"files":  "[[files]]",
	"limits": "[limits]",
}

// valueType says what a key's value must be, for "wrong type" messages.
type valueType struct {
	want    string // "a string"
	example string // a correct line, like `name = "echo"`
}

// valueTypes is keyed by schemaName. "env.*" is any variable in [env],
// "routes[]" any element of routes and "files[]" any [[files]] entry.
var valueTypes = map[string]valueType{
	"name":                   {"a string", `name = "echo"`},
	"module":                 {"a string", `module = "echo.wasm"`},
	"routes":                 {"an array of strings", `routes = ["/echo/..."]`},
	"routes[]":               {"a string", `routes = ["/echo/..."]`},
	"env":                    {"a table of strings", `[env] followed by lines like GREETING = "hello"`},
	"env.*":                  {"a string", `GREETING = "hello"`},
	"files":                  {"an array of tables", `[[files]] followed by source = "static" and mount = "/static"`},
	"files[]":                {"a table", `[[files]] followed by source = "static" and mount = "/static"`},
	"files.source":           {"a string", `source = "static"`},
	"files.mount":            {"a string", `mount = "/static"`},
	"limits":                 {"a table", `[limits] followed by lines like memory = "64MiB"`},
	"limits.memory":          {`a size string or a whole number of bytes`, `memory = "64MiB"`},
	"limits.timeout":         {"a duration string", `timeout = "5s"`},
	"limits.max_body":        {"a size string or a whole number of bytes", `max_body = "1MiB"`},
	"limits.max_response":    {"a size string or a whole number of bytes", `max_response = "1MiB"`},
	"limits.max_concurrency": {"a whole number", `max_concurrency = 32`},
}

// A path names a key or value in the document: its key parts, with array
// positions as "[i]" parts. For example files[1].mount is
// {"files", "[1]", "mount"}.

// indexPart is the path part of the i'th element of an array.
func indexPart(i int) string { return "[" + strconv.Itoa(i) + "]" }

// isIndexPart reports whether part is an array position made by indexPart.
func isIndexPart(part string) bool {
	return len(part) > 2 && part[0] == '[' && part[len(part)-1] == ']'
}

// keyNames returns path without its array positions.
func keyNames(path []string) []string {
	var names []string
	for _, part := range path {
		if !isIndexPart(part) {
			names = append(names, part)
		}
	}
	return names
}

// displayName is how messages name a path: "name", "routes[1]",
// "files[0].mount", "env.PORT".
func displayName(path []string) string {
	var b strings.Builder
	for i, part := range path {
		if i > 0 && !isIndexPart(part) {
			b.WriteByte('.')
		}
		b.WriteString(part)
	}
	return b.String()
}

// schemaName is the valueTypes key for path: "files.mount" for
// files[0].mount, "routes[]" for routes[1], "env.*" for env.PORT.
func schemaName(path []string) string {
	names := keyNames(path)
	if len(names) == 0 {
		return ""
	}
	if names[0] == "env" && len(names) > 1 {
		return "env.*"
	}
	name := strings.Join(names, ".")
	if isIndexPart(path[len(path)-1]) && len(names) == 1 {
		name += "[]"
	}
	return name
}

// unknownKey returns the first key of path that its table does not define,
// that table ("" for the top level) and the key's index in path. It
// returns "", "", -1 if every key is known.
func unknownKey(path []string) (table, key string, at int) {
	for i, part := range path {
		if isIndexPart(part) {
			continue
		}
		keys, ok := tableKeys[table]
		if !ok {
			return "", "", -1 // [env] takes any key; scalars have no keys
		}
		if !slices.Contains(keys, part) {
			return table, part, i
		}
		table = part
	}
	return "", "", -1
}
