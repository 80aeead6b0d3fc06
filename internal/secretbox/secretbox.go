// Package secretbox encrypts a node's secret variables at rest. A Keyring
// holds one or more 256-bit keys: the first seals (AES-256-GCM with a
// random 96-bit nonce), and any of them opens, so keys can be rotated
// without a moment where stored secrets cannot be read (docs/secrets.md).
//
// A sealed value is
//
//	version (1 byte, 1) | key id (4 bytes) | nonce (12 bytes) | ciphertext and GCM tag
//
// where the key id is the first 4 bytes of the SHA-256 of the key, and the
// version and key id are authenticated as additional data. Open refuses
// anything else: a value sealed with a key the keyring does not hold, a
// changed byte, a truncated value.
//
// Key files hold one key a line, standard base64 of 32 bytes; blank lines
// and lines starting with '#' are ignored. A Keyring is safe for concurrent
// use and implements wisp.Sealer.
package secretbox

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the size of a key in bytes (AES-256).
const KeySize = 32

// Layout of a sealed value.
const (
	format    = 1 // the version byte
	idSize    = 4
	nonceSize = 12
	tagSize   = 16
	header    = 1 + idSize
	// Overhead is how many bytes Seal adds to a plaintext.
	Overhead = header + nonceSize + tagSize
)

// ErrOpen is matched (errors.Is) by every error of Open: the value was not
// sealed by a key of the keyring, or was changed since.
var ErrOpen = errors.New("cannot open sealed value")

// Keyring seals with its first key and opens with any of its keys. Make
// one with New, Parse or Load.
type Keyring struct {
	keys []key
}

type key struct {
	id   [idSize]byte
	aead cipher.AEAD
}

// KeyID returns the id a sealed value carries for k: the first 4 bytes of
// its SHA-256, in hex. It names a key in messages without revealing it.
func KeyID(k []byte) string {
	sum := sha256.Sum256(k)
	return hex.EncodeToString(sum[:idSize])
}

// New returns a keyring of keys, the first of which seals. Each key must
// be KeySize bytes, and no two may have the same id.
func New(keys ...[]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("secret keyring: no key given; make one with `wisp secret keygen`")
	}
	kr := &Keyring{}
	seen := map[[idSize]byte]int{}
	for i, k := range keys {
		if len(k) != KeySize {
			return nil, fmt.Errorf("secret key %d is %d bytes long; keys are %d random bytes (`wisp secret keygen` makes one)", i+1, len(k), KeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("secret key %d: %w", i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secret key %d: %w", i+1, err)
		}
		sum := sha256.Sum256(k)
		var id [idSize]byte
		copy(id[:], sum[:])
		if j, dup := seen[id]; dup {
			return nil, fmt.Errorf("secret keys %d and %d are the same key (id %x): list each key once", j+1, i+1, id)
		}
		seen[id] = i
		kr.keys = append(kr.keys, key{id: id, aead: aead})
	}
	return kr, nil
}

// GenerateKey returns a new random key.
func GenerateKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("generate secret key: %w", err)
	}
	return k, nil
}

// KeyIDs returns the ids of the keyring's keys, the sealing one first.
func (kr *Keyring) KeyIDs() []string {
	ids := make([]string, len(kr.keys))
	for i, k := range kr.keys {
		ids[i] = hex.EncodeToString(k.id[:])
	}
	return ids
}

// Seal encrypts and authenticates plaintext with the keyring's first key.
func (kr *Keyring) Seal(plaintext []byte) ([]byte, error) {
	k := kr.keys[0]
	out := make([]byte, header+nonceSize, Overhead+len(plaintext))
	out[0] = format
	copy(out[1:], k.id[:])
	if _, err := rand.Read(out[header:]); err != nil {
		return nil, fmt.Errorf("seal: read random nonce: %w", err)
	}
	return k.aead.Seal(out, out[header:], plaintext, out[:header]), nil
}

