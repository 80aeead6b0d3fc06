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
// documentation shows them. "" is the top level; "variables.*" is the
// table of any one variable. [env] and [variables] take any key (see
// anyKeys).
var tableKeys = map[string][]string{
	"":            {"name", "module", "routes", "key_value_stores", "allowed_outbound_hosts", "env", "files", "variables", "limits"},
	"files":       {"source", "mount"},
	"variables.*": {"default", "required", "secret"},
	"limits":      {"memory", "timeout", "cpu", "max_body", "max_response", "max_concurrency", "kv_ops", "outbound_requests", "outbound_bytes"},
}

// anyKeys lists the tables whose keys are names the user chooses, with
// the tableKeys entry of their values' tables: "" when the values are
// not tables.
var anyKeys = map[string]string{
	"env":       "",
	"variables": "variables.*",
}

// tableHeader is how a table is written, for messages.
var tableHeader = map[string]string{
	"env":         "[env]",
	"files":       "[[files]]",
	"variables":   "[variables]",
	"variables.*": "a [variables] entry",
	"limits":      "[limits]",
}

// synonyms maps keys other platforms' manifests use, which are not a
// typo away from Wisp's, to Wisp's key, for "did you mean".
var synonyms = map[string]string{
	"allowed_http_hosts": "allowed_outbound_hosts", // Spin's name before 2.0
	"kv_namespaces":      "key_value_stores",       // Cloudflare's wrangler.toml
	"vars":               "variables",              // Cloudflare's wrangler.toml
}

// valueType says what a key's value must be, for "wrong type" messages.
type valueType struct {
	want    string // "a string"
	example string // a correct line, like `name = "echo"`
}

// valueTypes is keyed by schemaName. "env.*" is any variable in [env],
// "variables.*" any entry of [variables] ("variables.*.secret" its
// secret key), "routes[]" any element of routes and "files[]" any
// [[files]] entry.
var valueTypes = map[string]valueType{
	"name":                     {"a string", `name = "echo"`},
	"module":                   {"a string", `module = "echo.wasm"`},
	"routes":                   {"an array of strings", `routes = ["/echo/..."]`},
	"routes[]":                 {"a string", `routes = ["/echo/..."]`},
	"key_value_stores":         {"an array of strings", `key_value_stores = ["default"]`},
	"key_value_stores[]":       {"a string", `key_value_stores = ["default"]`},
	"allowed_outbound_hosts":   {"an array of strings", `allowed_outbound_hosts = ["https://api.example.com"]`},
	"allowed_outbound_hosts[]": {"a string", `allowed_outbound_hosts = ["https://api.example.com"]`},
	"env":                      {"a table of strings", `[env] followed by lines like GREETING = "hello"`},
	"env.*":                    {"a string", `GREETING = "hello"`},
	"files":                    {"an array of tables", `[[files]] followed by source = "static" and mount = "/static"`},
	"files[]":                  {"a table", `[[files]] followed by source = "static" and mount = "/static"`},
	"files.source":             {"a string", `source = "static"`},
	"files.mount":              {"a string", `mount = "/static"`},
	"variables":                {"a table", `[variables] followed by lines like greeting = { default = "hi" }`},
	"variables.*":              {"a table", `greeting = { default = "hi" }`},
	"variables.*.default":      {"a string", `greeting = { default = "hi" }`},
	"variables.*.required":     {"a boolean", `region = { required = true }`},
	"variables.*.secret":       {"a boolean", `api_key = { secret = true }`},
	"limits":                   {"a table", `[limits] followed by lines like memory = "64MiB"`},
	"limits.memory":            {`a size string or a whole number of bytes`, `memory = "64MiB"`},
	"limits.timeout":           {"a duration string", `timeout = "5s"`},
	"limits.cpu":               {"a duration string", `cpu = "50ms"`},
	"limits.max_body":          {"a size string or a whole number of bytes", `max_body = "1MiB"`},
	"limits.max_response":      {"a size string or a whole number of bytes", `max_response = "1MiB"`},
	"limits.max_concurrency":   {"a whole number", `max_concurrency = 32`},
	"limits.kv_ops":            {"a whole number", `kv_ops = 100`},
	"limits.outbound_requests": {"a whole number", `outbound_requests = 10`},
	"limits.outbound_bytes":    {"a size string or a whole number of bytes", `outbound_bytes = "16MiB"`},
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
// files[0].mount, "routes[]" for routes[1], "env.*" for env.PORT,
// "variables.*.secret" for variables.api_key.secret.
func schemaName(path []string) string {
	names := keyNames(path)
	if len(names) == 0 {
		return ""
	}
	if entries, ok := anyKeys[names[0]]; ok && len(names) > 1 {
		if entries == "" || len(names) == 2 {
			return names[0] + ".*"
		}
		return strings.Join(append([]string{entries}, names[2:]...), ".")
	}
	name := strings.Join(names, ".")
	if isIndexPart(path[len(path)-1]) && len(names) == 1 {
		name += "[]"
	}
	return name
}

// unknownKey returns the first key of path that its table does not define,
// that table ("" for the top level, "variables.*" for a variable's) and
// the key's index in path. It returns "", "", -1 if every key is known.
func unknownKey(path []string) (table, key string, at int) {
	for i, part := range path {
		if isIndexPart(part) {
			continue
		}
		if entries, ok := anyKeys[table]; ok {
			if entries == "" {
				return "", "", -1 // [env] takes any key; its values are strings
			}
			table = entries // part is a name of the user's choosing
			continue
		}
		keys, ok := tableKeys[table]
		if !ok {
			return "", "", -1 // scalars have no keys
		}
		if !slices.Contains(keys, part) {
			return table, part, i
		}
		table = part
	}
	return "", "", -1
}
