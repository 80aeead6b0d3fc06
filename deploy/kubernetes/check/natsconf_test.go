package check

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

// processNATSConfig loads a NATS configuration with nats-server's own
// loader: syntax, every field's name and type, sizes, durations, URLs.
// Variables ($NAME) resolve from the process environment, as in the server;
// set them first. Warnings (a deprecated field, an empty file) count as
// errors.
func processNATSConfig(text string) (*server.Options, error) {
	opts := &server.Options{}
	err := opts.ProcessConfigString(text)
	if err == nil {
		return opts, nil
	}
	var pce interface {
		Errors() []error
		Warnings() []error
	}
	if errors.As(err, &pce) {
		var msgs []string
		for _, e := range append(pce.Warnings(), pce.Errors()...) {
			msgs = append(msgs, e.Error())
		}
		return nil, fmt.Errorf("%s", strings.Join(msgs, "; "))
	}
	return nil, err
}

// natsVar is a variable reference in a NATS configuration.
var natsVar = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)`)

// quoted is a double-quoted string in a NATS configuration.
var quoted = regexp.MustCompile(`"[^"]*"`)

// natsConfigVars lists the variables a NATS configuration references
// outside comments, sorted.
func natsConfigVars(text string) []string {
	seen := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		if i := strings.IndexAny(line, "#"); i >= 0 {
			line = line[:i]
		}
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		line = quoted.ReplaceAllString(line, `""`) // "$G" is a string, not a variable
		for _, m := range natsVar.FindAllStringSubmatch(line, -1) {
			seen[m[1]] = true
		}
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// routeHosts returns the host:port of each cluster route, sorted.
func routeHosts(routes []*url.URL) []string {
	var hosts []string
	for _, r := range routes {
		hosts = append(hosts, r.Host)
	}
	sort.Strings(hosts)
	return hosts
}

func TestProcessNATSConfigRejectsMistakes(t *testing.T) {
	// The checks below rely on the loader failing on these; this makes sure
	// it does, so a passing check means something.
	for _, tc := range []struct{ name, conf, want string }{
		{"syntax", "jetstream {\n  store_dir: /data\n", "Unexpected EOF"},
		{"unknown field", "jetstream {\n  sync_intervall: always\n}\n", "unknown field"},
		{"bad size", "jetstream {\n  max_file_store: \"lots\"\n}\n", "max_file_store"},
		{"bad duration", "lame_duck_duration: soon\n", "lame_duck_duration"},
		{"undefined variable", "server_name: $WISP_CHECK_UNDEFINED_VARIABLE\n", "WISP_CHECK_UNDEFINED_VARIABLE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := processNATSConfig(tc.conf)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("processNATSConfig(%q) = %v, want an error mentioning %q", tc.conf, err, tc.want)
			}
		})
	}
	opts, err := processNATSConfig("jetstream {\n  sync_interval: always\n}\n")
	if err != nil || !opts.SyncAlways || !opts.JetStream {
		t.Fatalf("sync_interval: always: SyncAlways=%v JetStream=%v err=%v, want true, true, nil", opts != nil && opts.SyncAlways, opts != nil && opts.JetStream, err)
	}
}

func TestNATSConfigVars(t *testing.T) {
	got := natsConfigVars("server_name: $A\n# password: $COMMENTED\nauthorization { password: $B } // $C\nx: $A\nd: { \"$G\": hub }\n")
	if want := "A B"; strings.Join(got, " ") != want {
		t.Fatalf("natsConfigVars = %q, want %q", got, want)
	}
}
