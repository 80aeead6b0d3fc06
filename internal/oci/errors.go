package oci

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/wisphq/wisp"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// ErrDigestMismatch matches the error of a download whose content does not
// hash to the digest (or has not the size) its manifest names: the
// registry, or something between it and us, returned tampered or corrupt
// content. Nothing of it was written.
var ErrDigestMismatch = errors.New("content does not match its digest")

// ErrUnauthorized matches the error of a registry refusing the request for
// want of credentials, or of the right ones (HTTP 401 or 403).
var ErrUnauthorized = errors.New("unauthorized")

// ErrNotWasm matches the error of pulling an artifact that is not a
// single Wasm module in the layout the package documents: a container
// image, an index, several layers, a layer of another type.
var ErrNotWasm = errors.New("not a Wasm module artifact")

// explainedError is an error reworded for people: it prints msg, and
// errors.Is and errors.As see kind (if not nil) and err.
type explainedError struct {
	msg  string
	kind error
	err  error
}

func (e *explainedError) Error() string { return e.msg }

func (e *explainedError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.kind, e.err} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// invalidf formats an error matching wisp.ErrInvalid whose message does
// not start with "invalid".
func invalidf(format string, args ...any) error {
	return &explainedError{msg: fmt.Sprintf(format, args...), kind: wisp.ErrInvalid}
}

// notWasmf formats an error matching ErrNotWasm.
func notWasmf(format string, args ...any) error {
	return &explainedError{msg: fmt.Sprintf(format, args...), kind: ErrNotWasm}
}

// tamperedError is the error of content from ref's repository that does
// not match digest.
func tamperedError(digest string, ref Reference) error {
	return &explainedError{
		msg:  fmt.Sprintf("blob %s from %s does not match its digest: the registry returned tampered or corrupt content", digest, ref.Repo()),
		kind: ErrDigestMismatch,
	}
}

// explain rewords the errors of talking to ref's registry that people
// meet most (no or wrong credentials, not found, plain HTTP) so they say
// what to do. action is "push to" or "pull from". Other errors are
// returned as they are.
func (c *Client) explain(ctx context.Context, err error, ref Reference, action string) error {
	var resp *errcode.ErrorResponse
	var dial *net.OpError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &resp) && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden):
		return c.authError(ctx, err, resp.StatusCode, ref, action)
	case errors.Is(err, auth.ErrBasicCredentialNotFound): // asked for basic auth, and there are no credentials
		return c.authError(ctx, err, http.StatusUnauthorized, ref, action)
	case errors.As(err, &resp) && resp.StatusCode == http.StatusNotFound, errors.Is(err, errdef.ErrNotFound):
		return &explainedError{
			msg:  notFoundMessage(ref),
			kind: wisp.ErrNotFound, err: err,
		}
	case errors.As(err, &dial) && dial.Op == "dial":
		return &explainedError{
			msg: fmt.Sprintf("cannot reach registry %s: %v: check the registry's address, and that it is running", ref.Registry, dial.Err),
			err: err,
		}
	case errors.Is(err, http.ErrSchemeMismatch):
		return &explainedError{
			msg: fmt.Sprintf("registry %s answered HTTPS with plain HTTP: Wisp speaks plain HTTP only to registries on this machine; "+
				"pass --plain-http if you trust the network between you and %s", ref.Registry, ref.Registry),
			err: err,
		}
	}
	return err
}

// authError explains a 401 or 403 answer, saying where the credentials
// came from and how to give others.
func (c *Client) authError(ctx context.Context, err error, status int, ref Reference, action string) error {
	source := c.credentialSource(ctx, ref.orasHost())
	login := fmt.Sprintf("log in with \"docker login %s\" (or \"oras login %s\")", ref.Registry, ref.Registry)
	if c.opts.CredentialsHint != "" {
		login += ", or " + c.opts.CredentialsHint
	}
	var msg string
	switch {
	case status == http.StatusForbidden && source != "":
		msg = fmt.Sprintf("denied: %s does not let %s %s %s: ask for access to the repository, or %s", ref.Registry, source, action, ref.Repo(), login)
	case status == http.StatusForbidden:
		msg = fmt.Sprintf("denied: %s does not let anonymous users %s %s: %s", ref.Registry, action, ref.Repo(), login)
	case c.opts.Username != "":
		msg = fmt.Sprintf("unauthorized: %s rejected %s: check the user name and password", ref.Registry, source)
	case source != "":
		msg = fmt.Sprintf("unauthorized: %s rejected %s: %s", ref.Registry, source, login)
	default:
		msg = fmt.Sprintf("unauthorized: %s needs credentials to %s %s, and none were found: %s", ref.Registry, action, ref.Repo(), login)
	}
	return &explainedError{msg: msg, kind: ErrUnauthorized, err: err}
}

// orasHost is the host oras-go asks credentials for: Docker Hub's API
// host for docker.io, else the registry as written.
func (r Reference) orasHost() string {
	return r.orasReference().Host()
}

// notFoundMessage says what to do about a reference the registry does not
// have: push to a tag; a digest can only be pushed, not chosen.
func notFoundMessage(ref Reference) string {
	if ref.Digest != "" {
		return fmt.Sprintf("%s not found in the registry: check the repository and the digest (wisp push prints the digest of what it pushed)", ref)
	}
	return fmt.Sprintf("%s not found in the registry: check the repository and the tag, or push the module first: wisp push FILE.wasm %s", ref, ref)
}
