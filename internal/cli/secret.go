package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/secretbox"
)

func secretCommand() *command {
	return &command{
		name:    "secret",
		summary: "set, list and remove an app's secrets; rotate the secret key",
		usage: []string{
			"wisp secret set APP NAME [flags] < FILE",
			"wisp secret ls APP [flags]",
			"wisp secret rm APP NAME [flags]",
			"wisp secret rewrap [flags]",
			"wisp secret keygen",
		},
		description: `
Secrets are variables declared { secret = true } in the app's wisp.toml.
Their values are encrypted with the node's secret key before they are
stored (DATA/secret.key, or wisp serve --secret-key-file) and are never
shown again: not by 'wisp app', 'wisp config ls', the admin API or the
logs. The app reads the plaintext through wisp:config/store, like any
variable; a change reaches its next request on every node of the fleet.

  set     reads the value from stdin, never from the command line (which
          shell history and ps would keep); trailing line breaks are
          dropped. On a terminal it asks for the value without echoing it.
  ls      lists the app's secrets, by name only, and whether each is set.
  rm      removes a secret's value.
  rewrap  encrypts every stored secret of the fleet again with the first key
          of the node's key file, after a new key was added there
          (docs/secrets.md describes the rotation).
  keygen  prints a new random key, one line for a key file; it needs no
          node.`,
		examples: []string{
			"wisp secret set links-go admin_token < token.txt",
			"printf %s \"$API_KEY\" | wisp secret set shop api_key",
			"wisp secret ls shop",
			"wisp secret rm shop api_key",
			"# rotation (docs/secrets.md): a new key second in every node's key file, restart; first, restart; then",
			"wisp secret rewrap",
		},
		new: func(e *env) verb { return &secretVerb{connFlags: connFlags{e: e}} },
	}
}

// secretVerb is `wisp secret`.
type secretVerb struct {
	connFlags
	output outputFlag
}

func (v *secretVerb) flags(fs *flagSet) {
	v.connFlags.register(fs)
	v.output.register(fs)
}

func secretActions() actions {
	return actions{names: []string{"set", "ls", "rm", "rewrap", "keygen"}, synonyms: map[string]string{
		"put": "set", "add": "set", "list": "ls", "show": "ls", "get": "ls",
		"del": "rm", "delete": "rm", "remove": "rm", "unset": "rm",
		"rotate": "rewrap", "reencrypt": "rewrap", "generate": "keygen", "genkey": "keygen", "newkey": "keygen",
	}}
}

// maxSecretInput caps what `wisp secret set` reads from stdin, one byte
// past the node's limit so a longer value gets the node's message.
const maxSecretInput = wisp.MaxVariableValue + 1

func (v *secretVerb) run(ctx context.Context, args []string) error {
	action, args, err := secretActions().split("secret", args)
	if err != nil {
		return err
	}
	switch {
	case action == "set" && len(args) == 3:
		return usagef("the value of a secret is read from stdin, never from the command line, where shell history and ps would keep it: run 'wisp secret set %s %s' and type it, or pipe it: printf %%s \"$VALUE\" | wisp secret set %s %s",
			args[0], args[1], args[0], args[1])
	case (action == "set" || action == "rm") && len(args) != 2:
		return usagef("want APP NAME, got %d arguments", len(args))
	case action == "set" && strings.Contains(args[1], "="):
		// NAME=VALUE, as config set takes: never echo the value.
		name, _, _ := strings.Cut(args[1], "=")
		return usagef("give the secret's name alone, not NAME=VALUE: the value is read from stdin, never from the command line, where shell history and ps would keep it: printf %%s \"$VALUE\" | wisp secret set %s %s", args[0], name)
	case action == "ls" && len(args) != 1:
		return usagef("want one APP, got %d arguments", len(args))
	case (action == "rewrap" || action == "keygen") && len(args) != 0:
		return usagef("unexpected argument %q", args[0])
	}
	w := v.e.stdout
	if action == "keygen" {
		k, err := secretbox.GenerateKey()
		if err != nil {
			return err
		}
		fmt.Fprintln(w, secretbox.FormatKey(k))
		return nil
	}
	var value string
	if action == "set" {
		if value, err = v.readValue(ctx, args[0], args[1]); err != nil {
			return err
		}
	}
	c, err := v.client()
	if err != nil {
		return err
	}
	switch action {
	case "set":
		info, err := c.SetVariable(ctx, args[0], args[1], value, true)
		if err != nil {
			return err
		}
		if v.output.json() {
			return writeJSON(w, info)
		}
		fmt.Fprintf(w, "set secret %s of %s\n", args[1], args[0])
		warnUndeclared(ctx, v.e, c, args[0], info)
	case "ls":
		vars, err := c.Variables(ctx, args[0])
		if err != nil {
			return err
		}
		secrets := []wisp.VariableInfo{}
		for _, s := range vars {
			if s.Secret {
				s.Value = nil // never set for a secret; stays so
				secrets = append(secrets, s)
			}
		}
		if v.output.json() {
			return writeJSON(w, secrets)
		}
		if len(secrets) == 0 {
			fmt.Fprintf(w, "%s declares no secrets and has none set\n", args[0])
			return nil
		}
		tw := newTable(w)
		fmt.Fprintln(tw, "NAME\tSTATE")
		for _, s := range secrets {
			state := "set"
			switch {
			case !s.HasValue && s.Required:
				state = fmt.Sprintf("not set (required: wisp secret set %s %s)", args[0], s.Name)
			case !s.HasValue:
				state = "not set"
			case !s.Declared:
				state = "set, not declared by the current version"
			}
			fmt.Fprintf(tw, "%s\t%s\n", s.Name, state)
		}
		return tw.Flush()
	case "rm":
		if err := c.DeleteVariable(ctx, args[0], args[1]); err != nil {
			return err
		}
		fmt.Fprintf(w, "removed secret %s of %s\n", args[1], args[0])
	case "rewrap":
		n, err := c.RewrapSecrets(ctx)
		if err != nil {
			return err
		}
		if v.output.json() {
			return writeJSON(w, map[string]int{"rewrapped": n})
		}
		fmt.Fprintf(w, "encrypted %s again with the node's first key; once every node has that key first, older keys can be removed from the key files\n", plural(n, "secret"))
	}
	return nil
}

