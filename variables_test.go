package wisp_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/secretbox"
	"github.com/wisphq/wisp/memstore"
)

// varsNode is a node with a memory key-value backend and a keyring (nil:
// none), sharing store and kv with other nodes given the same ones, as a
// fleet's nodes share NATS. Its log goes to logs.
type varsNode struct {
	*wisp.Node
	store *memstore.Store
	kv    *memstore.KV
	logs  *bytes.Buffer
}

func newVarsNode(t testing.TB, store *memstore.Store, kv *memstore.KV, sealer *secretbox.Keyring) varsNode {
	t.Helper()
	if store == nil {
		store, kv = memstore.New(), memstore.NewKV()
	}
	logs := &bytes.Buffer{}
	cfg := wisp.Config{Store: store, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if kv != nil {
		cfg.KV = kv
	}
	if sealer != nil {
		cfg.Sealer = sealer
	}
	n, err := wisp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	return varsNode{Node: n, store: store, kv: kv, logs: logs}
}

func keyring(t testing.TB, keys ...[]byte) *secretbox.Keyring {
	t.Helper()
	if len(keys) == 0 {
		k, _ := secretbox.GenerateKey()
		keys = [][]byte{k}
	}
	kr, err := secretbox.New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func str(s string) *string { return &s }

// shopVariables is what the test app "shop" declares.
func shopVariables() map[string]wisp.Variable {
	return map[string]wisp.Variable{
		"greeting": {Default: str("hi")},
		"region":   {},
		"api_key":  {Secret: true},
		"currency": {Required: true},
	}
}

// deployShop deploys "shop" declaring shopVariables, after setting its
// required variable.
func deployShop(t testing.TB, n varsNode) {
	t.Helper()
	ctx := context.Background()
	if err := n.SetVariable(ctx, "shop", "currency", "EUR", false); err != nil {
		t.Fatal(err)
	}
	spec := wisp.AppSpec{Name: "shop", Module: upload(t, n.Node, "version1.wasm"), Routes: routes(t, "/shop"), Variables: shopVariables()}
	if _, err := n.Deploy(ctx, spec); err != nil {
		t.Fatal(err)
	}
}

const theSecret = "sk_live_0123456789abcdef"

func TestLookupVariable(t *testing.T) {
	ctx := context.Background()
	n := newVarsNode(t, nil, nil, keyring(t))
	deployShop(t, n)
	decl := shopVariables()
	read := func(name string) (string, error) { return wisp.LookupVariable(n.Node, ctx, "shop", decl, name) }

	if _, err := read("region"); !errors.Is(err, wisp.ErrNotFound) || !strings.Contains(err.Error(), "wisp config set shop region=VALUE") {
		t.Fatalf("unset region: %v", err)
	}
	if _, err := read("api_key"); !errors.Is(err, wisp.ErrNotFound) || !strings.Contains(err.Error(), "wisp secret set shop api_key") {
		t.Fatalf("unset secret: %v", err)
	}
	if err := n.SetVariable(ctx, "shop", "region", "eu-west", false); err != nil {
		t.Fatal(err)
	}
	if err := n.SetVariable(ctx, "shop", "api_key", theSecret, true); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, variable, want string
		err                  error
	}{
		{"value set", "region", "eu-west", nil},
		{"default", "greeting", "hi", nil},
		{"secret decrypted", "api_key", theSecret, nil},
		{"required value", "currency", "EUR", nil},
		{"undeclared", "admin", "", wisp.ErrDenied},
		{"bad name", "Bad-Name", "", wisp.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := read(tc.variable)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Fatalf("lookup %s = %q, %v; want %q, %v", tc.variable, got, err, tc.want, tc.err)
			}
		})
	}
	// A new value reaches the next lookup; removing it brings the default back.
	if err := n.SetVariable(ctx, "shop", "greeting", "hello", false); err != nil {
		t.Fatal(err)
	}
	if got, _ := read("greeting"); got != "hello" {
		t.Errorf("greeting after set = %q", got)
	}
	if err := n.DeleteVariable(ctx, "shop", "greeting"); err != nil {
		t.Fatal(err)
	}
	if got, _ := read("greeting"); got != "hi" {
		t.Errorf("greeting after rm = %q, want the default", got)
	}

	// At rest the secret is sealed: its bytes appear nowhere in the store.
	st, _ := n.kv.Open(ctx, wisp.VariablesStore, wisp.KVQuota{})
	e, err := st.Get(ctx, "shop/api_key")
	if err != nil || bytes.Contains(e.Value, []byte(theSecret)) || !bytes.Contains(e.Value, []byte(`"sealed"`)) {
		t.Fatalf("stored secret %q, %v: want it sealed", e.Value, err)
	}
	if strings.Contains(n.logs.String(), theSecret) {
		t.Errorf("the node logged the secret:\n%s", n.logs)
	}
}

