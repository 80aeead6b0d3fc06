package manifest

import (
	"errors"
	"testing"

	"github.com/wisphq/wisp"
)

// TestOutboundProblemSpecIsValid checks that outboundProblem's spec is
// valid but for the pattern, so that an error it returns is the
// pattern's.
func TestOutboundProblemSpecIsValid(t *testing.T) {
	for _, pattern := range []string{"https://api.example.com", "http://127.0.0.1:8080"} {
		if err := outboundProblem(pattern); err != nil {
			t.Errorf("outboundProblem(%q) = %v, want nil", pattern, err)
		}
	}
}

// TestOutboundError checks that an error about the one pattern checked
// names it by its place in the manifest.
func TestOutboundError(t *testing.T) {
	cause := errors.New(`invalid: allowed_outbound_hosts[0] "api.example.com": write a scheme`)
	for _, tc := range []struct {
		name string
		err  error
		i    int
		want string
	}{
		{"named by index", cause, 3, `allowed_outbound_hosts[3] "api.example.com": write a scheme`},
		{"under the list's name", errors.New(`allowed_outbound_hosts: "x" has no scheme`), 1, `allowed_outbound_hosts[1]: "x" has no scheme`},
		{"unnamed", errors.New(`pattern "x" has no scheme`), 0, `allowed_outbound_hosts[0]: pattern "x" has no scheme`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := outboundError{tc.err, tc.i}
			if err.Error() != tc.want {
				t.Errorf("Error() = %q, want %q", err.Error(), tc.want)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("does not wrap its cause")
			}
		})
	}
	// wrap keeps wisp.ErrInvalid matchable, whatever the cause.
	p := &parser{file: "wisp.toml"}
	if e := p.wrap(position{4, 2}, outboundError{cause, 1}); !errors.Is(e, wisp.ErrInvalid) || e.Line != 4 {
		t.Errorf("wrap = %#v, want an *Error at line 4 wrapping wisp.ErrInvalid", e)
	}
}
