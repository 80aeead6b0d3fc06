package secretbox_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/secretbox"
)

var _ wisp.Sealer = (*secretbox.Keyring)(nil)

func mustKey(t *testing.T) []byte {
	t.Helper()
	k, err := secretbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	kr, err := secretbox.New(mustKey(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		plain []byte
	}{
		{"empty", nil},
		{"short", []byte("hunter2")},
		{"binary", []byte{0, 1, 2, 255}},
		{"large", bytes.Repeat([]byte("x"), 1<<20)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sealed, err := kr.Seal(tc.plain)
			if err != nil {
				t.Fatal(err)
			}
			if len(sealed) != len(tc.plain)+secretbox.Overhead {
				t.Errorf("sealed %d bytes into %d, want %d more", len(tc.plain), len(sealed), secretbox.Overhead)
			}
			if len(tc.plain) > 4 && bytes.Contains(sealed, tc.plain) {
				t.Error("the sealed value contains the plaintext")
			}
			again, _ := kr.Seal(tc.plain)
			if bytes.Equal(sealed, again) {
				t.Error("sealing twice gave the same bytes: nonces are not random")
			}
			got, err := kr.Open(sealed)
			if err != nil || !bytes.Equal(got, tc.plain) {
				t.Fatalf("Open = %q, %v", got, err)
			}
		})
	}
}

func TestOpenRefusesTampering(t *testing.T) {
	kr, _ := secretbox.New(mustKey(t))
	sealed, _ := kr.Seal([]byte("the plaintext"))
	for i := range sealed {
		changed := bytes.Clone(sealed)
		changed[i] ^= 0x40
		if got, err := kr.Open(changed); !errors.Is(err, secretbox.ErrOpen) {
			t.Fatalf("byte %d changed: Open = %q, %v; want ErrOpen", i, got, err)
		}
	}
	for _, n := range []int{0, 1, secretbox.Overhead - 1, len(sealed) - 1} {
		if _, err := kr.Open(sealed[:n]); !errors.Is(err, secretbox.ErrOpen) {
			t.Errorf("cut to %d bytes: Open err = %v", n, err)
		}
	}
}

// Rotation: a keyring with a new key first seals with it and still opens
// what the old key sealed; a keyring without the old key refuses it, naming
// the key but nothing of the content.
func TestRotation(t *testing.T) {
	oldKey, newKey := mustKey(t), mustKey(t)
	old, _ := secretbox.New(oldKey)
	both, err := secretbox.New(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	onlyNew, _ := secretbox.New(newKey)
	sealedOld, _ := old.Seal([]byte("kept secret"))
	if got, err := both.Open(sealedOld); err != nil || string(got) != "kept secret" {
		t.Fatalf("new keyring opening an old value: %q, %v", got, err)
	}
	sealedNew, _ := both.Seal([]byte("kept secret"))
	if id := secretbox.SealedWith(sealedNew); id != secretbox.KeyID(newKey) {
		t.Errorf("sealed with key %s, want the first key %s", id, secretbox.KeyID(newKey))
	}
	if _, err := old.Open(sealedNew); !errors.Is(err, secretbox.ErrOpen) {
		t.Errorf("old keyring opened a value of the new key: %v", err)
	}
	_, err = onlyNew.Open(sealedOld)
	if !errors.Is(err, secretbox.ErrOpen) || !strings.Contains(err.Error(), secretbox.KeyID(oldKey)) ||
		strings.Contains(err.Error(), "kept secret") {
		t.Errorf("opening without the old key: %v; want ErrOpen naming key %s", err, secretbox.KeyID(oldKey))
	}
	if got := both.KeyIDs(); len(got) != 2 || got[0] != secretbox.KeyID(newKey) {
		t.Errorf("KeyIDs = %v", got)
	}
}

func TestParse(t *testing.T) {
	k1, k2 := secretbox.FormatKey(mustKey(t)), secretbox.FormatKey(mustKey(t))
	for _, tc := range []struct {
		name, file string
		keys       int
		err        string
	}{
		{"one key", k1 + "\n", 1, ""},
		{"no final newline", k1, 1, ""},
		{"comments and blanks", "# sealing key\n\n  " + k1 + "  \r\n# old\n" + k2 + "\n", 2, ""},
		{"empty", "", 0, "no key in it"},
		{"only comments", "# nothing\n", 0, "no key in it"},
		{"not base64", "# a\nnot a key!\n", 0, "line 2 is not a base64 key"},
		{"short key", "c2hvcnQ=\n", 0, "line 1 holds a key of 5 bytes"},
		{"same key twice", k1 + "\n" + k1 + "\n", 0, "are the same key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kr, err := secretbox.Parse([]byte(tc.file))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				if strings.Contains(err.Error(), k1) {
					t.Fatalf("the error shows a key: %v", err)
				}
				return
			}
			if err != nil || len(kr.KeyIDs()) != tc.keys {
				t.Fatalf("Parse = %v, %v; want %d keys", kr, err, tc.keys)
			}
		})
	}
}

func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "secret.key")
	kr, created, err := secretbox.LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("first LoadOrCreate: created %v, %v", created, err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v, %v; want 0600", info.Mode(), err)
	}
	sealed, _ := kr.Seal([]byte("v"))
	again, created, err := secretbox.LoadOrCreate(path)
	if err != nil || created {
		t.Fatalf("second LoadOrCreate: created %v, %v", created, err)
	}
	if got, err := again.Open(sealed); err != nil || string(got) != "v" {
		t.Fatalf("the reloaded key does not open what the first sealed: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("the data directory holds %d files, want only secret.key", len(entries))
	}
	if err := os.WriteFile(path, []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := secretbox.LoadOrCreate(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("a damaged key file was not refused with its path: %v", err)
	}
}

// Nodes starting at once on one directory all end up with the same key.
func TestLoadOrCreateRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	const n = 8
	rings := make([]*secretbox.Keyring, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			kr, _, err := secretbox.LoadOrCreate(path)
			if err != nil {
				t.Error(err)
			}
			rings[i] = kr
		})
	}
	wg.Wait()
	for i, kr := range rings {
		if kr != nil && kr.KeyIDs()[0] != rings[0].KeyIDs()[0] {
			t.Fatalf("node %d got key %s, node 0 key %s", i, kr.KeyIDs()[0], rings[0].KeyIDs()[0])
		}
	}
}

func ExampleKeyring() {
	oldKey := bytes.Repeat([]byte{1}, secretbox.KeySize)
	newKey := bytes.Repeat([]byte{2}, secretbox.KeySize)
	old, _ := secretbox.New(oldKey)
	sealed, _ := old.Seal([]byte("api key"))

	// After rotation the new key seals and the old one still opens.
	kr, _ := secretbox.New(newKey, oldKey)
	plain, _ := kr.Open(sealed)
	fmt.Println(string(plain), secretbox.SealedWith(sealed) == secretbox.KeyID(oldKey))
	// Output: api key true
}
