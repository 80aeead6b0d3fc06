package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wisphq/wisp"
)

var blobCases = []testCase{
	{name: "PutOpenStatRoundTrip", run: testBlobRoundTrip},
	{name: "DigestIsSHA256OfContent", run: testBlobDigest},
	{name: "PutSameContentTwice", run: testBlobPutTwice},
	{name: "EmptyBlob", run: testBlobEmpty},
	{name: "Limit", run: testBlobLimit},
	{name: "StopsReadingPastLimit", run: testBlobStopsReading},
	{name: "FailingReaderStoresNothing", run: testBlobFailingReader},
	{name: "UnknownDigestNotFound", run: testBlobUnknown},
	{name: "MalformedDigestRejected", run: testBlobMalformedDigest},
	{name: "LargeBlobStreamed", run: testBlobLarge},
	{name: "ConcurrentPutSameContent", run: testBlobConcurrentSame},
	{name: "ConcurrentPutDifferentContent", run: testBlobConcurrentDifferent},
	{name: "PutAgainKeepsOpenReadersIntact", run: testBlobPutWhileReading},
}

func testBlobRoundTrip(t *testing.T, f *fixture) {
	content := []byte("hello, wisp\n")
	info := putBytes(t, f.store, content)
	checkBlob(t, f.store, content)
	if info.Digest != digestOf(content) {
		t.Fatalf("digest %s, want %s", info.Digest, digestOf(content))
	}
}

func testBlobDigest(t *testing.T, f *fixture) {
	for _, tc := range []struct {
		name    string
		content []byte
		want    string // from sha256sum, as a check on digestOf itself
	}{
		{"Text", []byte("abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"Binary", []byte{0, 0xff, 0, '\n', 0x80}, ""},
		{"OddSize", randomBytes(100_003, 1), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want != "" && digestOf(tc.content) != tc.want {
				t.Fatalf("the suite's own digest is wrong: %s, want %s", digestOf(tc.content), tc.want)
			}
			putBytes(t, f.store, tc.content) // checks the digest
			checkBlob(t, f.store, tc.content)
		})
	}
}

func testBlobPutTwice(t *testing.T, f *fixture) {
	content := []byte("same content")
	first := putBytes(t, f.store, content)
	second := putBytes(t, f.store, content)
	if first != second {
		t.Fatalf("second PutBlob = %+v, first = %+v; want the same", second, first)
	}
	checkBlob(t, f.store, content)
}

func testBlobEmpty(t *testing.T, f *fixture) {
	info := putBytes(t, f.store, nil)
	if want := "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; info.Digest != want {
		t.Fatalf("empty blob digest %s, want %s", info.Digest, want)
	}
	checkBlob(t, f.store, nil)
}

func testBlobLimit(t *testing.T, f *fixture) {
	for _, tc := range []struct {
		name     string
		size     int
		limit    int64
		tooLarge bool
	}{
		{"ExactlyAtLimit", 100, 100, false},
		{"UnderLimit", 99, 100, false},
		{"OneOverLimit", 101, 100, true},
		{"FarOverLimit", 1 << 20, 1000, true},
		{"EmptyWithZeroLimit", 0, 0, false},
		{"OneByteWithZeroLimit", 1, 0, true},
		{"MaxInt64Limit", 10, math.MaxInt64, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			content := randomBytes(tc.size, byte(tc.size))
			info, err := f.store.PutBlob(t.Context(), bytes.NewReader(content), tc.limit)
			if !tc.tooLarge {
				if err != nil {
					t.Fatalf("PutBlob(%d bytes, limit %d): %v", tc.size, tc.limit, err)
				}
				if want := (wisp.BlobInfo{Digest: digestOf(content), Size: int64(tc.size)}); info != want {
					t.Fatalf("PutBlob = %+v, want %+v", info, want)
				}
				checkBlob(t, f.store, content)
				return
			}
			wantErr(t, "PutBlob over the limit", err, wisp.ErrTooLarge)
			checkNoBlob(t, f.store, digestOf(content))
			// Nor may a prefix cut at the limit have been stored. (The empty
			// prefix may exist: another case in the table stores it.)
			if tc.limit > 0 {
				checkNoBlob(t, f.store, digestOf(content[:tc.limit]))
			}
		})
	}
}

