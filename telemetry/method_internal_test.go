package telemetry

import (
	"net/http/httptest"
	"testing"
)

// TestRequestMethodIsBounded checks that a client's method reaches span
// names and the method attribute only if HTTP registers it.
func TestRequestMethodIsBounded(t *testing.T) {
	for _, tc := range []struct {
		method, attr, name string
	}{
		{"GET", "GET", "GET"},
		{"DELETE", "DELETE", "DELETE"},
		{"BREW", "_OTHER", "HTTP"},
		{"get", "_OTHER", "HTTP"},
	} {
		t.Run(tc.method, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/x", nil)
			if got := spanNameOf(r); got != tc.name {
				t.Errorf("span name %q, want %q", got, tc.name)
			}
			attrs := requestAttributes(r)
			if got := attrs[0].Value.AsString(); got != tc.attr {
				t.Errorf("http.request.method %q, want %q", got, tc.attr)
			}
			original := ""
			for _, a := range attrs {
				if a.Key == "http.request.method_original" {
					original = a.Value.AsString()
				}
			}
			if want := map[bool]string{true: "", false: tc.method}[tc.attr == tc.method]; original != want {
				t.Errorf("http.request.method_original %q, want %q", original, want)
			}
		})
	}
}
