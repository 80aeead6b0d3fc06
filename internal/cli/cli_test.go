package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testdata is the absolute path of testdata/: tests change directory.
var testdata string

func TestMain(m *testing.M) {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	testdata = filepath.Join(wd, "testdata")
	os.Exit(m.Run())
}

// result is what one run of the command line did.
type result struct {
	code           int
	stdout, stderr string
}

// invoke runs the command line in-process through Run, as main does.
func invoke(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(t.Context(), append([]string{"wisp"}, args...), &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// invoke runs an API verb against the fake node, adding the connection flags
// after the verb's own arguments.
func (n *fakeNode) invoke(t *testing.T, args ...string) result {
	t.Helper()
	return invoke(t, append(args, "--admin", n.url, "--token", n.token)...)
}

// must fails the test unless the run exited with code.
func (r result) must(t *testing.T, code int) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	return r
}

// checkGolden compares got with testdata/NAME.golden; go test -update
// rewrites the file instead.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join(testdata, name+".golden"), got, *update)
}

func TestHelpOfEveryVerb(t *testing.T) {
	for _, cmd := range commands() {
		t.Run(cmd.name, func(t *testing.T) {
			help := invoke(t, "help", cmd.name).must(t, 0)
			if help.stderr != "" {
				t.Errorf("help wrote to stderr: %s", help.stderr)
			}
			checkGolden(t, "help/"+cmd.name, help.stdout)
			for _, args := range [][]string{
				{cmd.name, "-h"}, {cmd.name, "--help"}, {cmd.name, "-help"},
				{"help", cmd.name, "-h"}, {"help", "-h", cmd.name}, {"-h", cmd.name}, {"--help", cmd.name},
			} {
				if got := invoke(t, args...).must(t, 0); got.stdout != help.stdout {
					t.Errorf("'wisp %s' differs from 'wisp help %s':\n%s", strings.Join(args, " "), cmd.name, got.stdout)
				}
			}
			for _, want := range []string{"Usage: wisp " + cmd.name, "Examples:\n  wisp " + cmd.name} {
				if !strings.Contains(help.stdout, want) {
					t.Errorf("help lacks %q", want)
				}
			}
		})
	}
}

func TestOverview(t *testing.T) {
	help := invoke(t, "help").must(t, 0)
	checkGolden(t, "help/overview", help.stdout)
	for _, cmd := range commands() {
		if !strings.Contains(help.stdout, "  "+cmd.name+" ") || !strings.Contains(help.stdout, cmd.summary) {
			t.Errorf("overview does not list %s with its summary %q", cmd.name, cmd.summary)
		}
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help", "help"}, {"help", "-h"}, {"help", "--help"}, {"help", "help", "-h"}} {
		if got := invoke(t, args...).must(t, 0); got.stdout != help.stdout {
			t.Errorf("wisp %s differs from wisp help", strings.Join(args, " "))
		}
	}
	serve := invoke(t, "help", "serve").must(t, 0)
	if !strings.Contains(serve.stdout+serve.stderr, "wisp serve") {
		t.Errorf("'wisp help serve' printed no help of serve: %+v", serve)
	}
	bare := invoke(t).must(t, 2)
	if bare.stderr != help.stdout || bare.stdout != "" {
		t.Errorf("bare 'wisp' should print the overview to stderr and exit 2; got stdout %q stderr %q", bare.stdout, bare.stderr)
	}
}

