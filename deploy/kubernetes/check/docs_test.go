package check

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Checks of the NATS configurations docs/operations.md shows.

// docTLSDir is where the documented configurations read certificates; the
// check puts real ones in a temporary directory instead, so nats-server's
// loader can open them.
const docTLSDir = "/etc/nats/tls/"

// fencedBlocks returns the content of the ```lang blocks of a Markdown
// document, with the line each starts on.
func fencedBlocks(doc, lang string) (blocks []string, lines []int) {
	var cur []string
	start, in := 0, false
	for i, line := range strings.Split(doc, "\n") {
		switch {
		case !in && strings.TrimSpace(line) == "```"+lang:
			in, start, cur = true, i+2, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			blocks, lines = append(blocks, strings.Join(cur, "\n")+"\n"), append(lines, start)
		case in:
			cur = append(cur, line)
		}
	}
	return blocks, lines
}

func TestFencedBlocks(t *testing.T) {
	blocks, lines := fencedBlocks("a\n```conf\nport: 1\n```\n```sh\nls\n```\n```conf\nx: 2\ny: 3\n```\n", "conf")
	if len(blocks) != 2 || blocks[1] != "x: 2\ny: 3\n" || lines[0] != 3 || lines[1] != 9 {
		t.Fatalf("fencedBlocks = %q at %v, want two blocks at lines 3 and 9", blocks, lines)
	}
}

func TestDocumentedNATSConfigsLoad(t *testing.T) {
	doc := readFile(t, filepath.Join(repoRoot, "docs", "operations.md"))
	blocks, lines := fencedBlocks(doc, "conf")
	if len(blocks) < 3 {
		t.Fatalf("docs/operations.md has %d ```conf blocks; want the hub, leaf node and TLS configurations at least", len(blocks))
	}
	tlsDir := writeTestCertificates(t)
	for i, block := range blocks {
		for _, v := range natsConfigVars(block) {
			t.Setenv(v, "placeholder-"+strings.ToLower(v))
		}
		text := strings.ReplaceAll(block, docTLSDir, tlsDir+"/")
		if _, err := processNATSConfig(text); err != nil {
			t.Errorf("docs/operations.md:%d: nats-server cannot load this configuration: %v", lines[i], err)
		}
	}
}

// writeTestCertificates writes ca.crt, server.crt and server.key (a
// self-signed certificate serving as its own CA) to a temporary directory
// and returns it.
func writeTestCertificates(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "nats-1.internal"},
		DNSNames:              []string{"nats-1.internal"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	for name, data := range map[string][]byte{
		"ca.crt":     cert,
		"server.crt": cert,
		"server.key": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
