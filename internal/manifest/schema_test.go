package manifest

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestSchemaIsComplete checks that the schema error messages describe
// has a value type for every key, and no value type for a key it lacks.
func TestSchemaIsComplete(t *testing.T) {
	described := map[string]bool{}
	for table, keys := range tableKeys {
		for _, key := range keys {
			name := strings.TrimPrefix(table+"."+key, ".")
			described[name] = true
			if _, ok := valueTypes[name]; !ok {
				t.Errorf("valueTypes has no entry for %q", name)
			}
		}
	}
	for name := range valueTypes {
		base := strings.TrimSuffix(strings.TrimSuffix(name, "[]"), ".*")
		if !described[base] {
			t.Errorf("valueTypes describes %q, which tableKeys does not list", name)
		}
	}
	for _, table := range slices.Sorted(maps.Keys(tableKeys)) {
		if _, ok := tableHeader[table]; table != "" && !ok {
			t.Errorf("tableHeader has no entry for %q", table)
		}
	}
	for table, entries := range anyKeys {
		if !slices.Contains(tableKeys[""], table) {
			t.Errorf("anyKeys has %q, which is not a top-level key", table)
		}
		if _, ok := tableHeader[table]; !ok {
			t.Errorf("tableHeader has no entry for %q", table)
		}
		if _, ok := tableKeys[entries]; entries != "" && !ok {
			t.Errorf("anyKeys says the entries of %q are %q tables, which tableKeys does not list", table, entries)
		}
	}
	for from, to := range synonyms {
		if _, key, _ := unknownKey([]string{from}); key == "" {
			t.Errorf("synonyms has %q, which is a valid key", from)
		}
		if !slices.Contains(tableKeys[""], to) {
			t.Errorf("synonyms maps %q to %q, which is not a top-level key", from, to)
		}
	}
}

func TestSuggest(t *testing.T) {
	keys := tableKeys[""]
	for _, tc := range []struct{ word, want string }{
		{"rotes", "routes"},
		{"route", "routes"},
		{"Name", "name"},
		{"modul", "module"},
		{"limit", "limits"},
		{"file", "files"},
		{"envs", "env"},
		{"variable", "variables"},
		{"key_value_store", "key_value_stores"},
		{"allowed_outbound_host", "allowed_outbound_hosts"},
		{"version", ""}, // nothing close
		{"n", ""},       // too short to guess from
	} {
		if got := suggest(tc.word, keys); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

// TestUnknownKey checks which table a key is looked up in, through the
// tables whose keys the user names.
func TestUnknownKey(t *testing.T) {
	for _, tc := range []struct {
		name       string
		path       []string
		table, key string
		at         int
	}{
		{"top level", []string{"nmae"}, "", "nmae", 0},
		{"known", []string{"limits", "kv_ops"}, "", "", -1},
		{"limits", []string{"limits", "kv_op"}, "limits", "kv_op", 1},
		{"files entry", []string{"files", "[0]", "sorce"}, "files", "sorce", 2},
		{"any env name", []string{"env", "ANYTHING"}, "", "", -1},
		{"any variable name", []string{"variables", "anything"}, "", "", -1},
		{"a variable's key", []string{"variables", "greeting", "default"}, "", "", -1},
		{"a variable's unknown key", []string{"variables", "greeting", "value"}, "variables.*", "value", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table, key, at := unknownKey(tc.path)
			if table != tc.table || key != tc.key || at != tc.at {
				t.Errorf("unknownKey(%q) = %q, %q, %d; want %q, %q, %d", tc.path, table, key, at, tc.table, tc.key, tc.at)
			}
		})
	}
}

func TestSchemaName(t *testing.T) {
	for _, tc := range []struct {
		path []string
		want string
	}{
		{[]string{"routes", "[1]"}, "routes[]"},
		{[]string{"key_value_stores", "[0]"}, "key_value_stores[]"},
		{[]string{"env", "PORT"}, "env.*"},
		{[]string{"variables", "greeting"}, "variables.*"},
		{[]string{"variables", "greeting", "default"}, "variables.*.default"},
		{[]string{"limits", "outbound_bytes"}, "limits.outbound_bytes"},
	} {
		if got := schemaName(tc.path); got != tc.want {
			t.Errorf("schemaName(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}
