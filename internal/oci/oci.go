// Package oci moves WebAssembly modules through OCI registries (Docker
// Hub, GHCR, ECR, Harbor, a local `registry`...), in the Wasm OCI artifact
// layout of the CNCF TAG-Runtime "wasm-oci-artifact" guide that wkg, oras
// and Spin-era tools use for one module:
//
//	manifest  application/vnd.oci.image.manifest.v1+json
//	config    application/vnd.wasm.config.v0+json
//	          {"created":"...","architecture":"wasm","os":"wasip1","layerDigests":["sha256:..."]}
//	layer     application/vnd.wasm.content.layer.v1+wasm  (the .wasm, byte for byte)
//
// The layer's digest is the sha256 of the .wasm, which is also the digest
// Wisp stores the module under, so a caller can ask a node whether it
// already has a module before downloading it ([Client.Resolve], then
// [Client.Download] only if needed).
//
// Pulling accepts what other tools push in that layout: any config (the
// spec's JSON, "{}", the OCI empty descriptor with an artifactType) as long
// as the manifest holds exactly one layer and it is a Wasm layer
// (application/vnd.wasm.content.layer.v1+wasm, or application/wasm as
// wkg writes it). Every downloaded byte is checked against the manifest's
// digest and size before it is handed over.
//
// Credentials come from the docker config (docker login, oras login,
// credential helpers) or are given explicitly; bearer-token registries
// work through oras-go's auth client. Plain HTTP is used only for loopback
// registries or when allowed with [Options.PlainHTTP].
package oci

import (
	"io"
	"net/http"
	"sync"

	"github.com/wisphq/wisp"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// Media types of the Wasm OCI artifact layout.
const (
	// ManifestMediaType is the manifest's: a plain OCI image manifest.
	ManifestMediaType = "application/vnd.oci.image.manifest.v1+json"
	// ConfigMediaType is the config's, which marks the artifact as Wasm.
	ConfigMediaType = "application/vnd.wasm.config.v0+json"
	// LayerMediaType is the module layer's, as Push writes it.
	LayerMediaType = "application/vnd.wasm.content.layer.v1+wasm"
	// LayerMediaTypeWasm is the module layer's as the CNCF guide and wkg
	// write it; Pull accepts both.
	LayerMediaTypeWasm = "application/wasm"
)

// Options configure a [Client]. The zero value works: credentials from the
// docker config of the process environment, HTTPS except for loopback
// registries, no progress display.
type Options struct {
	// Username and Password, when Username is set, are sent to the
	// registry instead of what the docker config holds, if it asks for
	// credentials.
	Username, Password string
	// DockerConfig is the docker config file whose "auths", "credsStore"
	// and "credHelpers" hold registry credentials, as docker login and
	// oras login write them. Default: $DOCKER_CONFIG/config.json, else
	// ~/.docker/config.json (see [DockerConfigPath]). A missing file means
	// no credentials. It is read on the first request needing credentials.
	DockerConfig string
	// PlainHTTP allows plain HTTP to every registry. Without it, loopback
	// registries (localhost, 127.0.0.0/8, ::1) are spoken to over plain
	// HTTP and every other over HTTPS; a reference written with an
	// "http://" prefix for another registry is refused before connecting.
	PlainHTTP bool
	// Progress, if not nil, receives a line per module transfer,
	// rewritten in place with "\r" each whole percent ("pulling
	// ghcr.io/acme/api:v2 3.1MiB / 12MiB  25%"), and a newline at its end:
	// meant for a terminal.
	Progress io.Writer
	// MaxModuleSize caps a module pulled or pushed, in bytes. Default
	// wisp.DefaultMaxBlobSize, what a node accepts by default.
	MaxModuleSize int64
	// UserAgent is sent with every request. Default "wisp".
	UserAgent string
	// CredentialsHint ends the message of an authentication failure with
	// another way to give credentials, such as "set
	// WISP_REGISTRY_USERNAME and WISP_REGISTRY_PASSWORD". Default: none.
	CredentialsHint string
	// HTTPClient sends the requests. Default: a client that retries
	// transient failures (oras-go's retry transport over
	// http.DefaultTransport).
	HTTPClient *http.Client
}

// Client pushes and pulls Wasm artifacts. It is safe for concurrent use;
// it caches bearer tokens per registry and repository for its lifetime.
type Client struct {
	opts Options
	auth *auth.Client

	storeOnce sync.Once
	store     credentials.Store // nil if the docker config could not be read
	storeErr  error
}

// New returns a client with opts. It does no I/O.
func New(opts Options) *Client {
	if opts.MaxModuleSize <= 0 {
		opts.MaxModuleSize = wisp.DefaultMaxBlobSize
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "wisp"
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: retry.NewTransport(nil)}
	}
	c := &Client{opts: opts}
	c.auth = &auth.Client{
		Client:     hc,
		Header:     http.Header{"User-Agent": {opts.UserAgent}},
		Cache:      auth.NewCache(),
		Credential: c.credential,
	}
	return c
}

// repository returns the oras-go client of ref's repository, speaking
// plain HTTP or HTTPS as described on [Options.PlainHTTP].
func (c *Client) repository(ref Reference) (*remote.Repository, error) {
	plain, err := c.plainHTTP(ref)
	if err != nil {
		return nil, err
	}
	return &remote.Repository{
		Client:    c.auth,
		Reference: ref.orasReference(),
		PlainHTTP: plain,
	}, nil
}

// plainHTTP decides the protocol for ref's registry.
func (c *Client) plainHTTP(ref Reference) (bool, error) {
	switch ref.Scheme {
	case "https":
		return false, nil
	case "http":
		if ref.IsLoopback() || c.opts.PlainHTTP {
			return true, nil
		}
		return false, invalidf("refusing plain HTTP to %s, which is not on this machine: anyone on the network could read or change the module; use HTTPS (drop \"http://\"), or pass --plain-http if you trust the network", ref.Registry)
	}
	return ref.IsLoopback() || c.opts.PlainHTTP, nil
}
