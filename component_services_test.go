package wisp_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wisphq/wisp"
)

// A component importing wasi:keyvalue is refused at deploy when its app
// declares no key-value store, or when the node has no key-value backend,
// as a preview 1 module importing wisp:keyvalue is.
func TestComponentServiceDeployChecks(t *testing.T) {
	n := newNode(t) // no key-value backend
	ctx := context.Background()
	module := uploadFile(t, n, "examples/hello-js/hello.wasm")
	for _, tc := range []struct {
		name    string
		stores  []string
		message string
	}{
		{"no store declared", nil, "imports wasi:keyvalue/store@0.2.0-draft but the app declares no key-value store: add key_value_stores"},
		{"no backend", []string{"default"}, "this node has no key-value backend"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := n.Deploy(ctx, wisp.AppSpec{Name: "svc", Module: module, Routes: routes(t, "/svc/..."), KeyValueStores: tc.stores})
			if !errors.Is(err, wisp.ErrInvalid) || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("err = %v; want ErrInvalid containing %q", err, tc.message)
			}
		})
	}
}
