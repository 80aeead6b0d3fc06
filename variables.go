package wisp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Variable values live in the node's key-value backend (Config.KV), in the
// reserved store VariablesStore, one key "<app>/<name>" each, so every
// node of a fleet reads the same values (NATS replicates them) and a change
// reaches the next request without a new version. Apps never reach this
// store: store names starting with '_' are not valid in key_value_stores.
//
// Values may be set for variables the app does not declare (yet), and
// for apps not deployed yet: a required variable must have its value
// before the deploy that declares it. An app reads only the variables its
// current version declares, so a stray value is inert; VariableInfo says
// which values no declaration uses.

// VariablesStore is the reserved key-value store holding variable values.
const VariablesStore = "_variables"

// MaxVariableValue is the largest variable value in bytes.
const MaxVariableValue = 64 << 10

// Where a variable's value comes from (VariableInfo.Source).
const (
	SourceSet     = "set"     // a value set with SetVariable
	SourceDefault = "default" // the declared default
	SourceNone    = "none"    // nothing: the app reads NOT_FOUND
)

// VariableInfo describes one of an app's variables for operators: its
// declaration in the app's current version, and its value unless it is a
// secret. Secrets' values are never part of it.
type VariableInfo struct {
	Name string `json:"name"`
	// Declared: the app's current version declares the variable. A value
	// set for an undeclared variable is kept, and read by no request.
	Declared bool `json:"declared"`
	Required bool `json:"required,omitempty"`
	// Secret: declared secret, or its value was set as a secret.
	Secret bool `json:"secret,omitempty"`
	// HasValue: a value is set (SetVariable), secret or not.
	HasValue bool `json:"has_value"`
	// Value is the value set, for variables that are not secret.
	Value *string `json:"value,omitempty"`
	// Default is the declared default (secrets have none).
	Default *string `json:"default,omitempty"`
	// Source is what a request reads: SourceSet, SourceDefault or
	// SourceNone.
	Source string `json:"source"`
	// Updated is when the value was set; zero if none is.
	Updated time.Time `json:"updated,omitzero"`
}

// storedVariable is the JSON value of a variable's key in VariablesStore:
// a plain value, or a secret's sealed bytes (see sealedText).
type storedVariable struct {
	Secret  bool      `json:"secret,omitempty"`
	Value   string    `json:"value,omitempty"`
	Sealed  []byte    `json:"sealed,omitempty"`
	Updated time.Time `json:"updated,omitzero"`
}

// variableKey is the key of app's variable name in VariablesStore.
func variableKey(app, name string) string { return app + "/" + name }

// checkVariableValue checks a value before it is stored.
func checkVariableValue(name, value string) error {
	switch {
	case len(value) > MaxVariableValue:
		return errorf(ErrInvalid, "the value of variable %q is %d bytes long; at most %s is allowed", name, len(value), ByteSize(MaxVariableValue))
	case !utf8.ValidString(value):
		return errorf(ErrInvalid, "the value of variable %q is not valid UTF-8 text", name)
	case strings.IndexByte(value, 0) >= 0:
		return errorf(ErrInvalid, "the value of variable %q contains a NUL byte, which variables cannot hold", name)
	}
	return nil
}

// setCommand is the command an operator runs to set app's variable.
func setCommand(app, name string, secret bool) string {
	if secret {
		return fmt.Sprintf("`printf %%s VALUE | wisp secret set %s %s`", app, name)
	}
	return fmt.Sprintf("`wisp config set %s %s=VALUE`", app, name)
}

// variablesStore returns the store of variable values, or an error
// saying the node keeps none.
func (n *Node) variablesStore(ctx context.Context) (KVStore, error) {
	if n.cfg.KV == nil {
		return nil, errorf(ErrInvalid, "this node keeps no variable values: it has no key-value backend (wisp serve always has one; an embedding sets wisp.Config.KV)")
	}
	return n.kvStore(ctx, VariablesStore)
}

// declaredVariables returns the variables app's current version declares;
// exists is false if there is no such app.
func (n *Node) declaredVariables(ctx context.Context, app string) (decl map[string]Variable, exists bool, err error) {
	a, err := n.store.GetApp(ctx, app)
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read app %q: %w", app, err)
	}
	return a.CurrentVersion().Spec.Variables, true, nil
}

