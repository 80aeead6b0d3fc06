package oci

import (
	"fmt"
	"net"
	"regexp"
	"strings"

	"oras.land/oras-go/v2/registry"
)

// Reference names a Wasm artifact in a registry: REGISTRY/REPOSITORY:TAG,
// REGISTRY/REPOSITORY@sha256:HEX, or both (REGISTRY/REPOSITORY:TAG@sha256:HEX,
// where the digest decides what is fetched and the tag is informative).
type Reference struct {
	Registry   string // host and optional port, as written: "ghcr.io", "localhost:5000"
	Repository string // "acme/hello"
	Tag        string // "1.0"; empty in a digest reference
	Digest     string // manifest digest "sha256:<64 hex>"; empty in a tag reference
	// Scheme is "http" or "https" when the reference was written with that
	// prefix, asking for that protocol; empty lets the client choose (see
	// [Options.PlainHTTP]).
	Scheme string
}

// referenceForms ends reference errors: what a valid one looks like, with
// the prefix ("oci://" or none) the invalid one was written with.
func referenceForms(prefix string) string {
	return fmt.Sprintf("write %[1]sREGISTRY/REPOSITORY:TAG or %[1]sREGISTRY/REPOSITORY@sha256:<64 hex>, like %[1]slocalhost:5000/hello:1.0 or %[1]sghcr.io/acme/hello:1.0", prefix)
}

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// ParseReference parses a reference as the CLI and wisp.toml accept it:
// REGISTRY/REPOSITORY:TAG or REGISTRY/REPOSITORY@sha256:<64 hex> (or
// REGISTRY/REPOSITORY:TAG@sha256:...), optionally prefixed with "oci://",
// or with "http://" or "https://" to ask for that protocol. The registry
// must be written out: a first component without '.' or ':' that is not
// "localhost" is a repository path, not a registry, so "acme/hello:1" is
// refused rather than guessed to mean Docker Hub. Errors match
// [wisp.ErrInvalid] and say what a valid reference looks like.
func ParseReference(s string) (Reference, error) {
	var ref Reference
	rest, prefix := s, ""
	if scheme, after, ok := strings.Cut(s, "://"); ok {
		switch scheme {
		case "oci":
		case "http", "https":
			ref.Scheme = scheme
		default:
			return Reference{}, invalidf("reference %q: unknown scheme %q (use oci://, or none): %s", s, scheme+"://", referenceForms("oci://"))
		}
		rest, prefix = after, scheme+"://"
	}
	forms := referenceForms(prefix)
	if strings.ContainsAny(rest, " \t\r\n") {
		return Reference{}, invalidf("reference %q contains blanks: %s", s, forms)
	}
	host, path, ok := strings.Cut(rest, "/")
	switch {
	case rest == "":
		return Reference{}, invalidf("reference %q is empty: %s", s, forms)
	case !ok || host == "":
		return Reference{}, invalidf("reference %q does not name a registry: %s", s, forms)
	case !looksLikeHost(host):
		return Reference{}, invalidf("reference %q does not start with a registry host (%q has no '.' or ':' and is not localhost); write the registry first, like %sdocker.io/%s or %slocalhost:5000/%s", s, host, prefix, rest, prefix, rest)
	}
	ref.Registry = host
	if err := (registry.Reference{Registry: host}).ValidateRegistry(); err != nil {
		return Reference{}, invalidf("reference %q: registry %q is not a valid host[:port]: %s", s, host, forms)
	}
	if at := strings.LastIndex(path, "@"); at >= 0 {
		path, ref.Digest = path[:at], path[at+1:]
		if !digestRE.MatchString(ref.Digest) {
			return Reference{}, invalidf("reference %q: digest %q is not \"sha256:\" followed by 64 lower case hex digits: %s", s, ref.Digest, forms)
		}
	}
	// A ':' after the last '/' starts the tag.
	if colon := strings.LastIndex(path, ":"); colon > strings.LastIndex(path, "/") {
		path, ref.Tag = path[:colon], path[colon+1:]
		if err := (registry.Reference{Reference: ref.Tag}).ValidateReferenceAsTag(); err != nil {
			return Reference{}, invalidf("reference %q: tag %q is not valid: use up to 128 letters, digits, '_', '.' and '-', starting with a letter, digit or '_', like 1.0 or v2-rc.1", s, ref.Tag)
		}
	}
	ref.Repository = path
	switch {
	case path == "":
		return Reference{}, invalidf("reference %q has no repository after the registry: %s", s, forms)
	case (registry.Reference{Repository: path}).ValidateRepository() != nil:
		return Reference{}, invalidf("reference %q: repository %q is not valid: use lower case letters and digits, separated by '.', '_', '-' or '/', like acme/hello", s, path)
	case ref.Tag == "" && ref.Digest == "":
		return Reference{}, invalidf("reference %q names no tag or digest: add one, like %s:1.0 or %s@sha256:<64 hex>", s, s, s)
	}
	return ref, nil
}

// looksLikeHost reports whether the first component of a reference names
// a registry, by Docker's rule: it holds a '.' or a ':', or is localhost.
func looksLikeHost(s string) bool {
	return strings.ContainsAny(s, ".:") || s == "localhost"
}

// String returns the reference in the form ParseReference reads, without
// the "oci://" prefix.
func (r Reference) String() string {
	s := r.Registry + "/" + r.Repository
	if r.Scheme != "" {
		s = r.Scheme + "://" + s
	}
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// short returns the reference for a progress line: with its tag if it
// has one, else with the first 12 hex digits of its digest.
func (r Reference) short() string {
	if r.Tag != "" {
		r.Digest = ""
	} else if len(r.Digest) > len("sha256:")+12 {
		r.Digest = r.Digest[:len("sha256:")+12]
	}
	return r.String()
}

// Name returns the repository's last part: "hello" for
// ghcr.io/acme/hello:1.0.
func (r Reference) Name() string {
	return r.Repository[strings.LastIndex(r.Repository, "/")+1:]
}

// Repo returns REGISTRY/REPOSITORY, for messages about the repository.
func (r Reference) Repo() string { return r.Registry + "/" + r.Repository }

// Pinned returns the reference to the manifest digest alone,
// REGISTRY/REPOSITORY@sha256:..., which always fetches the same artifact.
func (r Reference) Pinned(manifestDigest string) Reference {
	r.Tag, r.Digest = "", manifestDigest
	return r
}

// IsLoopback reports whether the registry is on this machine: localhost,
// an address in 127.0.0.0/8, or ::1, with or without a port.
func (r Reference) IsLoopback() bool {
	host := r.Registry
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// orasReference is the reference in oras-go's form; the digest wins over
// the tag.
func (r Reference) orasReference() registry.Reference {
	ref := registry.Reference{Registry: r.Registry, Repository: r.Repository, Reference: r.Tag}
	if r.Digest != "" {
		ref.Reference = r.Digest
	}
	return ref
}