// errReadTooFar is what endlessReader fails with once the store has read
// far more than its limit.
var errReadTooFar = errors.New("storetest: PutBlob kept reading long after the limit was passed")

// endlessReader yields zeros, failing once more than max bytes were read.
type endlessReader struct{ read, max int64 }

func (r *endlessReader) Read(p []byte) (int, error) {
	if r.read > r.max {
		return 0, errReadTooFar
	}
	clear(p)
	r.read += int64(len(p))
	return len(p), nil
}

func testBlobStopsReading(t *testing.T, f *fixture) {
	const limit = 64 << 10
	r := &endlessReader{max: limit + 4<<20} // generous room for buffering
	_, err := f.store.PutBlob(t.Context(), r, limit)
	if errors.Is(err, errReadTooFar) {
		t.Fatalf("PutBlob read %d bytes with a limit of %d: it must stop soon after the limit", r.read, limit)
	}
	wantErr(t, "PutBlob of an endless stream", err, wisp.ErrTooLarge)
}

func testBlobFailingReader(t *testing.T, f *fixture) {
	errBroken := errors.New("storetest: connection reset")
	full := randomBytes(300_000, 2)
	prefix := full[:200_000]
	_, err := f.store.PutBlob(t.Context(), &failingReader{content: prefix, err: errBroken}, math.MaxInt64)
	if err == nil {
		t.Fatal("PutBlob with a reader that fails midway returned no error")
	}
	wantErr(t, "PutBlob with a failing reader", err, errBroken)
	checkNoBlob(t, f.store, digestOf(prefix))
	checkNoBlob(t, f.store, digestOf(full))
}

func testBlobUnknown(t *testing.T, f *fixture) {
	putBytes(t, f.store, []byte("something else"))
	checkNoBlob(t, f.store, digestOf([]byte("never stored")))
}

