package check

import (
	"bytes"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Checks of deploy/systemd: the units, their environment files and the
// 3-server nats.conf.

var systemdDir = filepath.Join(repoRoot, "deploy", "systemd")

// unit is a parsed systemd unit file: section -> key -> values in order.
type unit map[string]map[string][]string

// parseUnit reads a unit file, joining lines continued with a backslash.
func parseUnit(t *testing.T, name string) unit {
	t.Helper()
	text := strings.ReplaceAll(readFile(t, filepath.Join(systemdDir, name)), "\\\n", " ")
	u := unit{}
	section := ""
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		default:
			key, value, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s: line %q is not KEY=VALUE in a section", name, line)
			}
			u[section][key] = append(u[section][key], strings.Join(strings.Fields(value), " "))
		}
	}
	return u
}

// last returns the effective (last) value of a [Service] key.
func (u unit) last(key string) string {
	v := u["Service"][key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// environment is what the service's processes get from Environment= lines,
// then from the example EnvironmentFile (which overrides them).
func (u unit) environment(t *testing.T, envExample string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, e := range u["Service"]["Environment"] {
		for _, kv := range strings.Fields(e) {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
	}
	for _, line := range strings.Split(readFile(t, filepath.Join(systemdDir, envExample)), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: line %q is not KEY=VALUE", envExample, line)
		}
		env[k] = v
	}
	return env
}

// execArgs splits an Exec line and expands variables as systemd does:
// ${NAME} is replaced within a word, a word that is exactly $NAME becomes
// the value's whitespace-separated words. It returns the names not in env.
func execArgs(line string, env map[string]string) (args, missing []string) {
	for _, word := range strings.Fields(line) {
		if name, ok := strings.CutPrefix(word, "$"); ok && !strings.HasPrefix(name, "{") {
			v, ok := env[name]
			if !ok {
				missing = append(missing, name)
			}
			args = append(args, strings.Fields(v)...)
			continue
		}
		for {
			i := strings.Index(word, "${")
			j := strings.Index(word, "}")
			if i < 0 || j < i {
				break
			}
			name := word[i+2 : j]
			v, ok := env[name]
			if !ok {
				missing = append(missing, name)
			}
			word = word[:i] + v + word[j+1:]
		}
		args = append(args, word)
	}
	return args, missing
}

func TestExecArgs(t *testing.T) {
	args, missing := execArgs("/bin/x --a=${A} ${B}c $FLAGS $EMPTY $NOPE", map[string]string{"A": "1 2", "B": "b", "FLAGS": "--x --y=z", "EMPTY": ""})
	if want := []string{"/bin/x", "--a=1 2", "bc", "--x", "--y=z"}; !slices.Equal(args, want) || !slices.Equal(missing, []string{"NOPE"}) {
		t.Fatalf("execArgs = %q, missing %q; want %q, missing [NOPE]", args, missing, want)
	}
}

// stateDir is where StateDirectory= puts the service's state.
func (u unit) stateDir(t *testing.T, name string) string {
	t.Helper()
	sd := u.last("StateDirectory")
	if sd == "" {
		t.Fatalf("%s: no StateDirectory=; the service needs a writable directory under ProtectSystem=strict", name)
	}
	return "/var/lib/" + sd
}

// stopTimeout is TimeoutStopSec=, in systemd's "45s" or plain-seconds form.
func (u unit) stopTimeout(t *testing.T, name string) time.Duration {
	t.Helper()
	v := u.last("TimeoutStopSec")
	if v == "" {
		return 90 * time.Second // systemd's DefaultTimeoutStopSec
	}
	if !strings.ContainsAny(v, "smh") {
		v += "s"
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("%s: TimeoutStopSec=%s: %v", name, u.last("TimeoutStopSec"), err)
	}
	return d
}

func checkHardening(t *testing.T, name string, u unit) {
	t.Helper()
	for key, want := range map[string]string{"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes", "CapabilityBoundingSet": ""} {
		if got, ok := u["Service"][key]; !ok || u.last(key) != want {
			t.Errorf("%s: %s=%q, want %q", name, key, strings.Join(got, ","), want)
		}
	}
	if u.last("User") == "" && u.last("DynamicUser") != "yes" {
		t.Errorf("%s: runs as root: set User= or DynamicUser=yes", name)
	}
}

func TestSystemdWispUnit(t *testing.T) {
	const name = "wisp.service"
	u := parseUnit(t, name)
	checkHardening(t, name, u)
	if v := u.last("MemoryDenyWriteExecute"); v == "yes" || v == "true" {
		t.Errorf("%s: MemoryDenyWriteExecute=%s stops wazero from mapping the native code it compiles; remove it", name, v)
	}
	env := u.environment(t, "wisp.env.example")
	for _, k := range []string{"WISP_NATS", "WISP_TOKEN"} {
		if env[k] == "" {
			t.Errorf("wisp.env.example must set %s", k)
		}
	}
	args, missing := execArgs(u.last("ExecStart"), env)
	if len(missing) > 0 {
		t.Errorf("%s: ExecStart uses $%s, set neither by Environment= nor in wisp.env.example; an unset variable becomes an empty argument", name, strings.Join(missing, ", $"))
	}
	if len(args) < 2 || filepath.Base(args[0]) != "wisp" || args[1] != "serve" {
		t.Fatalf("%s: ExecStart %q, want wisp serve ...", name, args)
	}
	flags, _, err := parseFlags(args[2:])
	if err != nil {
		t.Fatalf("%s: ExecStart: %v", name, err)
	}
	if data := flags["data"]; data != u.stateDir(t, name) {
		t.Errorf("%s: --data %q, want the StateDirectory %s (the only writable place)", name, data, u.stateDir(t, name))
	}
	drain := durationFlag(t, flags, "drain-delay", 0)
	grace := durationFlag(t, flags, "grace", wispGraceFlag)
	if stop := u.stopTimeout(t, name); stop <= drain+grace {
		t.Errorf("%s: TimeoutStopSec %v, want more than --drain-delay + --grace (%v)", name, stop, drain+grace)
	}
	// The node logs in to the servers of deploy/systemd/nats.conf.
	opts := loadSystemdNATS(t)
	var routes []string
	for _, r := range opts.Routes {
		routes = append(routes, r.Hostname())
	}
	for _, raw := range strings.Split(flags["nats"], ",") {
		nu, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("wisp.env.example: WISP_NATS %q: %v", raw, err)
		}
		if nu.User.Username() != opts.Username || nu.Port() != "4222" || !slices.Contains(routes, nu.Hostname()) {
			t.Errorf("wisp.env.example: WISP_NATS has %s, want user %q on the client port of a server in nats.conf's routes (%v)", nu.Redacted(), opts.Username, routes)
		}
	}
}

// loadSystemdNATS loads deploy/systemd/nats.conf as nats-server.service runs
// it, after checking every variable it references is set for the service.
func loadSystemdNATS(t *testing.T) *server.Options {
	t.Helper()
	u := parseUnit(t, "nats-server.service")
	env := u.environment(t, "nats.env.example")
	text := readFile(t, filepath.Join(systemdDir, "nats.conf"))
	for _, v := range natsConfigVars(text) {
		val, ok := env[v]
		if !ok {
			t.Fatalf("deploy/systemd/nats.conf reads $%s, which neither nats-server.service's Environment= nor nats.env.example sets", v)
		}
		if strings.Contains(val, "%") { // a unit specifier such as %H
			val = "nats-1"
		}
		t.Setenv(v, val)
	}
	opts, err := processNATSConfig(text)
	if err != nil {
		t.Fatalf("deploy/systemd/nats.conf: nats-server cannot load it: %v", err)
	}
	return opts
}

func TestSystemdNATSServer(t *testing.T) {
	const name = "nats-server.service"
	u := parseUnit(t, name)
	checkHardening(t, name, u)
	opts := loadSystemdNATS(t)
	if !opts.JetStream || !opts.SyncAlways {
		t.Errorf("deploy/systemd/nats.conf: JetStream %v, sync_interval always %v; want both", opts.JetStream, opts.SyncAlways)
	}
	if sd := u.stateDir(t, name); opts.StoreDir != sd && !strings.HasPrefix(opts.StoreDir, sd+"/") {
		t.Errorf("deploy/systemd/nats.conf: store_dir %q is outside %s, the unit's StateDirectory (ProtectSystem=strict makes everything else read-only)", opts.StoreDir, sd)
	}
	hosts := map[string]bool{}
	for _, r := range opts.Routes {
		hosts[r.Hostname()] = true
		if r.Port() != "6222" || opts.Cluster.Port != 6222 {
			t.Errorf("deploy/systemd/nats.conf: route %s and cluster port %d must agree (6222)", r.Host, opts.Cluster.Port)
		}
	}
	if len(hosts) != natsReplicas || len(opts.Routes) != natsReplicas {
		t.Errorf("deploy/systemd/nats.conf: routes %v, want the %d servers of the cluster", routeHosts(opts.Routes), natsReplicas)
	}
	if opts.Username == "" || opts.Password == "" {
		t.Errorf("deploy/systemd/nats.conf: clients need no login; whoever reaches port 4222 could change the fleet's apps")
	}
	if u.last("KillSignal") != "SIGUSR2" {
		t.Errorf("%s: KillSignal=%s, want SIGUSR2 (lame duck mode, clients move to the other servers first)", name, u.last("KillSignal"))
	}
	if stop, need := u.stopTimeout(t, name), opts.LameDuckDuration+opts.LameDuckGracePeriod; stop <= need {
		t.Errorf("%s: TimeoutStopSec %v, want more than lame_duck_duration + lame_duck_grace_period (%v)", name, stop, need)
	}
}

func TestSystemdAnalyzeVerify(t *testing.T) {
	// systemd's own reading of the units: unknown keys, bad values. Binaries
	// are replaced by /bin/true, which verify requires to exist.
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	dir := t.TempDir()
	var units []string
	for _, name := range []string{"wisp.service", "nats-server.service"} {
		text := readFile(t, filepath.Join(systemdDir, name))
		for _, bin := range []string{"/usr/local/bin/wisp", "/usr/local/bin/nats-server"} {
			text = strings.ReplaceAll(text, bin+" ", "/bin/true ")
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		units = append(units, path)
	}
	out, err := exec.Command(analyze, append([]string{"verify", "--man=no"}, units...)...).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify finds problems in deploy/systemd (exit: %v); systemd would ignore these lines:\n%s", err, out)
	}
}