func TestUnknownVerb(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"dploy"}, `wisp: unknown command "dploy"; did you mean "deploy"?`},
		{[]string{"ls"}, `wisp: unknown command "ls"; did you mean "apps"?`},
		{[]string{"lgos", "hello"}, `wisp: unknown command "lgos"; did you mean "logs"?`},
		{[]string{"roll"}, `wisp: unknown command "roll"; did you mean "rollback"?`},
		{[]string{"frobnicate"}, `wisp: unknown command "frobnicate"` + "\n"},
		{[]string{"help", "delpoy"}, `wisp: unknown command "delpoy"; did you mean "deploy"?`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got := invoke(t, tt.args...).must(t, 2)
			if !strings.Contains(got.stderr, tt.want) || !strings.Contains(got.stderr, "Run 'wisp help'") {
				t.Errorf("stderr = %q, want it to contain %q and point to 'wisp help'", got.stderr, tt.want)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"apps", "--bogus"}, "wisp apps: flag provided but not defined: --bogus"},
		{"bad output", []string{"apps", "--output", "yaml"}, `wisp apps: invalid value "yaml" for flag -output: use text or json`},
		{"missing name", []string{"logs"}, "wisp logs: want one app NAME, got 0 arguments"},
		{"extra argument", []string{"app", "a", "b"}, "wisp app: want one app NAME, got 2 arguments"},
		{"bad version", []string{"rollback", "hello", "latest"}, `wisp rollback: version "latest" is not a version number like 3`},
		{"negative tail", []string{"logs", "hello", "--tail", "-1"}, "wisp logs: --tail -1 is negative"},
		{"bad size", []string{"deploy", "a.wasm", "--memory", "lots"}, `wisp deploy: invalid value "lots" for flag -memory: size "lots" is not`},
		{"timeout without unit", []string{"deploy", "a.wasm", "--timeout", "5"}, `wisp deploy: invalid value "5" for flag -timeout: "5" has no unit: write 5s (or 500ms, 1m)`},
		{"run timeout without unit", []string{"run", "--timeout", "1.5", "a.wasm"}, `wisp run: invalid value "1.5" for flag -timeout: "1.5" has no unit: write 1.5s`},
		{"route without a slash", []string{"deploy", "a.wasm", "--route", "hello"}, `wisp deploy: invalid value "hello" for flag -route: routes start with "/"; did you mean "/hello"?` + "\n"},
		{"bad route", []string{"deploy", "a.wasm", "--route", "/a//b"}, `wisp deploy: invalid value "/a//b" for flag -route: route "/a//b" has an empty path segment`},
		{"mistyped flag", []string{"serve", "--listn", ":8080"}, "wisp serve: flag provided but not defined: --listn; did you mean --listen?\n"},
		{"mistyped flag after an argument", []string{"logs", "hello", "--folow"}, "wisp logs: flag provided but not defined: --folow; did you mean --follow?\n"},
		{"mistyped flag of run", []string{"run", "--dri", "x", "a.wasm"}, "wisp run: flag provided but not defined: --dri; did you mean --dir?\n"},
		{"flag of another verb", []string{"apps", "--route", "/x"}, "wisp apps: flag provided but not defined: --route; --route is a flag of wisp deploy\n"},
		{"no route", []string{"deploy", "hello.wasm"}, "wisp deploy: no routes for hello: add --route /hello"},
		{"bad name from file", []string{"deploy", "Hello_World.wasm", "--route", "/"}, `wisp deploy: cannot name the app after Hello_World.wasm`},
		{"two paths", []string{"deploy", "a", "b"}, "wisp deploy: want at most one PATH, got 2: a b"},
		{"run nothing", []string{"run"}, "wisp run: want the FILE.wasm to run"},
		{"bad dir", []string{"run", "--dir", "a:b:c:d", "x.wasm"}, `wisp run: --dir "a:b:c:d": write HOST, HOST:GUEST or HOST:GUEST:ro`},
		{"version argument", []string{"version", "now"}, `wisp version: unexpected argument "now"`},
		{"help of two", []string{"help", "a", "b"}, "wisp help: too many arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := invoke(t, tt.args...).must(t, 2)
			if !strings.Contains(got.stderr, tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", got.stderr, tt.want)
			}
			if tt.args[0] != "help" && !strings.Contains(got.stderr, "Run 'wisp help "+tt.args[0]+"' for details.") {
				t.Errorf("stderr = %q, want a pointer to 'wisp help %s'", got.stderr, tt.args[0])
			}
			if got.stdout != "" {
				t.Errorf("stdout = %q, want nothing", got.stdout)
			}
		})
	}
}

