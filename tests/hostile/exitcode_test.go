package hostile

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Exit codes wazero reserves for its own kills (sys.ExitCodeDeadlineExceeded
// and sys.ExitCodeContextCanceled): ordinary uint32 values to a guest.
const (
	deadlineExitCode = 0xefffffff
	canceledExitCode = 0xffffffff
)

// TestFakeTimeout deploys exitcode.wasm, which calls proc_exit with the code
// its query names, and has it exit with the codes the runtime uses for its
// own deadline and cancellation. The node must answer 500 (the app failed,
// its log names the code), not 504 "did not answer within its timeout" in
// under a millisecond; and a real timeout must still be a 504, at about the
// timeout.
func TestFakeTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node; run without -short")
	}
	s := startSuite(t)
	// A long timeout: a 504 before it cannot be the node's deadline.
	const fakeTimeout = 10 * time.Second
	s.deploy(t, fixture("exitcode.wasm"), "--name", "fake-timeout", "--route", "/fake-timeout", "--timeout", fakeTimeout.String())

	for _, tc := range []struct {
		name string
		code uint32
	}{
		{"deadline code", deadlineExitCode},
		{"cancel code", canceledExitCode},
		{"ordinary code", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do(t, "GET", fmt.Sprintf("/fake-timeout?%d", tc.code), nil)
			t.Logf("exit %d: %d %q after %s", tc.code, r.status, strings.TrimSpace(r.body), r.elapsed.Round(time.Microsecond))
			if r.status != 500 || !strings.Contains(r.body, "app fake-timeout failed") {
				t.Errorf("a guest exiting with code %d got %d %q, want 500 with %q", tc.code, r.status, r.body, "app fake-timeout failed")
			}
			if r.elapsed >= fakeTimeout {
				t.Errorf("answered after %s, the app's whole timeout", r.elapsed)
			}
			want := fmt.Sprintf("exited with code %d", tc.code)
			if log := s.logs(t, "fake-timeout", 100); !strings.Contains(log, want) {
				t.Errorf("wisp logs fake-timeout lacks %q:\n%s", want, log)
			}
		})
	}

	t.Run("real timeout", func(t *testing.T) {
		const timeout = 500 * time.Millisecond
		s.deploy(t, fixture("loop.wasm"), "--name", "real-timeout", "--route", "/real-timeout", "--timeout", timeout.String())
		r := s.do(t, "GET", "/real-timeout", nil)
		t.Logf("loop: %d %q after %s", r.status, strings.TrimSpace(r.body), r.elapsed.Round(time.Millisecond))
		if want := "did not answer within its 500ms timeout"; r.status != 504 || !strings.Contains(r.body, want) {
			t.Errorf("an endless loop got %d %q, want 504 with %q", r.status, r.body, want)
		}
		// Generous upper bound: a loaded machine, not a precise deadline.
		if r.elapsed < timeout || r.elapsed > timeout+5*time.Second {
			t.Errorf("the 504 came after %s, want about the %s timeout", r.elapsed, timeout)
		}
	})
	s.healthy(t)
}
