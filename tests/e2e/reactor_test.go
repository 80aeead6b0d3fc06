package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/headertext"
)

// A reactor whose initialization fails is refused at deploy with its
// stderr in the message. The CLI prints exactly that message, also when
// the stderr holds NUL, other control bytes, a terminal escape and
// invalid UTF-8: escaped (internal/headertext), never as raw bytes and
// never as a transport error about a malformed header. A plain net/http
// client, as curl, reads the admin API's answer too.
func TestReactorInitFailureMessages(t *testing.T) {
	n := startNode(t, "")
	// wazero's trap message and stack trace, then the guest's stderr.
	const trapped = "wisp deploy: deploy app \"bad\": pre-initialize reactor: _initialize: module trapped: wasm error: unreachable\nwasm stack trace:\n\t.$1(); its stderr ends with: "
	for _, tc := range []struct {
		name     string
		fixture  string
		progress string // the CLI's progress lines
		failure  string // then its error, whole
	}{
		{
			"stderr of text", "reactor-inittrap.wasm",
			"uploading module testdata/wasm/reactor-inittrap.wasm (179B)...\ndeploying bad...\n",
			// The fixture writes 33 bytes: its message and a NUL.
			trapped + `config missing: set DATABASE_URL\x00` + "\n",
		},
		{
			"stderr of control bytes and invalid UTF-8", "reactor-initctl.wasm",
			"uploading module testdata/wasm/reactor-initctl.wasm (219B)...\ndeploying bad...\n",
			// NUL, SOH, ESC and DEL are escaped; CR LF is a line feed;
			// the tab and "été" stay; the byte 0xff is U+FFFD.
			trapped + `booting\x00\x01\x1b[31m red\x1b[0m` + "\n" + "config \\ etc\tété \ufffd" + `\x7f missing: set DATABASE_URL` + "\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := n.wisp("deploy", fixture(tc.fixture), "--name", "bad", "--route", "/bad")
			// Progress goes to stdout or stderr; either way it comes first.
			if got, want := stdout+stderr, tc.progress+tc.failure; code != 1 || got != want || !strings.HasSuffix(stderr, tc.failure) {
				t.Errorf("wisp deploy: exit %d, stdout %q, stderr\n%q\nwant exit 1, output\n%q\nending stderr", code, stdout, stderr, want)
			}
			if strings.Contains(stderr, "malformed") || strings.Contains(stderr, "transport") {
				t.Errorf("wisp deploy reported a transport error: %s", stderr)
			}

			// The same deploy through net/http alone (the CLI uploaded the module).
			module, err := os.ReadFile(fixture(tc.fixture))
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(module)
			spec := `{"module":"sha256:` + hex.EncodeToString(sum[:]) + `","routes":["/bad"]}`
			req, _ := http.NewRequest("PUT", n.Admin+"/v1/apps/bad", strings.NewReader(spec))
			req.Header.Set("Authorization", "Bearer "+n.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("PUT /v1/apps/bad with net/http: %v", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var answer struct{ Error, Code string }
			if err := json.Unmarshal(body, &answer); err != nil {
				t.Fatalf("PUT /v1/apps/bad: %s, body %q is not JSON: %v", resp.Status, body, err)
			}
			message := strings.TrimSuffix(strings.TrimPrefix(tc.failure, "wisp deploy: "), "\n")
			if resp.StatusCode != http.StatusBadRequest || answer.Code != "invalid" || answer.Error != message {
				t.Errorf("PUT /v1/apps/bad = %d %s %q\nwant 400 invalid %q", resp.StatusCode, answer.Code, answer.Error, message)
			}
			header := resp.Header.Get("Wisp-Error")
			if want := strings.Join(strings.Fields(message), " "); headertext.Decode(header) != want {
				t.Errorf("Wisp-Error %q decodes to\n%q\nwant\n%q", header, headertext.Decode(header), want)
			}
		})
	}
	if apps := n.mustWisp("apps"); strings.Contains(apps, "bad") {
		t.Fatalf("a refused deploy was stored:\n%s", apps)
	}
}
