package wisp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Secrets are variables whose value is sealed with Config.Sealer before it
// is stored (docs/secrets.md).

// sealedText is what is sealed for a secret: the value bound to its app
// and name, so a sealed value copied to another variable's key does not
// open there.
func sealedText(app, name, value string) []byte {
	return []byte("wisp-variable\x00" + app + "/" + name + "\x00" + value)
}

// plainValue returns a stored variable's value, decrypting a secret.
func (n *Node) plainValue(app, name string, sv storedVariable) (string, error) {
	if !sv.Secret {
		return sv.Value, nil
	}
	if n.cfg.Sealer == nil {
		return "", errorf(ErrUnavailable, "secret %q of app %q is stored encrypted, and this node has no secret key (docs/secrets.md)", name, app)
	}
	plain, err := n.cfg.Sealer.Open(sv.Sealed)
	if err != nil {
		return "", errorf(ErrUnavailable, "secret %q of app %q cannot be decrypted on this node: %w", name, app, err)
	}
	value, ok := bytes.CutPrefix(plain, sealedText(app, name, ""))
	if !ok {
		return "", errorf(ErrUnavailable, "secret %q of app %q was sealed for another variable: set it again with %s", name, app, setCommand(app, name, true))
	}
	return string(value), nil
}

// RewrapSecrets seals every stored secret again with Config.Sealer's
// sealing key (after a key rotation: docs/secrets.md) and returns how many
// it sealed. A secret changed meanwhile is read again. One that this
// node's keys cannot open is left as it is; the others are sealed, and the
// error, matching ErrConflict, names each such secret (never a value) and
// reports the count. Errors matching ErrInvalid: the node has no Sealer or
// no key-value backend.
func (n *Node) RewrapSecrets(ctx context.Context) (int, error) {
	if n.cfg.Sealer == nil {
		return 0, errorf(ErrInvalid, "this node has no secret key (wisp serve loads --secret-key-file; an embedding sets wisp.Config.Sealer)")
	}
	st, err := n.variablesStore(ctx)
	if err != nil {
		return 0, err
	}
	var done, failed int
	var errs []error
	err = eachKey(ctx, st, "", func(key string) error {
		ok, openErr, err := n.rewrap(ctx, st, key)
		switch {
		case err != nil:
			return err
		case openErr != nil:
			failed++
			errs = append(errs, openErr)
		case ok:
			done++
		}
		return nil
	})
	if err != nil {
		return done, fmt.Errorf("rewrap secrets: sealed %d again, then: %w", done, err)
	}
	if failed > 0 {
		return done, errorf(ErrConflict, "rewrap secrets: sealed %d again; %d could not be opened with this node's keys and were left as they are: %w (add the key they were sealed with to the key file, restart, and run `wisp secret rewrap` again)",
			done, failed, errors.Join(errs...))
	}
	n.log.Info("secrets sealed again", "count", done)
	return done, nil
}

// rewrap seals the secret at key again. ok is false if it is not a
// secret, or vanished; openErr says why this node's keys cannot open it;
// err is any other failure, which ends the rewrap.
func (n *Node) rewrap(ctx context.Context, st KVStore, key string) (ok bool, openErr, err error) {
	app, name, _ := strings.Cut(key, "/")
	for range 5 { // a concurrent set moves the revision on
		e, err := st.Get(ctx, key)
		if errors.Is(err, ErrNotFound) {
			return false, nil, nil
		}
		if err != nil {
			return false, nil, err
		}
		var sv storedVariable
		if err := json.Unmarshal(e.Value, &sv); err != nil || !sv.Secret {
			return false, nil, nil
		}
		value, err := n.plainValue(app, name, sv)
		if err != nil {
			return false, err, nil
		}
		sv.Sealed, err = n.cfg.Sealer.Seal(sealedText(app, name, value))
		if err != nil {
			return false, nil, fmt.Errorf("seal secret %q of app %q: %w", name, app, err)
		}
		data, err := json.Marshal(sv)
		if err != nil {
			return false, nil, err
		}
		_, err = st.Update(ctx, key, data, e.Expires, e.Revision)
		if errors.Is(err, ErrConflict) {
			continue
		}
		return err == nil, nil, err
	}
	return false, nil, errorf(ErrConflict, "secret %q of app %q changed 5 times while it was sealed again: run `wisp secret rewrap` again", name, app)
}
