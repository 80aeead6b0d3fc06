package cli

import (
	"strings"
	"testing"
)

func TestRedactURLs(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"no credentials", "nats://n1:4222,nats://n2:4222", "nats://n1:4222,nats://n2:4222"},
		{"password", "nats://wisp:s3cret@n1:4222", "nats://wisp:REDACTED@n1:4222"},
		{"token", "tls://t0ken@n1:4222", "tls://REDACTED@n1:4222"},
		{"mixed list", "nats://n1:4222, nats://a:b@n2:4222", "nats://n1:4222,nats://a:REDACTED@n2:4222"},
		{"no scheme", "alice:s3cret@127.0.0.1:4222", "alice:REDACTED@127.0.0.1:4222"},
		{"does not parse", "nats://alice:50%off@127.0.0.1:1", "REDACTED@127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redactURLs(tt.in); got != tt.want {
				t.Errorf("redactURLs(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactIn(t *testing.T) {
	msg := `parse "nats://alice:50%off@127.0.0.1:1": invalid URL escape "%of"`
	got := redactIn(msg, "nats://n1:4222,nats://alice:50%off@127.0.0.1:1")
	if strings.Contains(got, "50%off") {
		t.Errorf("redactIn left the password in %q", got)
	}
}
