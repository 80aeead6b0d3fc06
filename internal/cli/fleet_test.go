package cli

import "testing"

func TestRedactURLs(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"no credentials", "nats://n1:4222,nats://n2:4222", "nats://n1:4222,nats://n2:4222"},
		{"password", "nats://wisp:s3cret@n1:4222", "nats://wisp:REDACTED@n1:4222"},
		{"token", "tls://t0ken@n1:4222", "tls://REDACTED@n1:4222"},
		{"mixed list", "nats://n1:4222, nats://a:b@n2:4222", "nats://n1:4222,nats://a:REDACTED@n2:4222"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redactURLs(tt.in); got != tt.want {
				t.Errorf("redactURLs(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