// readValue reads the secret from stdin: asked for without echo on a
// terminal, else everything until EOF without its trailing line breaks.
func (v *secretVerb) readValue(ctx context.Context, app, name string) (string, error) {
	var data []byte
	var err error
	f, ok := v.e.stdin.(*os.File)
	if ok && isTerminal(f) {
		data, err = readNoEcho(ctx, f, func() { fmt.Fprintf(v.e.stderr, "value of secret %s of %s (not shown): ", name, app) })
		if errors.Is(err, errNoEcho) {
			return "", fmt.Errorf("cannot turn off echo on this terminal: pipe the value instead: printf %%s \"$VALUE\" | wisp secret set %s %s", app, name)
		}
		if err == nil {
			fmt.Fprintln(v.e.stderr)
		}
	}
	if !ok || !isTerminal(f) || errors.Is(err, errNotTerminal) { // a pipe, a file, /dev/null
		data, err = io.ReadAll(io.LimitReader(v.e.stdin, maxSecretInput))
	}
	if err != nil {
		return "", fmt.Errorf("read the value from stdin: %w", err)
	}
	value := strings.TrimRight(string(data), "\r\n")
	if value == "" {
		return "", fmt.Errorf("the value read from stdin is empty: pipe the value, as in printf %%s \"$VALUE\" | wisp secret set %s %s, or redirect a file: < FILE", app, name)
	}
	return value, nil
}

// errNoEcho is readNoEcho's error where echo cannot be turned off.
var errNoEcho = errors.New("cannot read without echo here")

// errNotTerminal is readNoEcho's error for a character device that is no
// terminal (/dev/null): it is read like a pipe.
var errNotTerminal = errors.New("not a terminal")

// readLine reads one line from r, for readNoEcho, stopping early if ctx
// ends (the read itself goes on in the background, harmlessly, until the
// process exits).
func readLine(ctx context.Context, r io.Reader) ([]byte, error) {
	type result struct {
		line []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := bufio.NewReaderSize(io.LimitReader(r, maxSecretInput), 4096).ReadBytes('\n')
		if errors.Is(err, io.EOF) && len(line) > 0 {
			err = nil
		}
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		return r.line, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// secretKeyFile is the node's secret key file under --data.
const secretKeyFile = "secret.key"

// loadSecretKey returns the node's keyring for `wisp serve` and the
// banner's note on it: --secret-key-file PATH, which must exist, else
// DATA/secret.key, created with a fresh key on a single node's first start.
// A fleet node never creates one (its nodes would each have another key
// and could not read each other's secrets): without a key file it runs
// without secrets, and says so.
func loadSecretKey(data, path string, fleet bool, log *slog.Logger) (*secretbox.Keyring, string, error) {
	explicit := path != ""
	if !explicit {
		path = filepath.Join(data, secretKeyFile)
	}
	var kr *secretbox.Keyring
	var created bool
	var err error
	switch {
	case explicit:
		kr, err = secretbox.Load(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("--secret-key-file %s does not exist: create it with 'wisp secret keygen > %s' (and give every node of a fleet the same file)", path, path)
		}
	case fleet:
		kr, err = secretbox.Load(path)
		if errors.Is(err, fs.ErrNotExist) {
			log.Warn("no secret key: secrets cannot be set or read on this node; give every node of the fleet the same key file (wisp secret keygen) with --secret-key-file", "looked_for", path)
			return nil, "off: no key file; a fleet's nodes share one, given with --secret-key-file (docs/secrets.md)", nil
		}
	default:
		kr, created, err = secretbox.LoadOrCreate(path)
	}
	if err != nil {
		return nil, "", err
	}
	// Only "other" bits: Kubernetes (fsGroup) and systemd's credentials
	// give the service's group read access, on purpose.
	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o007 != 0 {
		log.Warn("the secret key file can be read by every user: chmod o-rwx it (600 or 640)", "path", path, "mode", info.Mode().Perm().String())
	}
	note := fmt.Sprintf("key %s (%s)", path, strings.Join(kr.KeyIDs(), ", "))
	if created {
		log.Info("created a secret key file: back it up; a fleet's nodes all need this same file (docs/secrets.md)", "path", path)
		note += ", created now: back it up"
	}
	return kr, note, nil
}
