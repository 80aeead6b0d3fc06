package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCall runs the plugin package's test plugins (plugin/testdata: a C
// plugin built against Extism's ABI and a WAT one) through wisp call, with
// the results Extism documents.
func TestCall(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hi from %s", r.URL.Path)
	}))
	defer upstream.Close()
	const kitchen, abi = "../../plugin/testdata/kitchen.wasm", "../../plugin/testdata/abi.wasm"
	inputFile := filepath.Join(t.TempDir(), "input.txt")
	if err := os.WriteFile(inputFile, []byte("from a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string // stderr: a substring
	}{
		{"count_vowels", []string{"call", "--wasi", kitchen, "count_vowels", "--input", "Hello, World!"}, 0, `{"count":3,"total":3,"vowels":"aeiouAEIOU"}` + "\n", ""},
		{"config", []string{"call", "--wasi", "--config", "vowels=o", kitchen, "count_vowels", "--input", "Hello, World!"}, 0, `{"count":2,"total":2,"vowels":"o"}` + "\n", ""},
		{"greet", []string{"call", "--wasi", "--config", "greeting=Howdy", kitchen, "greet", "--input", "Ada"}, 0, "Howdy, Ada!\n", ""},
		{"http to an allowed loopback host", []string{"call", "--wasi", "--allow-host", "127.0.0.1", kitchen, "fetch", "--input", upstream.URL + "/x"}, 0, "200 hi from /x\n", ""},
		{"http to a host not allowed", []string{"call", "--wasi", kitchen, "fetch", "--input", upstream.URL + "/x"}, 1, "", "is not allowed: the plugin has no allowed hosts"},
		{"logs and stderr", []string{"call", "--wasi", "--log-level", "error", kitchen, "log"}, 0, "", "error: error from C\nstderr from C\n"},
		{"error_set", []string{"call", "--wasi", kitchen, "fail"}, 1, "", "wisp call: plugin function fail failed: something went wrong (code 1)\n"},
		{"host function wisp call lacks", []string{"call", "--wasi", kitchen, "risk"}, 1, "", "the plugin called extism:host/user.risk_score, a host function this host does not provide"},
		{"without WASI", []string{"call", kitchen, "greet"}, 1, "", "but WASI is not enabled for this plugin: enable it (plugin.Config.WASI, wisp call --wasi)"},
		{"Go plugin", []string{"call", "--wasi", "--config", "greeting=Ciao", "../../plugin/testdata/goabi/goabi.wasm", "greet", "--input", "Go"}, 0, "Ciao, Go!\n", ""},
		{"Rust plugin", []string{"call", "--wasi", "--config", "greeting=Hallo", "../../plugin/testdata/rustabi/rustabi.wasm", "greet", "--input", "Rust"}, 0, "Hallo, Rust!\n", ""},
		{"input file", []string{"call", abi, "upper", "--input-file", inputFile}, 0, "FROM A FILE\n", ""},
		{"missing input file", []string{"call", abi, "upper", "--input-file", "nowhere.txt"}, 1, "", "read the input: open nowhere.txt: no such file or directory"},
		{"WAT plugin", []string{"call", abi, "upper", "--input", "shout"}, 0, "SHOUT\n", ""},
		{"timeout", []string{"call", "--timeout", "50ms", abi, "spin"}, 124, "", "killed at its deadline"},
		{"memory hog", []string{"call", "--memory", "1MiB", abi, "grow"}, 1, "", "refused memory beyond its limit of 1048576 bytes"},
		{"cpu budget enough", []string{"call", "--cpu", "1s", abi, "upper", "--input", "shout"}, 0, "SHOUT\n", ""},
		{"cpu budget spent", []string{"call", "--cpu", "20ms", "--timeout", "1m", abi, "spin"}, 152, "", "spin: stopped at its CPU limit of 20ms (Limits.CPU;"},
		{"no function", []string{"call", abi, "nope"}, 1, "", "no such function: the plugin exports counter, echo"},
		{"missing function argument", []string{"call", abi}, 2, "", "want FILE.wasm and the FUNCTION to call"},
		{"bad config", []string{"call", "--config", "x", abi, "echo"}, 2, "", `--config "x": write KEY=VALUE`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := invoke(t, tc.args...).must(t, tc.code)
			if r.stdout != tc.stdout {
				t.Errorf("stdout %q, want %q", r.stdout, tc.stdout)
			}
			if !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tc.stderr)
			}
		})
	}
}
