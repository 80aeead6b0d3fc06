package oci_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/oci"
	"github.com/wisphq/wisp/internal/oci/ocitest"
)

// writeDockerConfig writes a docker config holding user:password for
// registry, as docker login does without a credential helper.
func writeDockerConfig(t *testing.T, registry, user, password string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.json")
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	if err := os.WriteFile(path, fmt.Appendf(nil, `{"auths":{%q:{"auth":%q}}}`, registry, auth), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAuthentication(t *testing.T) {
	reg := ocitest.Start(t, ocitest.Options{Users: map[string]string{"alice": "s3cret"}})
	path, _ := writeModule(t, t.TempDir(), "hello.wasm", 512)
	ref := mustParse(t, reg.Host+"/private/hello:1")
	hint := "set WISP_REGISTRY_USERNAME and WISP_REGISTRY_PASSWORD"

	for _, tc := range []struct {
		name string
		opts oci.Options
		want string // "" for success
	}{
		{
			name: "no credentials",
			opts: oci.Options{CredentialsHint: hint},
			want: "unauthorized: " + reg.Host + " needs credentials to push to " + reg.Host + "/private/hello, and none were found: " +
				`log in with "docker login ` + reg.Host + `" (or "oras login ` + reg.Host + `"), or ` + hint,
		},
		{
			name: "wrong password in the docker config",
			opts: oci.Options{DockerConfig: writeDockerConfig(t, reg.Host, "alice", "wrong")},
			want: "unauthorized: " + reg.Host + " rejected the credentials for " + reg.Host + " in ",
		},
		{
			name: "wrong explicit password",
			opts: oci.Options{Username: "alice", Password: "wrong"},
			want: `unauthorized: ` + reg.Host + ` rejected the explicit credentials of user "alice": check the user name and password`,
		},
		{name: "docker config", opts: oci.Options{DockerConfig: writeDockerConfig(t, reg.Host, "alice", "s3cret")}},
		{name: "explicit credentials", opts: oci.Options{Username: "alice", Password: "s3cret"}},
		{
			name: "explicit credentials win over the docker config",
			opts: oci.Options{Username: "alice", Password: "s3cret", DockerConfig: writeDockerConfig(t, reg.Host, "alice", "wrong")},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, tc.opts)
			_, err := c.Push(t.Context(), ref, path)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.Pull(t.Context(), ref, filepath.Join(t.TempDir(), "out.wasm")); err != nil {
					t.Fatalf("pull with the credentials that pushed: %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) || !errors.Is(err, oci.ErrUnauthorized) {
				t.Fatalf("Push = %v\nwant an error starting with %q, matching ErrUnauthorized", err, tc.want)
			}
			if _, err := c.Resolve(t.Context(), ref); !errors.Is(err, oci.ErrUnauthorized) || !strings.Contains(err.Error(), "pull from") && !strings.Contains(err.Error(), "rejected") {
				t.Errorf("Resolve = %v; want ErrUnauthorized", err)
			}
		})
	}
}

// recordingTransport fails every request, recording its URL.
type recordingTransport struct {
	mu   sync.Mutex
	urls []string
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.urls = append(r.urls, req.URL.String())
	return nil, errors.New("no network in this test")
}

// TestProtocolChoice checks which protocol each registry is spoken to in,
// and that plain HTTP to another machine is refused before connecting.
func TestProtocolChoice(t *testing.T) {
	for _, tc := range []struct {
		ref       string
		plainHTTP bool
		want      string // URL prefix of the first request; "" for none
		err       string
	}{
		{ref: "localhost:5000/x:1", want: "http://localhost:5000/v2/x/"},
		{ref: "127.0.0.1:5000/x:1", want: "http://127.0.0.1:5000/v2/x/"},
		{ref: "[::1]:5000/x:1", want: "http://[::1]:5000/v2/x/"},
		{ref: "registry.example.com/x:1", want: "https://registry.example.com/v2/x/"},
		{ref: "registry.example.com/x:1", plainHTTP: true, want: "http://registry.example.com/v2/x/"},
		{ref: "https://localhost:5000/x:1", want: "https://localhost:5000/v2/x/"},
		{ref: "http://localhost:5000/x:1", want: "http://localhost:5000/v2/x/"},
		{ref: "http://registry.example.com/x:1", plainHTTP: true, want: "http://registry.example.com/v2/x/"},
		{ref: "http://registry.example.com/x:1", err: "refusing plain HTTP to registry.example.com, which is not on this machine: anyone on the network could read or change the module; use HTTPS (drop \"http://\"), or pass --plain-http if you trust the network"},
	} {
		t.Run(fmt.Sprintf("%s plain-http=%v", tc.ref, tc.plainHTTP), func(t *testing.T) {
			rt := &recordingTransport{}
			c := newClient(t, oci.Options{PlainHTTP: tc.plainHTTP, HTTPClient: &http.Client{Transport: rt}})
			_, err := c.Resolve(t.Context(), mustParse(t, tc.ref))
			if tc.err != "" {
				if err == nil || err.Error() != tc.err || !errors.Is(err, wisp.ErrInvalid) {
					t.Errorf("Resolve = %v; want %q", err, tc.err)
				}
				if len(rt.urls) > 0 {
					t.Errorf("Resolve sent %v; want nothing sent", rt.urls)
				}
				return
			}
			if len(rt.urls) == 0 || !strings.HasPrefix(rt.urls[0], tc.want) {
				t.Errorf("Resolve sent %v; want a request to %s...", rt.urls, tc.want)
			}
		})
	}
}

// TestHTTPSAnsweredWithPlainHTTP checks the advice when a registry speaks
// only plain HTTP and the client used HTTPS.
func TestHTTPSAnsweredWithPlainHTTP(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	_, err := newClient(t, oci.Options{}).Resolve(t.Context(), mustParse(t, "https://"+host+"/x:1"))
	want := "registry " + host + " answered HTTPS with plain HTTP"
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "--plain-http") {
		t.Errorf("Resolve = %v; want an error starting with %q advising --plain-http", err, want)
	}
}
