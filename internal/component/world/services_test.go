package world

import (
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/component/binary"
)

// The platform services are accepted at the draft versions Wisp
// implements, refused with the version to use at any other.
func TestServiceImports(t *testing.T) {
	for _, tc := range []struct {
		name, imp string
		want      string // a substring of the error; "" for none
	}{
		{"keyvalue store", "wasi:keyvalue/store@0.2.0-draft", ""},
		{"keyvalue atomics", "wasi:keyvalue/atomics@0.2.0-draft", ""},
		{"config", "wasi:config/store@0.2.0-draft", ""},
		{"logging", "wasi:logging/logging@0.1.0-draft", ""},
		{"keyvalue draft2", "wasi:keyvalue/store@0.2.0-draft2", ""},
		{"keyvalue draft2 atomics", "wasi:keyvalue/atomics@0.2.0-draft2", ""},
		{"keyvalue draft2 batch", "wasi:keyvalue/batch@0.2.0-draft2", ""},
		{"keyvalue draft3", "wasi:keyvalue/store@0.2.0-draft3", "Wisp implements wasi:keyvalue at version 0.2.0-draft and 0.2.0-draft2 only"},
		{"keyvalue draft2 watcher", "wasi:keyvalue/watcher@0.2.0-draft2", "not an interface Wisp provides"},
		{"keyvalue no version", "wasi:keyvalue/store", "(no version)"},
		{"logging 0.2", "wasi:logging/logging@0.2.0", "wasi:logging at version 0.1.0-draft only"},
		{"keyvalue batch", "wasi:keyvalue/batch@0.2.0-draft", "Wisp implements wasi:keyvalue/batch at version 0.2.0-draft2 only"},
		{"config runtime", "wasi:config/runtime@0.2.0-draft", "not an interface Wisp provides"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := binary.Decode(importing(tc.imp))
			if err != nil {
				t.Fatal(err)
			}
			err = Imports(c, WASI())
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// wasi:keyvalue needs a declared store; config and logging need nothing.
func TestServicesDeclared(t *testing.T) {
	for _, tc := range []struct {
		name, imp string
		stores    []string
		want      string
	}{
		{"keyvalue declared", "wasi:keyvalue/store@0.2.0-draft", []string{"default"}, ""},
		{"keyvalue undeclared", "wasi:keyvalue/store@0.2.0-draft", nil, "component imports wasi:keyvalue/store@0.2.0-draft but the app declares no key-value store: add key_value_stores"},
		{"atomics undeclared", "wasi:keyvalue/atomics@0.2.0-draft", nil, "declares no key-value store"},
		{"draft2 undeclared", "wasi:keyvalue/batch@0.2.0-draft2", nil, "declares no key-value store"},
		{"config", "wasi:config/store@0.2.0-draft", nil, ""},
		{"logging", "wasi:logging/logging@0.1.0-draft", nil, ""},
		{"wasi", "wasi:io/streams@0.2.0", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := binary.Decode(importing(tc.imp))
			if err != nil {
				t.Fatal(err)
			}
			err = Services(c, Declared{KeyValueStores: tc.stores})
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}
