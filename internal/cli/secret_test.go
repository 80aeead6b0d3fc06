package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/boltstore"
	"github.com/wisphq/wisp/internal/secretbox"
)

const cliSecret = "SeCrEt-4c3b2a190817"

func TestSecretVerb(t *testing.T) {
	n := newServicesNode(t)
	n.deploy(t, "shop", shopVars())
	var outputs []string
	run := func(stdin string, code int, args ...string) result {
		t.Helper()
		r := n.run(t, stdin, args...).must(t, code)
		outputs = append(outputs, r.stdout, r.stderr)
		return r
	}
	if got := run(cliSecret+"\r\n", 0, "secret", "set", "shop", "api_key"); got.stdout != "set secret api_key of shop\n" || got.stderr != "" {
		t.Errorf("set: %+v", got)
	}
	if got := run(cliSecret, 0, "secret", "set", "shop", "tokn"); !strings.Contains(got.stderr, "does not declare tokn") {
		t.Errorf("set an undeclared secret: %+v", got)
	}
	if got := run("", 0, "secret", "ls", "shop"); got.stdout != "NAME     STATE\napi_key  set\ntokn     set, not declared by the current version\n" {
		t.Errorf("ls:\n%s", got.stdout)
	}
	run("", 0, "secret", "ls", "shop", "-o", "json")
	run("", 0, "config", "ls", "shop")
	run("", 0, "config", "ls", "shop", "-o", "json")
	run("", 0, "app", "shop")
	run("", 0, "app", "shop", "-o", "json")
	run("", 0, "logs", "shop")
	if got := run("", 0, "secret", "rewrap"); got.stdout != "encrypted 2 secrets again with the node's first key; once every node has that key first, older keys can be removed from the key files\n" {
		t.Errorf("rewrap: %q", got.stdout)
	}
	for _, tc := range []struct {
		name, stdin string
		args        []string
		code        int
		error       string
	}{
		{"value on the command line", "", []string{"secret", "set", "shop", "api_key", cliSecret}, 2, "the value of a secret is read from stdin, never from the command line"},
		{"NAME=VALUE, as config set takes", "", []string{"secret", "set", "shop", "api_key=" + cliSecret}, 2, "give the secret's name alone, not NAME=VALUE"},
		{"empty stdin", "\n", []string{"secret", "set", "shop", "api_key"}, 1, "the value read from stdin is empty"},
		{"plain variable", cliSecret, []string{"secret", "set", "shop", "region"}, 1, "is not declared secret: set it with `wisp config set shop region=VALUE`"},
		{"too long", strings.Repeat("x", 70000), []string{"secret", "set", "shop", "api_key"}, 1, "at most 64KiB"},
		{"rm unset", "", []string{"secret", "rm", "shop", "region"}, 1, "no value set"},
		{"unknown action", "", []string{"secret", "rotate"}, 2, "did you mean 'wisp secret rewrap'?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := run(tc.stdin, tc.code, tc.args...)
			if !strings.Contains(got.stderr, tc.error) {
				t.Fatalf("stderr %q, want %q", got.stderr, tc.error)
			}
		})
	}
	got, err := n.node.Variables(t.Context(), "shop")
	if err != nil || !got[0].HasValue || got[0].Name != "api_key" {
		t.Fatalf("the secret is gone: %+v, %v", got, err)
	}
	run("", 0, "secret", "rm", "shop", "api_key")
	all := strings.Join(outputs, "\n") + n.logs.String()
	if strings.Contains(all, cliSecret) || strings.Contains(all, cliSecret[:8]) {
		t.Fatalf("the secret appears in the CLI's output or the node's log:\n%s", all)
	}
}

func TestSecretKeygen(t *testing.T) {
	a := invoke(t, "secret", "keygen").must(t, 0)
	b := invoke(t, "secret", "keygen").must(t, 0)
	if a.stdout == b.stdout {
		t.Fatal("two keys are the same")
	}
	kr, err := secretbox.Parse([]byte(a.stdout + b.stdout))
	if err != nil || len(kr.KeyIDs()) != 2 {
		t.Fatalf("keygen's lines do not make a key file: %v", err)
	}
}

func TestLoadSecretKey(t *testing.T) {
	log, _ := newLogger(&bytes.Buffer{}, "text", "info")
	data := t.TempDir()
	kr, note, err := loadSecretKey(data, "", false, log)
	if err != nil || !strings.Contains(note, "created now") {
		t.Fatalf("first start: %v, %q", err, note)
	}
	again, note, err := loadSecretKey(data, "", false, log)
	if err != nil || strings.Contains(note, "created") || again.KeyIDs()[0] != kr.KeyIDs()[0] {
		t.Fatalf("second start: %v, %q", err, note)
	}
	fleetData := t.TempDir()
	if kr, note, err := loadSecretKey(fleetData, "", true, log); err != nil || kr != nil || !strings.HasPrefix(note, "off") {
		t.Fatalf("a fleet node without a key file: %v, %v, %q", kr, err, note)
	}
	if _, err := os.Stat(filepath.Join(fleetData, secretKeyFile)); err == nil {
		t.Fatal("a fleet node made its own key")
	}
	missing := filepath.Join(t.TempDir(), "shared.key")
	if _, _, err := loadSecretKey(data, missing, false, log); err == nil || !strings.Contains(err.Error(), "wisp secret keygen > "+missing) {
		t.Fatalf("a --secret-key-file that does not exist: %v", err)
	}
	if kr, _, err := loadSecretKey(fleetData, filepath.Join(data, secretKeyFile), true, log); err != nil || kr.KeyIDs()[0] != again.KeyIDs()[0] {
		t.Fatalf("a fleet node with --secret-key-file: %v", err)
	}
}

func TestConfigureServices(t *testing.T) {
	data := t.TempDir()
	store, err := boltstore.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var logs bytes.Buffer
	log, _ := newLogger(&logs, "text", "info")
	f := serveFlags{data: data, servicesFlags: servicesFlags{kvMaxValue: 1 << 10, kvMaxKeys: 10, kvMaxBytes: 1 << 20, allowPrivateEgress: true}}
	var cfg wisp.Config
	note, err := configureServices(&cfg, store, f, log)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.KV == nil || cfg.Sealer == nil || !cfg.Outbound.AllowPrivate ||
		cfg.KVLimits != (wisp.KVLimits{MaxValue: 1 << 10, Quota: wisp.KVQuota{MaxKeys: 10, MaxBytes: 1 << 20}}) {
		t.Fatalf("config %+v", cfg)
	}
	for _, want := range []string{"key-value up to 1KiB a value, 10 keys and 1MiB a store", "secrets key " + filepath.Join(data, secretKeyFile), "private egress allowed"} {
		if !strings.Contains(note, want) {
			t.Errorf("banner line %q lacks %q", note, want)
		}
	}
	if !strings.Contains(logs.String(), "created a secret key file") {
		t.Errorf("creating the key was not logged:\n%s", logs.String())
	}
	f.kvMaxKeys = 0
	if _, err := configureServices(&cfg, store, f, log); err == nil || !strings.Contains(err.Error(), "--kv-max-keys 0") {
		t.Errorf("--kv-max-keys 0: %v", err)
	}
}
