package manifest

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestSchemaMatchesDocument checks that the schema error messages describe
// (tableKeys, valueTypes) is the one go-toml decodes (document).
func TestSchemaMatchesDocument(t *testing.T) {
	for _, tc := range []struct {
		table string
		typ   reflect.Type
	}{
		{"", reflect.TypeFor[document]()},
		{"files", reflect.TypeFor[fileEntry]()},
		{"limits", reflect.TypeFor[limitsEntry]()},
	} {
		var keys []string
		for i := range tc.typ.NumField() {
			key, _, _ := strings.Cut(tc.typ.Field(i).Tag.Get("toml"), ",")
			keys = append(keys, key)
			name := strings.TrimPrefix(tc.table+"."+key, ".")
			if _, ok := valueTypes[name]; !ok {
				t.Errorf("valueTypes has no entry for %q", name)
			}
		}
		if !slices.Equal(keys, tableKeys[tc.table]) {
			t.Errorf("tableKeys[%q] = %q, but %s decodes %q", tc.table, tableKeys[tc.table], tc.typ, keys)
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
