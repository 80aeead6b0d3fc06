package fleet

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/testnode"
)

// TestJoinWithPasswordAndTLS joins a node to a NATS server that requires
// TLS and a password, as a production one would, and checks that a wrong
// password or an untrusted certificate stop `wisp serve` at once with a
// message that says so, without printing the password.
func TestJoinWithPasswordAndTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the NATS process test")
	}
	dir := t.TempDir()
	testCerts(t, dir)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	srv, err := testnode.StartNATSServer(ctx, natsBin, filepath.Join(dir, "nats"), "tls", fmt.Sprintf(`
tls {
  cert_file: %q
  key_file: %q
}
authorization {
  users = [ { user: wisp, password: "s3cret-pw" } ]
}`, filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Kill)
	withPassword := func(pw string) string { return strings.Replace(srv.URL, "tls://", "tls://wisp:"+pw+"@", 1) }
	ca := filepath.Join(dir, "ca.pem")

	t.Run("Joins", func(t *testing.T) {
		n, err := testnode.Start(testnode.Options{
			Bin: wispBin, Data: t.TempDir(), Dir: repoRoot,
			Args: []string{"--nats", withPassword("s3cret-pw"), "--nats-tls-ca", ca},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Kill()
		m := &member{Node: n, id: "tls"}
		m.mustWisp(t, "deploy", "examples/hello")
		m.waitServes(t, "/hello", "Hello", 10*time.Second)
	})

	refusals := []struct {
		name string
		args []string
		want string
	}{
		{"WrongPassword", []string{"--nats", withPassword("wrong-pw"), "--nats-tls-ca", ca}, "Authorization Violation"},
		{"UntrustedCertificate", []string{"--nats", withPassword("s3cret-pw")}, "certificate"},
		{"KeyWithoutCert", []string{"--nats", withPassword("s3cret-pw"), "--nats-tls-key", ca}, "--nats-tls-cert and --nats-tls-key go together"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			cli := testnode.CLI{Bin: wispBin, Dir: repoRoot}
			args := append([]string{"serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}, tt.args...)
			start := time.Now()
			res, err := cli.RunContext(ctx, args...)
			if err != nil {
				t.Fatal(err)
			}
			if res.Code == 0 || !strings.Contains(res.Stderr, tt.want) {
				t.Fatalf("wisp serve exited %d after %s; want a failure mentioning %q; stderr:\n%s", res.Code, time.Since(start).Round(time.Millisecond), tt.want, res.Stderr)
			}
			if strings.Contains(res.Stderr, "pw@") || strings.Contains(res.Stderr, "s3cret") || strings.Contains(res.Stderr, "wrong-pw") {
				t.Errorf("stderr shows the password:\n%s", res.Stderr)
			}
		})
	}
}
