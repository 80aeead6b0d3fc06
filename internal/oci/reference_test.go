package oci_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/oci"
)

const hexDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseReference(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want oci.Reference
	}{
		{"localhost:5000/hello:1.0", oci.Reference{Registry: "localhost:5000", Repository: "hello", Tag: "1.0"}},
		{"oci://ghcr.io/acme/tools/hello:v2", oci.Reference{Registry: "ghcr.io", Repository: "acme/tools/hello", Tag: "v2"}},
		{"127.0.0.1:5000/hello@" + hexDigest, oci.Reference{Registry: "127.0.0.1:5000", Repository: "hello", Digest: hexDigest}},
		{"ghcr.io/acme/hello:1.0@" + hexDigest, oci.Reference{Registry: "ghcr.io", Repository: "acme/hello", Tag: "1.0", Digest: hexDigest}},
		{"localhost/hello:latest", oci.Reference{Registry: "localhost", Repository: "hello", Tag: "latest"}},
		{"[::1]:5000/hello:1", oci.Reference{Registry: "[::1]:5000", Repository: "hello", Tag: "1"}},
		{"http://reg.example.com/hello:1", oci.Reference{Registry: "reg.example.com", Repository: "hello", Tag: "1", Scheme: "http"}},
		{"https://localhost:5000/a.b/c_d-e:X_1.2-rc", oci.Reference{Registry: "localhost:5000", Repository: "a.b/c_d-e", Tag: "X_1.2-rc", Scheme: "https"}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := oci.ParseReference(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("ParseReference(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
			if again, err := oci.ParseReference(got.String()); err != nil || again != got {
				t.Errorf("String() = %q parses to %+v, %v; want the same reference", got.String(), again, err)
			}
		})
	}
}

func TestParseReferenceErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", `reference "" is empty`},
		{"scheme alone", "oci://", `reference "oci://" is empty: write oci://REGISTRY/REPOSITORY:TAG or oci://REGISTRY/REPOSITORY@sha256:<64 hex>, like oci://localhost:5000/hello:1.0`},
		{"docker hub short form with scheme", "oci://acme/hello:1", `write the registry first, like oci://docker.io/acme/hello:1 or oci://localhost:5000/acme/hello:1`},
		{"no registry", "hello:1.0", `does not name a registry`},
		{"docker hub short form", "acme/hello:1.0", `does not start with a registry host ("acme" has no '.' or ':' and is not localhost); write the registry first, like docker.io/acme/hello:1.0`},
		{"no tag or digest", "localhost:5000/hello", `names no tag or digest: add one, like localhost:5000/hello:1.0`},
		{"upper case repository", "ghcr.io/Acme/hello:1", `repository "Acme/hello" is not valid`},
		{"no repository", "ghcr.io/:1", `has no repository`},
		{"bad tag", "ghcr.io/acme/hello:-x", `tag "-x" is not valid`},
		{"short digest", "ghcr.io/acme/hello@sha256:abc", `digest "sha256:abc" is not "sha256:" followed by 64 lower case hex digits`},
		{"other algorithm", "ghcr.io/acme/hello@sha512:" + strings.Repeat("a", 128), `is not "sha256:"`},
		{"unknown scheme", "ftp://ghcr.io/acme/hello:1", `unknown scheme "ftp://"`},
		{"blank", "ghcr.io/acme/hello :1", `contains blanks`},
		{"bad registry", "ghcr.io:x:y/hello:1", `registry "ghcr.io:x:y" is not a valid host[:port]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := oci.ParseReference(tc.in)
			if err == nil {
				t.Fatalf("ParseReference(%q) succeeded; want an error containing %q", tc.in, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseReference(%q) = %q; want it to contain %q", tc.in, err, tc.want)
			}
			if !errors.Is(err, wisp.ErrInvalid) {
				t.Errorf("error %q does not match wisp.ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), "like") {
				t.Errorf("error %q shows no valid example", err)
			}
		})
	}
}

func TestReferenceIsLoopback(t *testing.T) {
	for registry, want := range map[string]bool{
		"localhost": true, "localhost:5000": true, "LOCALHOST:5000": true, "127.0.0.1:5000": true, "127.8.9.10": true,
		"[::1]:5000": true, "[::1]": true,
		"ghcr.io": false, "10.0.0.1:5000": false, "localhost.example.com:5000": false, "[::2]:5000": false,
	} {
		if got := (oci.Reference{Registry: registry}).IsLoopback(); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", registry, got, want)
		}
	}
}

func TestDockerConfigPath(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"DOCKER_CONFIG wins", map[string]string{"DOCKER_CONFIG": "/etc/docker-cfg", "HOME": "/home/me"}, "/etc/docker-cfg/config.json"},
		{"home", map[string]string{"HOME": "/home/me"}, "/home/me/.docker/config.json"},
		{"neither", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := oci.DockerConfigPath(func(k string) string { return tc.env[k] }); got != tc.want {
				t.Errorf("DockerConfigPath = %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzParseReference checks that ParseReference never panics, that what
// it accepts prints back to an equal reference, and that it only accepts
// references naming a tag or a sha256 digest.
func FuzzParseReference(f *testing.F) {
	for _, s := range []string{
		"localhost:5000/hello:1.0", "oci://ghcr.io/acme/hello@" + hexDigest, "ghcr.io/a/b:c@" + hexDigest,
		"http://[::1]:5000/x:y", "acme/hello", "ghcr.io/:", "ghcr.io/a@", "a.b/c:d:e", "oci://", "https://x.y/z:1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := oci.ParseReference(s)
		if err != nil {
			if !errors.Is(err, wisp.ErrInvalid) {
				t.Fatalf("ParseReference(%q) error %q does not match wisp.ErrInvalid", s, err)
			}
			return
		}
		if ref.Tag == "" && ref.Digest == "" {
			t.Fatalf("ParseReference(%q) = %+v: neither tag nor digest", s, ref)
		}
		if ref.Digest != "" && wisp.ValidateDigest(ref.Digest) != nil {
			t.Fatalf("ParseReference(%q) accepted digest %q", s, ref.Digest)
		}
		again, err := oci.ParseReference(ref.String())
		if err != nil || again != ref {
			t.Fatalf("ParseReference(%q) = %+v, whose String %q parses to %+v, %v", s, ref, ref.String(), again, err)
		}
	})
}

func ExampleParseReference() {
	for _, s := range []string{
		"oci://ghcr.io/acme/hello:1.0",
		"localhost:5000/hello@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"acme/hello:1.0",
	} {
		ref, err := oci.ParseReference(s)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Printf("registry %s, repository %s, tag %q, loopback %v\n", ref.Registry, ref.Repository, ref.Tag, ref.IsLoopback())
	}
	// Output:
	// registry ghcr.io, repository acme/hello, tag "1.0", loopback false
	// registry localhost:5000, repository hello, tag "", loopback true
	// error: reference "acme/hello:1.0" does not start with a registry host ("acme" has no '.' or ':' and is not localhost); write the registry first, like docker.io/acme/hello:1.0 or localhost:5000/acme/hello:1.0
}