func TestSetVariableRefuses(t *testing.T) {
	ctx := context.Background()
	withKey := newVarsNode(t, nil, nil, keyring(t))
	deployShop(t, withKey)
	noKey := newVarsNode(t, nil, nil, nil)
	noKV := newVarsNode(t, memstore.New(), nil, keyring(t))
	for _, tc := range []struct {
		name              string
		n                 varsNode
		app, varName, val string
		secret            bool
		want              string
	}{
		{"bad app name", withKey, "Shop", "region", "x", false, `app name "Shop"`},
		{"bad variable name", withKey, "shop", "Region", "x", false, `variable name "Region"`},
		{"NUL in value", withKey, "shop", "region", "a\x00b", false, "contains a NUL byte"},
		{"not UTF-8", withKey, "shop", "region", "\xff", false, "not valid UTF-8"},
		{"too long", withKey, "shop", "region", strings.Repeat("x", wisp.MaxVariableValue+1), false, "at most 64KiB"},
		{"declared secret set plain", withKey, "shop", "api_key", theSecret, false, "is declared secret: set it with `printf %s VALUE | wisp secret set shop api_key`"},
		{"declared plain set secret", withKey, "shop", "region", "eu", true, "is not declared secret: set it with `wisp config set shop region=VALUE`"},
		{"secret without key", noKey, "shop", "api_key", theSecret, true, "this node has no secret key"},
		{"no key-value backend", noKV, "shop", "region", "eu", false, "no key-value backend"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.n.SetVariable(ctx, tc.app, tc.varName, tc.val, tc.secret)
			if !errors.Is(err, wisp.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("SetVariable = %v; want ErrInvalid containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), theSecret) {
				t.Fatalf("the error holds the value: %v", err)
			}
		})
	}
}