func testBlobMalformedDigest(t *testing.T, f *fixture) {
	// A file outside the store that a store building paths from unchecked
	// digests would reach.
	canary := filepath.Join(t.TempDir(), "canary")
	if err := os.WriteFile(canary, []byte("outside the store"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Store a real blob so the sharded directories exist.
	stored := putBytes(t, f.store, []byte("a real blob"))
	hexPart := strings.TrimPrefix(stored.Digest, "sha256:")
	up := strings.Repeat("../", 40)

	for _, tc := range []struct{ name, digest string }{
		{"Empty", ""},
		{"PrefixOnly", "sha256:"},
		{"NoPrefix", hexPart},
		{"WrongAlgorithm", "md5:" + hexPart[:32]},
		{"UpperCasePrefix", "SHA256:" + hexPart},
		{"UpperCaseHex", "sha256:" + strings.ToUpper(hexPart)},
		{"TooShort", "sha256:" + hexPart[:63]},
		{"TooLong", "sha256:" + hexPart + "0"},
		{"NotHex", "sha256:" + strings.Repeat("g", 64)},
		{"TrailingNewline", stored.Digest + "\n"},
		{"LeadingSpace", " " + stored.Digest},
		{"NUL", stored.Digest[:20] + "\x00" + stored.Digest[21:]},
		{"TraversalToEtcPasswd", "sha256:../../etc/passwd"},
		{"DeepTraversalToEtcPasswd", "sha256:" + up + "etc/passwd"},
		{"AbsolutePath", "sha256:" + canary},
		{"TraversalToCanary", "sha256:" + up + strings.TrimPrefix(canary, "/")},
		{"ShardTraversal", "sha256:" + hexPart[:2] + "/../" + hexPart[2:] + "/../../.."},
		{"BlobWithSuffix", stored.Digest + "/."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkRejected := func(op string, err error) {
				t.Helper()
				if err == nil {
					t.Fatalf("%s(%q) succeeded; a malformed digest must be rejected before it reaches any path", op, tc.digest)
				}
				if !errors.Is(err, wisp.ErrInvalid) && !errors.Is(err, wisp.ErrNotFound) {
					t.Fatalf("%s(%q) error = %v; want one wrapping ErrInvalid (or ErrNotFound)", op, tc.digest, err)
				}
			}
			rc, err := f.store.OpenBlob(t.Context(), tc.digest)
			if err == nil {
				rc.Close()
			}
			checkRejected("OpenBlob", err)
			_, err = f.store.StatBlob(t.Context(), tc.digest)
			checkRejected("StatBlob", err)
		})
	}
	if b, err := os.ReadFile(canary); err != nil || string(b) != "outside the store" {
		t.Fatalf("the file outside the store changed: %q, %v", b, err)
	}
}

func testBlobLarge(t *testing.T, f *fixture) {
	const size = 8 << 20
	// Stream the content from a generator, hashing it on the side, so the
	// suite never holds it whole either.
	want := sha256.New()
	src := io.TeeReader(io.LimitReader(rand.NewChaCha8([32]byte{8}), size), want)
	info, err := f.store.PutBlob(t.Context(), src, size)
	if err != nil {
		t.Fatalf("PutBlob(8 MiB): %v", err)
	}
	wantDigest := "sha256:" + hex.EncodeToString(want.Sum(nil))
	if info != (wisp.BlobInfo{Digest: wantDigest, Size: size}) {
		t.Fatalf("PutBlob(8 MiB) = %+v, want digest %s and size %d", info, wantDigest, size)
	}
	rc, err := f.store.OpenBlob(t.Context(), info.Digest)
	if err != nil {
		t.Fatalf("OpenBlob: %v", err)
	}
	defer rc.Close()
	got := sha256.New()
	n, err := io.Copy(got, rc)
	if err != nil {
		t.Fatalf("reading the blob back: %v", err)
	}
	if n != size || "sha256:"+hex.EncodeToString(got.Sum(nil)) != wantDigest {
		t.Fatalf("read back %d bytes hashing to sha256:%x, want %d bytes hashing to %s", n, got.Sum(nil), size, wantDigest)
	}
}

func testBlobConcurrentSame(t *testing.T, f *fixture) {
	content := randomBytes(256<<10+3, 3)
	const writers = 8
	infos := make([]wisp.BlobInfo, writers)
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			infos[i], errs[i] = f.store.PutBlob(t.Context(), bytes.NewReader(content), math.MaxInt64)
		})
	}
	wg.Wait()
	want := wisp.BlobInfo{Digest: digestOf(content), Size: int64(len(content))}
	for i := range writers {
		if errs[i] != nil || infos[i] != want {
			t.Errorf("writer %d: PutBlob = %+v, %v; want %+v, nil", i, infos[i], errs[i], want)
		}
	}
	checkBlob(t, f.store, content)
}

func testBlobConcurrentDifferent(t *testing.T, f *fixture) {
	const writers = 8
	contents := make([][]byte, writers)
	for i := range contents {
		contents[i] = randomBytes(64<<10+i, byte(10+i))
	}
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			if _, err := f.store.PutBlob(t.Context(), bytes.NewReader(contents[i]), math.MaxInt64); err != nil {
				t.Errorf("writer %d: PutBlob: %v", i, err)
			}
		})
	}
	wg.Wait()
	for _, c := range contents {
		checkBlob(t, f.store, c)
	}
}

// A store must not rewrite a blob in place when the same content is put
// again: a reader that opened it earlier would see it truncated.
func testBlobPutWhileReading(t *testing.T, f *fixture) {
	content := randomBytes(1<<20, 4)
	info := putBytes(t, f.store, content)
	rc, err := f.store.OpenBlob(t.Context(), info.Digest)
	if err != nil {
		t.Fatalf("OpenBlob: %v", err)
	}
	defer rc.Close()
	head := make([]byte, 1000)
	if _, err := io.ReadFull(rc, head); err != nil {
		t.Fatalf("reading the start of the blob: %v", err)
	}
	putBytes(t, f.store, content)
	rest, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading the rest of the blob after putting it again: %v", err)
	}
	if got := append(head, rest...); !bytes.Equal(got, content) {
		t.Fatalf("an open reader saw %d bytes that differ from the %d stored after the blob was put again", len(got), len(content))
	}
}