// Open decrypts a value Seal produced with any of the keyring's keys. Its
// errors match ErrOpen and name the key id the value was sealed with,
// never any of its content.
func (kr *Keyring) Open(sealed []byte) ([]byte, error) {
	if len(sealed) < Overhead || sealed[0] != format {
		return nil, fmt.Errorf("%w: it is not a sealed value of this format (%d bytes)", ErrOpen, len(sealed))
	}
	id := sealed[1:header]
	for _, k := range kr.keys {
		if !bytes.Equal(k.id[:], id) {
			continue
		}
		nonce, ciphertext := sealed[header:header+nonceSize], sealed[header+nonceSize:]
		plain, err := k.aead.Open(nil, nonce, ciphertext, sealed[:header])
		if err != nil {
			return nil, fmt.Errorf("%w: it fails authentication with key %x: it was changed or damaged", ErrOpen, id)
		}
		return plain, nil
	}
	return nil, fmt.Errorf("%w: it was sealed with key %x, which is not among this node's keys (%s): give every node the same secret key file (docs/secrets.md)",
		ErrOpen, id, strings.Join(kr.KeyIDs(), ", "))
}

// SealedWith returns the id of the key sealed was sealed with, or "" if
// it is not a sealed value.
func SealedWith(sealed []byte) string {
	if len(sealed) < Overhead || sealed[0] != format {
		return ""
	}
	return hex.EncodeToString(sealed[1:header])
}

// Parse reads a key file: one standard-base64 key a line, the sealing key
// first; blank lines and lines starting with '#' are ignored. Errors name
// the line, never a key.
func Parse(data []byte) (*Keyring, error) {
	var keys [][]byte
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := base64.StdEncoding.DecodeString(line)
		if err != nil {
			return nil, fmt.Errorf("line %d is not a base64 key: write one key a line as `wisp secret keygen` prints it, or a comment starting with '#'", i+1)
		}
		if len(k) != KeySize {
			return nil, fmt.Errorf("line %d holds a key of %d bytes; keys are %d random bytes (`wisp secret keygen` prints one)", i+1, len(k), KeySize)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("no key in it: add a line with a key (`wisp secret keygen` prints one)")
	}
	return New(keys...)
}

// FormatKey returns k as a key file line (without the line feed).
func FormatKey(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

// Load reads the key file at path.
func Load(path string) (*Keyring, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read secret key file: %w", err)
	}
	kr, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	return kr, nil
}

// LoadOrCreate reads the key file at path, or, if it does not exist,
// writes a new one holding a fresh random key, with mode 0600 (its
// directory is created with 0700). created reports which. A new file is
// fsynced, and so is its directory once the file is linked into it (and
// the directory's parent if LoadOrCreate created the directory), so a
// crash after LoadOrCreate returns cannot lose the key that seals the
// node's secrets.
func LoadOrCreate(path string) (kr *Keyring, created bool, err error) {
	return loadOrCreate(path, syncDir)
}

// syncDir fsyncs the directory dir, making the entries linked into it
// durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if closeErr := d.Close(); err == nil {
		err = closeErr
	}
	return err
}

// loadOrCreate is LoadOrCreate with the directory sync given, for tests.
func loadOrCreate(path string, syncDir func(dir string) error) (kr *Keyring, created bool, err error) {
	kr, err = Load(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return kr, false, err
	}
	k, err := GenerateKey()
	if err != nil {
		return nil, false, err
	}
	dir := filepath.Dir(path)
	_, statErr := os.Stat(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("create secret key file: %w", err)
	}
	content := "# Wisp secret key file: the first key encrypts secrets, every key decrypts them.\n" +
		"# Every node of a fleet needs the same file. Rotation: docs/secrets.md.\n" + FormatKey(k) + "\n"
	// The key is written to a temporary file and linked into place, which
	// fails if path exists: two nodes starting on one directory never
	// overwrite each other's key, and none reads a half-written file.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret.key-*")
	if err != nil {
		return nil, false, fmt.Errorf("create secret key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(content)
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return nil, false, fmt.Errorf("write secret key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		kr, err = Load(path)
		return kr, false, err
	} else if err != nil {
		return nil, false, fmt.Errorf("create secret key file: %w", err)
	}
	// The link, and the directory if it is new, are durable once their
	// directories are synced. A failure fails the call: better no node
	// than one whose secrets a crash could make unreadable. The next start
	// finds the file, if it survived, and uses it.
	dirs := []string{dir}
	if errors.Is(statErr, fs.ErrNotExist) {
		dirs = append(dirs, filepath.Dir(dir))
	}
	for _, d := range dirs {
		if err := syncDir(d); err != nil {
			return nil, false, fmt.Errorf("create secret key file: sync directory %s: %w", d, err)
		}
	}
	kr, err = New(k)
	return kr, true, err
}
