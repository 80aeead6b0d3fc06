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
		{"version", ""}, // nothing close
		{"n", ""},       // too short to guess from
	} {
		if got := suggest(tc.word, keys); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}