func TestFlagsBeforeCommand(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"flag of a command", []string{"--name", "x", "deploy", "a.wasm"}, "wisp: flag --name goes after the command: wisp deploy --name ... (only --admin, --token and --output may come first)\n"},
		{"no command known", []string{"-v", "frobnicate"}, "wisp: flag -v goes after the command: wisp COMMAND -v ... (only --admin, --token and --output may come first)\n"},
		{"no value", []string{"--token"}, "wisp: flag --token needs a value, then the command: wisp --token VALUE COMMAND\n"},
		{"no command", []string{"--token", "t"}, "wisp: no command after --token t\n\nwisp runs WebAssembly"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := invoke(t, tt.args...).must(t, 2)
			if !strings.HasPrefix(got.stderr, tt.want) {
				t.Errorf("stderr = %q, want it to start with %q", got.stderr, tt.want)
			}
		})
	}
	// A command without the flag reports it as its own.
	got := invoke(t, "--token", "t", "version").must(t, 2)
	if !strings.HasPrefix(got.stderr, "wisp version: flag provided but not defined: --token") {
		t.Errorf("stderr = %q", got.stderr)
	}
	// Help and --version still work after leading flags.
	if got := invoke(t, "--admin", "x", "help", "apps").must(t, 0); !strings.HasPrefix(got.stdout, "Usage: wisp apps") {
		t.Errorf("help after leading flags printed %q", got.stdout)
	}
}

func TestFlagSetParse(t *testing.T) {
	tests := []struct {
		name         string
		args         []string
		interspersed bool
		wantArgs     []string
		wantName     string
		wantVerbose  bool
	}{
		{"flags first", []string{"--name", "hi", "app.wasm"}, true, []string{"app.wasm"}, "hi", false},
		{"flags after", []string{"app.wasm", "--name", "hi", "-v"}, true, []string{"app.wasm"}, "hi", true},
		{"mixed", []string{"a", "-v", "b", "--name=x", "c"}, true, []string{"a", "b", "c"}, "x", true},
		{"double dash", []string{"a", "--", "--name", "x"}, true, []string{"a", "--name", "x"}, "", false},
		{"flags first only", []string{"-v", "app.wasm", "--name", "x"}, false, []string{"app.wasm", "--name", "x"}, "", true},
		{"no args", nil, true, nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFlagSet("test")
			name := fs.String("name", "", "")
			verbose := fs.Bool("v", false, "")
			got, err := fs.parse(tt.args, tt.interspersed)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.wantArgs) || *name != tt.wantName || *verbose != tt.wantVerbose {
				t.Errorf("parse(%q) = %q, name %q, v %v; want %q, %q, %v", tt.args, got, *name, *verbose, tt.wantArgs, tt.wantName, tt.wantVerbose)
			}
		})
	}
}

func TestSuggestVerb(t *testing.T) {
	tests := map[string]string{
		"deploy": "deploy", "dpeloy": "deploy", "app": "app", "aps": "apps", "rn": "rm",
		"rollbak": "rollback", "verison": "version", "serv": "serve", "--version": "version",
		"remove": "rm", "list": "apps", "zzzzzz": "", "x": "",
	}
	for in, want := range tests {
		if got := suggestVerb(in); got != want {
			t.Errorf("suggestVerb(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWrap(t *testing.T) {
	got := wrap("the quick brown fox jumps over the lazy dog", 10)
	want := []string{"the quick", "brown fox", "jumps over", "the lazy", "dog"}
	if !slices.Equal(got, want) {
		t.Errorf("wrap = %q, want %q", got, want)
	}
}