// A value may be set before the app exists, and before the version that
// declares it: the listing says it is not declared.
func TestVariablesListing(t *testing.T) {
	ctx := context.Background()
	n := newVarsNode(t, nil, nil, keyring(t))
	if _, err := n.Variables(ctx, "shop"); !errors.Is(err, wisp.ErrNotFound) {
		t.Fatalf("variables of an unknown app: %v", err)
	}
	if err := n.SetVariable(ctx, "shop", "regoin", "eu", false); err != nil {
		t.Fatalf("a value before the app exists: %v", err)
	}
	deployShop(t, n)
	if err := n.SetVariable(ctx, "shop", "api_key", theSecret, true); err != nil {
		t.Fatal(err)
	}
	vars, err := n.Variables(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vars {
		value := "<nil>"
		if v.Value != nil {
			value = *v.Value
		}
		got = append(got, strings.Join([]string{v.Name, value, v.Source, boolWord(v.Declared, "declared"), boolWord(v.Secret, "secret"),
			boolWord(v.Required, "required"), boolWord(v.HasValue, "set")}, " "))
		if v.HasValue && v.Updated.IsZero() {
			t.Errorf("%s has a value but no update time", v.Name)
		}
	}
	want := []string{
		"api_key <nil> set declared secret - set",
		"currency EUR set declared - required set",
		"greeting <nil> default declared - - -",
		"region <nil> none declared - - -",
		"regoin eu set - - - set",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Variables:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func boolWord(b bool, word string) string {
	if b {
		return word
	}
	return "-"
}

func TestDeleteVariable(t *testing.T) {
	ctx := context.Background()
	n := newVarsNode(t, nil, nil, keyring(t))
	deployShop(t, n)
	for _, tc := range []struct {
		name, variable string
		err            error
		want           string
	}{
		{"no value", "region", wisp.ErrNotFound, `app "shop" has no value set for variable "region"`},
		{"required", "currency", wisp.ErrConflict, `variable "currency" is required by the current version of app "shop"`},
		{"bad name", "Region", wisp.ErrInvalid, `variable name "Region"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := n.DeleteVariable(ctx, "shop", tc.variable)
			if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("DeleteVariable = %v; want %v containing %q", err, tc.err, tc.want)
			}
		})
	}
	if got, err := wisp.LookupVariable(n.Node, ctx, "shop", shopVariables(), "currency"); got != "EUR" || err != nil {
		t.Errorf("a refused removal removed the value: %q, %v", got, err)
	}
}

func TestCheckRequiredVariables(t *testing.T) {
	ctx := context.Background()
	n := newVarsNode(t, nil, nil, keyring(t))
	spec := wisp.AppSpec{Name: "shop", Variables: map[string]wisp.Variable{
		"region": {Required: true}, "api_key": {Required: true, Secret: true}, "greeting": {Default: str("hi")},
	}}
	err := wisp.CheckRequiredVariables(n.Node, ctx, spec)
	want := "app \"shop\" requires variables without a value yet: api_key (set it with `printf %s VALUE | wisp secret set shop api_key`); region (set it with `wisp config set shop region=VALUE`)"
	if !errors.Is(err, wisp.ErrInvalid) || err.Error() != want {
		t.Fatalf("check = %v\nwant %s", err, want)
	}
	if err := n.SetVariable(ctx, "shop", "api_key", theSecret, true); err != nil {
		t.Fatal(err)
	}
	err = wisp.CheckRequiredVariables(n.Node, ctx, spec)
	want = "app \"shop\" requires variable region (set it with `wisp config set shop region=VALUE`), which has no value yet"
	if !errors.Is(err, wisp.ErrInvalid) || err.Error() != want {
		t.Fatalf("check = %v\nwant %s", err, want)
	}
	if err := n.SetVariable(ctx, "shop", "region", "eu", false); err != nil {
		t.Fatal(err)
	}
	if err := wisp.CheckRequiredVariables(n.Node, ctx, spec); err != nil {
		t.Fatalf("every required variable set: %v", err)
	}
	noKV := newVarsNode(t, memstore.New(), nil, nil)
	if err := wisp.CheckRequiredVariables(noKV.Node, ctx, spec); !errors.Is(err, wisp.ErrInvalid) || !strings.Contains(err.Error(), "no key-value backend") {
		t.Fatalf("check without a backend: %v", err)
	}
	spec.Variables = map[string]wisp.Variable{"greeting": {Default: str("hi")}}
	if err := wisp.CheckRequiredVariables(noKV.Node, ctx, spec); err != nil {
		t.Fatalf("nothing required, no backend: %v", err)
	}
}

// Two nodes sharing a store and a key-value backend (a fleet's NATS) with
// the same key: a secret set through one is read on the other.
func TestVariablesAcrossNodes(t *testing.T) {
	ctx := context.Background()
	kr := keyring(t)
	a := newVarsNode(t, nil, nil, kr)
	b := newVarsNode(t, a.store, a.kv, kr)
	if err := a.SetVariable(ctx, "shop", "api_key", theSecret, true); err != nil {
		t.Fatal(err)
	}
	got, err := wisp.LookupVariable(b.Node, ctx, "shop", shopVariables(), "api_key")
	if err != nil || got != theSecret {
		t.Fatalf("node b reads %q, %v", got, err)
	}
	// A node with another key cannot, and says why without the value.
	other := newVarsNode(t, a.store, a.kv, keyring(t))
	_, err = wisp.LookupVariable(other.Node, ctx, "shop", shopVariables(), "api_key")
	if !errors.Is(err, wisp.ErrUnavailable) || !strings.Contains(err.Error(), "same secret key file") {
		t.Fatalf("node with another key: %v", err)
	}
	none := newVarsNode(t, a.store, a.kv, nil)
	_, err = wisp.LookupVariable(none.Node, ctx, "shop", shopVariables(), "api_key")
	if !errors.Is(err, wisp.ErrUnavailable) || !strings.Contains(err.Error(), "no secret key") {
		t.Fatalf("node without key: %v", err)
	}
}

// A sealed value copied to another variable's key does not open there.
func TestSecretBoundToItsVariable(t *testing.T) {
	ctx := context.Background()
	n := newVarsNode(t, nil, nil, keyring(t))
	if err := n.SetVariable(ctx, "shop", "api_key", theSecret, true); err != nil {
		t.Fatal(err)
	}
	st, _ := n.kv.Open(ctx, wisp.VariablesStore, wisp.KVQuota{})
	e, _ := st.Get(ctx, "shop/api_key")
	if _, err := st.Set(ctx, "evil/api_key", e.Value, e.Expires); err != nil {
		t.Fatal(err)
	}
	got, err := wisp.LookupVariable(n.Node, ctx, "evil", map[string]wisp.Variable{"api_key": {Secret: true}}, "api_key")
	if !errors.Is(err, wisp.ErrUnavailable) || got != "" || strings.Contains(err.Error(), theSecret) {
		t.Fatalf("copied secret read as %q, %v", got, err)
	}
}

func TestRewrapSecrets(t *testing.T) {
	ctx := context.Background()
	oldKey, _ := secretbox.GenerateKey()
	newKey, _ := secretbox.GenerateKey()
	before := newVarsNode(t, nil, nil, keyring(t, oldKey))
	for _, app := range []string{"shop", "blog"} {
		if err := before.SetVariable(ctx, app, "api_key", theSecret+app, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := before.SetVariable(ctx, "shop", "region", "eu", false); err != nil {
		t.Fatal(err)
	}
	if _, err := newVarsNode(t, before.store, before.kv, nil).RewrapSecrets(ctx); !errors.Is(err, wisp.ErrInvalid) {
		t.Fatalf("rewrap without a key: %v", err)
	}
	// A node that has neither key leaves the secrets alone and names them.
	stranger := newVarsNode(t, before.store, before.kv, keyring(t))
	n, err := stranger.RewrapSecrets(ctx)
	if n != 0 || !errors.Is(err, wisp.ErrConflict) || !strings.Contains(err.Error(), `secret "api_key" of app "blog"`) ||
		!strings.Contains(err.Error(), "2 could not be opened") || strings.Contains(err.Error(), theSecret) {
		t.Fatalf("rewrap without the old key = %d, %v", n, err)
	}

	rotated := newVarsNode(t, before.store, before.kv, keyring(t, newKey, oldKey))
	if n, err := rotated.RewrapSecrets(ctx); n != 2 || err != nil {
		t.Fatalf("RewrapSecrets = %d, %v; want the 2 secrets", n, err)
	}
	after := newVarsNode(t, before.store, before.kv, keyring(t, newKey))
	for _, app := range []string{"shop", "blog"} {
		got, err := wisp.LookupVariable(after.Node, ctx, app, shopVariables(), "api_key")
		if err != nil || got != theSecret+app {
			t.Errorf("%s's secret with only the new key: %q, %v", app, got, err)
		}
	}
	if got, _ := wisp.LookupVariable(after.Node, ctx, "shop", shopVariables(), "region"); got != "eu" {
		t.Errorf("a plain variable changed: %q", got)
	}
}

// BenchmarkLookupVariable is what a guest's config get costs on the host
// beside the backend's Get of the same key.
func BenchmarkLookupVariable(b *testing.B) {
	ctx := context.Background()
	n := newVarsNode(b, nil, nil, keyring(b))
	if err := n.SetVariable(ctx, "shop", "region", "eu-west", false); err != nil {
		b.Fatal(err)
	}
	if err := n.SetVariable(ctx, "shop", "api_key", theSecret, true); err != nil {
		b.Fatal(err)
	}
	decl := shopVariables()
	for _, name := range []string{"region", "api_key", "greeting"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := wisp.LookupVariable(n.Node, ctx, "shop", decl, name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("backend-get", func(b *testing.B) {
		st, _ := n.kv.Open(ctx, wisp.VariablesStore, wisp.KVQuota{})
		b.ReportAllocs()
		for b.Loop() {
			if _, err := st.Get(ctx, "shop/region"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// A value set before the declaration, of the other kind (plain for a
// variable declared secret, sealed for one declared plain), is never
// read: the lookup fails with ErrUnavailable naming the command that sets
// it right, and a deploy requiring the variable counts it as missing.
func TestVariableKindMismatch(t *testing.T) {
	ctx := context.Background()
	n := newVarsNode(t, nil, nil, keyring(t))
	// No app yet: SetVariable cannot check the kind.
	if err := n.SetVariable(ctx, "shop", "api_key", theSecret, false); err != nil {
		t.Fatal(err)
	}
	if err := n.SetVariable(ctx, "shop", "token", "tok-value", true); err != nil {
		t.Fatal(err)
	}
	// token's default is not read instead of the value of the other kind.
	decl := map[string]wisp.Variable{"api_key": {Secret: true}, "token": {Default: str("fallback")}}
	for _, tc := range []struct {
		name, variable, value, command string
	}{
		{"plain value, declared secret", "api_key", theSecret, "`printf %s VALUE | wisp secret set shop api_key`"},
		{"sealed value, declared plain", "token", "tok-value", "`wisp config set shop token=VALUE`"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := wisp.LookupVariable(n.Node, ctx, "shop", decl, tc.variable)
			if !errors.Is(err, wisp.ErrUnavailable) || got != "" || !strings.Contains(err.Error(), tc.command) || strings.Contains(err.Error(), tc.value) {
				t.Fatalf("lookup = %q, %v; want an error matching wisp.ErrUnavailable naming %s and not the value", got, err, tc.command)
			}
		})
	}
	required := map[string]wisp.Variable{"api_key": {Secret: true, Required: true}, "token": {Required: true}}
	spec := wisp.AppSpec{Name: "shop", Module: upload(t, n.Node, "version1.wasm"), Routes: routes(t, "/shop"), Variables: required}
	_, err := n.Deploy(ctx, spec)
	want := "app \"shop\" requires variables without a usable value yet: " +
		"api_key (declared secret, but set as plain text: set it with `printf %s VALUE | wisp secret set shop api_key`); " +
		"token (not declared secret, but set as a secret: set it with `wisp config set shop token=VALUE`, or declare it { secret = true })"
	if !errors.Is(err, wisp.ErrInvalid) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), theSecret) {
		t.Fatalf("deploy = %v\nwant an error matching wisp.ErrInvalid containing %s", err, want)
	}

	// Set again with the right kind, both are read and the deploy succeeds.
	if err := n.SetVariable(ctx, "shop", "api_key", theSecret, true); err != nil {
		t.Fatal(err)
	}
	if err := n.SetVariable(ctx, "shop", "token", "tok-value", false); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Deploy(ctx, spec); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"api_key": theSecret, "token": "tok-value"} {
		if got, err := wisp.LookupVariable(n.Node, ctx, "shop", decl, name); err != nil || got != want {
			t.Errorf("lookup %s after setting it again = %q, %v", name, got, err)
		}
	}
	if strings.Contains(n.logs.String(), theSecret) {
		t.Errorf("the node logged the secret:\n%s", n.logs)
	}
}
