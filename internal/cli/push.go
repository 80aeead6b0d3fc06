package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/oci"
)

func pushCommand() *command {
	return &command{
		name:    "push",
		summary: "push a .wasm module to an OCI registry",
		usage:   []string{"wisp push FILE.wasm REGISTRY/REPOSITORY:TAG [flags]"},
		description: `
Push a WebAssembly module to an OCI registry (Docker Hub, GHCR, ECR, Harbor,
a local registry...) as a Wasm OCI artifact: config
application/vnd.wasm.config.v0+json and one layer
application/vnd.wasm.content.layer.v1+wasm holding the module byte for byte,
the layout wkg and oras use. Deploy it with module = "oci://REFERENCE" in a
wisp.toml, or fetch it with 'wisp pull'. A module the registry already has
is not uploaded again.

Credentials: --username with --password-stdin, else $WISP_REGISTRY_USERNAME
and $WISP_REGISTRY_PASSWORD, else those 'docker login' or 'oras login' saved
in $DOCKER_CONFIG/config.json or ~/.docker/config.json (credential helpers
included). Registries on this machine (localhost, 127.0.0.1, [::1]) are
spoken to in plain HTTP, every other over HTTPS unless --plain-http (or
WISP_REGISTRY_PLAIN_HTTP=1) allows plain HTTP.

The pushed reference, with the manifest's digest, goes to stdout; progress
to stderr (a live byte count when stderr is a terminal, or with --progress).`,
		examples: []string{
			"wisp push hello.wasm localhost:5000/hello:1.0",
			"wisp push build/api.wasm ghcr.io/acme/api:v2",
			"echo \"$TOKEN\" | wisp push app.wasm registry.example.com/team/app:1 --username ci --password-stdin",
		},
		new: func(e *env) verb { return &pushVerb{registry: registryFlags{e: e}} },
	}
}

// pushVerb is `wisp push`.
type pushVerb struct {
	registry registryFlags
	output   outputFlag
}

func (v *pushVerb) flags(fs *flagSet) {
	v.registry.register(fs, true)
	v.output.register(fs)
}

// pushResult is what `wisp push -o json` prints.
type pushResult struct {
	Reference string    `json:"reference"` // REGISTRY/REPOSITORY:TAG@sha256:...
	Digest    string    `json:"digest"`    // the manifest's
	Module    oci.Layer `json:"module"`
}

func (v *pushVerb) run(ctx context.Context, args []string) error {
	if len(args) != 2 {
		return usagef("want FILE.wasm and REGISTRY/REPOSITORY:TAG, got %d arguments", len(args))
	}
	path := args[0]
	ref, err := oci.ParseReference(args[1])
	if err != nil {
		return usageError{msg: err.Error()}
	}
	c, err := v.registry.client()
	if err != nil {
		return err
	}
	e := v.registry.e
	if info, err := os.Stat(path); err == nil {
		fmt.Fprintf(e.stderr, "pushing %s (%s) to %s...\n", displayPath(path), wisp.ByteSize(info.Size()).Approx(), ref)
	}
	pushed, err := c.Push(ctx, ref, path)
	if err != nil {
		return err
	}
	if pushed.ModuleExisted {
		fmt.Fprintf(e.stderr, "module %s was already in %s\n", shortDigest(pushed.Module.Digest), ref.Repo())
	}
	if v.output.json() {
		return writeJSON(e.stdout, pushResult{Reference: pushed.Ref.String(), Digest: pushed.Ref.Digest, Module: pushed.Module})
	}
	fmt.Fprintf(e.stdout, "pushed %s\n", pushed.Ref)
	return nil
}

// Environment variables of registry access.
const (
	envRegistryUsername  = "WISP_REGISTRY_USERNAME"
	envRegistryPassword  = "WISP_REGISTRY_PASSWORD"
	envRegistryPlainHTTP = "WISP_REGISTRY_PLAIN_HTTP"
)

// registryFlags are the flags of verbs that talk to an OCI registry.
type registryFlags struct {
	e             *env
	credentials   bool // the verb has --username and --password-stdin
	plainHTTP     bool
	username      string
	passwordStdin bool
	progress      bool
}

// register defines --plain-http and, with credentials, --username,
// --password-stdin and --progress.
func (r *registryFlags) register(fs *flagSet, credentials bool) {
	fs.BoolVar(&r.plainHTTP, "plain-http", false, "allow plain HTTP to the registry even if it is not on this machine (or set "+envRegistryPlainHTTP+"=1)")
	if r.credentials = credentials; !credentials {
		return
	}
	fs.StringVar(&r.username, "username", "", "registry user `NAME` (default $"+envRegistryUsername+", else the credentials of docker login)")
	fs.BoolVar(&r.passwordStdin, "password-stdin", false, "read the registry password or token of --username from stdin (default $"+envRegistryPassword+")")
	fs.BoolVar(&r.progress, "progress", false, "show a live byte count even when stderr is not a terminal")
}

// client returns a registry client configured by the flags and the
// environment.
func (r *registryFlags) client() (*oci.Client, error) {
	opts, err := registryOptions(r.e.getenv)
	if err != nil {
		return nil, err
	}
	if r.credentials {
		opts.CredentialsHint = "pass --username with --password-stdin, or " + opts.CredentialsHint
	}
	opts.PlainHTTP = opts.PlainHTTP || r.plainHTTP
	switch {
	case r.passwordStdin && r.username == "":
		return nil, usagef("--password-stdin needs --username")
	case r.passwordStdin:
		password, err := io.ReadAll(io.LimitReader(r.e.stdin, 64<<10))
		if err != nil {
			return nil, fmt.Errorf("read the password from stdin: %w", err)
		}
		opts.Username, opts.Password = r.username, strings.TrimRight(string(password), "\r\n")
		if opts.Password == "" {
			return nil, usagef("--password-stdin read an empty password: pipe it in, as in: echo \"$TOKEN\" | wisp ... --username %s --password-stdin", r.username)
		}
	case r.username != "":
		if opts.Username != r.username || opts.Password == "" {
			return nil, usagef("--username %s needs its password: pipe it to --password-stdin, or set %s", r.username, envRegistryPassword)
		}
	}
	if r.progress || isTerminal(r.e.stderr) {
		opts.Progress = r.e.stderr
	}
	return oci.New(opts), nil
}

// registryOptions returns the registry client options the environment
// sets: credentials from WISP_REGISTRY_USERNAME and
// WISP_REGISTRY_PASSWORD, else from the docker config; plain HTTP if
// WISP_REGISTRY_PLAIN_HTTP is true.
func registryOptions(getenv func(string) string) (oci.Options, error) {
	opts := oci.Options{
		Username:        getenv(envRegistryUsername),
		Password:        getenv(envRegistryPassword),
		DockerConfig:    oci.DockerConfigPath(getenv),
		UserAgent:       "wisp/" + versionString(),
		CredentialsHint: fmt.Sprintf("set %s and %s", envRegistryUsername, envRegistryPassword),
	}
	if (opts.Username == "") != (opts.Password == "") {
		return opts, fmt.Errorf("set both %s and %s, or neither", envRegistryUsername, envRegistryPassword)
	}
	if s := getenv(envRegistryPlainHTTP); s != "" {
		plain, err := strconv.ParseBool(s)
		if err != nil {
			return opts, fmt.Errorf("%s=%q: use 1 or true to allow plain HTTP to registries, 0 or false (or unset it) not to", envRegistryPlainHTTP, s)
		}
		opts.PlainHTTP = plain
	}
	return opts, nil
}

// isTerminal reports whether w is a terminal, where a line rewritten in
// place reads well.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