// SetVariable sets the value of app's variable name; the next request of
// the app, on any node sharing the key-value backend, reads it. With
// secret the value is encrypted with Config.Sealer before it is stored,
// and is never shown again. The app need not exist yet, nor declare the
// variable (see VariablesStore); if its current version declares it, the
// value must be secret exactly when the declaration is.
//
// Errors match ErrInvalid (a bad name or value, a secret/plain mismatch
// with the declaration, a node without key-value backend or, for a
// secret, without Config.Sealer) or come from the backend. No error
// contains the value.
func (n *Node) SetVariable(ctx context.Context, app, name, value string, secret bool) error {
	if err := ValidateAppName(app); err != nil {
		return err
	}
	if err := ValidateVariableName(name); err != nil {
		return err
	}
	if err := checkVariableValue(name, value); err != nil {
		return err
	}
	if secret && n.cfg.Sealer == nil {
		return errorf(ErrInvalid, "set secret %q of app %q: this node has no secret key to encrypt it with (wisp serve loads --secret-key-file; an embedding sets wisp.Config.Sealer)", name, app)
	}
	st, err := n.variablesStore(ctx)
	if err != nil {
		return err
	}
	decl, exists, err := n.declaredVariables(ctx, app)
	if err != nil {
		return err
	}
	if v, ok := decl[name]; ok && v.Secret != secret {
		if v.Secret {
			return errorf(ErrInvalid, "variable %q of app %q is declared secret: set it with %s, so it is stored encrypted and never shown", name, app, setCommand(app, name, true))
		}
		return errorf(ErrInvalid, "variable %q of app %q is not declared secret: set it with %s, or declare it { secret = true } in wisp.toml and deploy first", name, app, setCommand(app, name, false))
	}
	sv := storedVariable{Secret: secret, Updated: time.Now().UTC()}
	if secret {
		sv.Sealed, err = n.cfg.Sealer.Seal(sealedText(app, name, value))
		if err != nil {
			return fmt.Errorf("set secret %q of app %q: encrypt: %w", name, app, err)
		}
	} else {
		sv.Value = value
	}
	data, err := json.Marshal(sv)
	if err != nil {
		return fmt.Errorf("set variable %q of app %q: %w", name, app, err)
	}
	if _, err := st.Set(ctx, variableKey(app, name), data, time.Time{}); err != nil {
		return fmt.Errorf("set variable %q of app %q: %w", name, app, err)
	}
	kind := "variable"
	if secret {
		kind = "secret"
	}
	n.log.Info(kind+" set", "app", app, "name", name, "declared", hasKey(decl, name))
	if exists {
		n.appLog(app, "node", 0, fmt.Sprintf("%s %s set; the next request reads it", kind, name))
	}
	return nil
}

func hasKey(m map[string]Variable, k string) bool { _, ok := m[k]; return ok }

// DeleteVariable removes the value of app's variable name; the next
// request reads its default, or NOT_FOUND. It fails with an error matching
// ErrNotFound if no value is set, and ErrConflict if the app's current
// version requires the variable (set another value instead, or deploy a
// version that does not require it).
func (n *Node) DeleteVariable(ctx context.Context, app, name string) error {
	if err := ValidateAppName(app); err != nil {
		return err
	}
	if err := ValidateVariableName(name); err != nil {
		return err
	}
	st, err := n.variablesStore(ctx)
	if err != nil {
		return err
	}
	key := variableKey(app, name)
	if _, err := st.Get(ctx, key); errors.Is(err, ErrNotFound) {
		return errorf(ErrNotFound, "app %q has no value set for variable %q (`wisp config ls %s` lists its variables)", app, name, app)
	} else if err != nil {
		return fmt.Errorf("remove variable %q of app %q: %w", name, app, err)
	}
	decl, exists, err := n.declaredVariables(ctx, app)
	if err != nil {
		return err
	}
	if decl[name].Required {
		return errorf(ErrConflict, "variable %q is required by the current version of app %q, which would fail to read it: set another value with %s instead, or deploy a version that does not require it first",
			name, app, setCommand(app, name, decl[name].Secret))
	}
	if err := st.Delete(ctx, key); err != nil {
		return fmt.Errorf("remove variable %q of app %q: %w", name, app, err)
	}
	n.log.Info("variable removed", "app", app, "name", name)
	if exists {
		n.appLog(app, "node", 0, fmt.Sprintf("variable %s removed; the next request reads its default, if any", name))
	}
	return nil
}

// Variables describes app's variables: those its current version
// declares and those with a value set, sorted by name. Secrets' values
// are never included. It fails with an error matching ErrNotFound if the
// app does not exist and has no value set.
func (n *Node) Variables(ctx context.Context, app string) ([]VariableInfo, error) {
	if err := ValidateAppName(app); err != nil {
		return nil, err
	}
	decl, exists, err := n.declaredVariables(ctx, app)
	if err != nil {
		return nil, err
	}
	stored := map[string]storedVariable{}
	if n.cfg.KV != nil {
		st, err := n.variablesStore(ctx)
		if err != nil {
			return nil, err
		}
		err = eachKey(ctx, st, app+"/", func(key string) error {
			sv, ok, err := readVariable(ctx, st, key, false)
			if ok {
				stored[strings.TrimPrefix(key, app+"/")] = sv
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("list variables of app %q: %w", app, err)
		}
	}
	if !exists && len(stored) == 0 {
		return nil, errorf(ErrNotFound, "app %q does not exist and has no variable set (see `wisp apps`)", app)
	}
	names := slices.Sorted(maps.Keys(decl))
	for name := range stored {
		if !hasKey(decl, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	infos := make([]VariableInfo, 0, len(names))
	for _, name := range names {
		d, declared := decl[name]
		sv, set := stored[name]
		info := VariableInfo{
			Name: name, Declared: declared, Required: d.Required, Secret: d.Secret || sv.Secret,
			HasValue: set, Default: d.Default, Source: SourceNone, Updated: sv.Updated,
		}
		switch {
		case set:
			info.Source = SourceSet
		case d.Default != nil:
			info.Source = SourceDefault
		}
		if set && !info.Secret {
			info.Value = &sv.Value
		}
		infos = append(infos, info)
	}
	return infos, nil
}

// readVariable reads and decodes the variable at key; ok is false if it
// is absent. With forRequest, Updated may be left zero, for speed.
func readVariable(ctx context.Context, st KVStore, key string, forRequest bool) (sv storedVariable, ok bool, err error) {
	e, err := st.Get(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return sv, false, nil
	}
	if err != nil {
		return sv, false, err
	}
	if forRequest {
		if sv, ok := decodeVariableFast(e.Value); ok {
			return sv, true, nil
		}
	}
	if err := json.Unmarshal(e.Value, &sv); err != nil {
		return sv, false, fmt.Errorf("stored variable %q is damaged (%v): set it again", key, err)
	}
	return sv, true, nil
}

// decodeVariableFast decodes the two forms json.Marshal gives a
// storedVariable, {"value":"V","updated":"T"} and
// {"secret":true,"sealed":"B64","updated":"T"}, when V has no escapes,
// without encoding/json's reflection: a request reads a variable through
// it, and it costs a tenth of json.Unmarshal. Updated is left zero (no
// request needs it). ok is false for anything else, which json.Unmarshal
// then decodes.
func decodeVariableFast(data []byte) (sv storedVariable, ok bool) {
	const plain, sealed, updated = `{"value":"`, `{"secret":true,"sealed":"`, `"updated":"`
	var rest []byte
	switch {
	case bytes.HasPrefix(data, []byte(plain)):
		rest = data[len(plain):]
	case bytes.HasPrefix(data, []byte(sealed)):
		rest, sv.Secret = data[len(sealed):], true
	default:
		return sv, false
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return sv, false
	}
	field, tail := rest[:end], rest[end+1:]
	// The rest is `}` or `,"updated":"T"}` with T free of quotes and escapes.
	if !bytes.Equal(tail, []byte("}")) {
		t, ok := bytes.CutPrefix(tail, []byte(","+updated))
		if !ok || !bytes.HasSuffix(t, []byte(`"}`)) || bytes.ContainsAny(t[:len(t)-2], `"\\`) {
			return sv, false
		}
	}
	if !sv.Secret {
		if !utf8.Valid(field) || bytes.ContainsFunc(field, func(r rune) bool { return r < 0x20 }) {
			return sv, false
		}
		sv.Value = string(field)
		return sv, true
	}
	sv.Sealed = make([]byte, base64.StdEncoding.DecodedLen(len(field)))
	n, err := base64.StdEncoding.Decode(sv.Sealed, field)
	if err != nil {
		return storedVariable{}, false
	}
	sv.Sealed = sv.Sealed[:n]
	return sv, true
}

// eachKey calls fn with every key of st starting with prefix, in order.
func eachKey(ctx context.Context, st KVStore, prefix string, fn func(key string) error) error {
	after := ""
	for {
		keys, more, err := st.Keys(ctx, prefix, after, 1000)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := fn(k); err != nil {
				return err
			}
		}
		if !more || len(keys) == 0 {
			return nil
		}
		after = keys[len(keys)-1]
	}
}

// lookupVariable returns what a request of app, whose version declares
// decl, reads for the variable name: the value set (a secret decrypted),
// else the declared default. Errors: ErrDenied if decl does not declare
// name; ErrNotFound if it has neither value nor default; ErrUnavailable
// if a secret cannot be decrypted with this node's keys, or if the value
// set is plain and decl declares a secret, or the other way round (see
// kindMismatch; the default is not read instead); or the backend's.
// It costs one Get of the backend; no error holds a value.
func (n *Node) lookupVariable(ctx context.Context, app string, decl map[string]Variable, name string) (string, error) {
	v, ok := decl[name]
	if !ok {
		if err := ValidateVariableName(name); err != nil {
			return "", err
		}
		return "", errorf(ErrDenied, "app %q does not declare variable %q: add it to [variables] in wisp.toml", app, name)
	}
	if n.cfg.KV != nil {
		st, err := n.kvStore(ctx, VariablesStore)
		if err != nil {
			return "", fmt.Errorf("read variable %q: %w", name, err)
		}
		sv, ok, err := readVariable(ctx, st, variableKey(app, name), true)
		if err != nil {
			return "", fmt.Errorf("read variable %q: %w", name, err)
		}
		if ok {
			if err := kindMismatch(app, name, v, sv); err != nil {
				return "", err
			}
			return n.plainValue(app, name, sv)
		}
	}
	if v.Default != nil {
		return *v.Default, nil
	}
	return "", errorf(ErrNotFound, "variable %q of app %q has no value: set it with %s", name, app, setCommand(app, name, v.Secret))
}

// kindMismatch returns an error matching ErrUnavailable (with no value in
// it) if sv, the value
// set for app's variable name, is a secret's and decl is not secret or the
// other way round: a value set before the declaration, which SetVariable
// could not check. Such a value is never read: a plain value declared
// secret would reach the app without ever having been encrypted, and a
// sealed one declared plain would be treated as a setting operators can
// read. It is set again with the command the error names.
func kindMismatch(app, name string, decl Variable, sv storedVariable) error {
	switch {
	case decl.Secret && !sv.Secret:
		return errorf(ErrUnavailable, "variable %q of app %q is declared secret, but its value was set as plain text, unencrypted: set it with %s", name, app, setCommand(app, name, true))
	case !decl.Secret && sv.Secret:
		return errorf(ErrUnavailable, "variable %q of app %q is not declared secret, but its value was set as a secret: set it with %s, or declare it { secret = true } in wisp.toml", name, app, setCommand(app, name, false))
	}
	return nil
}

// checkRequiredVariables returns an error matching ErrInvalid that names
// each variable spec requires without a usable value set, with the
// command that sets it; nil if every one has one. A value set as plain
// text for a variable spec declares secret, or the other way round, is
// not usable (see kindMismatch). Deploy calls it.
func (n *Node) checkRequiredVariables(ctx context.Context, spec AppSpec) error {
	var missing []string
	unusable := false
	for _, name := range slices.Sorted(maps.Keys(spec.Variables)) {
		v := spec.Variables[name]
		if !v.Required {
			continue
		}
		if n.cfg.KV != nil {
			st, err := n.variablesStore(ctx)
			if err != nil {
				return err
			}
			sv, ok, err := readVariable(ctx, st, variableKey(spec.Name, name), true)
			if err != nil {
				return fmt.Errorf("check required variable %q: %w", name, err)
			}
			switch {
			case ok && v.Secret && !sv.Secret:
				unusable = true
				missing = append(missing, fmt.Sprintf("%s (declared secret, but set as plain text: set it with %s)", name, setCommand(spec.Name, name, true)))
				continue
			case ok && !v.Secret && sv.Secret:
				unusable = true
				missing = append(missing, fmt.Sprintf("%s (not declared secret, but set as a secret: set it with %s, or declare it { secret = true })", name, setCommand(spec.Name, name, false)))
				continue
			case ok:
				continue
			}
		}
		missing = append(missing, fmt.Sprintf("%s (set it with %s)", name, setCommand(spec.Name, name, v.Secret)))
	}
	usable := ""
	if unusable {
		usable = "usable "
	}
	switch {
	case len(missing) == 0:
		return nil
	case n.cfg.KV == nil:
		return errorf(ErrInvalid, "app %q requires variables %s, but this node keeps no variable values: it has no key-value backend (wisp.Config.KV)", spec.Name, strings.Join(missing, ", "))
	case len(missing) == 1:
		return errorf(ErrInvalid, "app %q requires variable %s, which has no %svalue yet", spec.Name, missing[0], usable)
	}
	return errorf(ErrInvalid, "app %q requires variables without a %svalue yet: %s", spec.Name, usable, strings.Join(missing, "; "))
}
