package wisp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/boltstore"
	"github.com/wisphq/wisp/memstore"
)

// sizedStore is a memstore that also claims to hold one blob of any size,
// made of zeros generated as it is read, and counts the bytes read of it.
type sizedStore struct {
	*memstore.Store
	digest string
	size   int64
	read   *atomic.Int64
}

func (s sizedStore) OpenBlob(ctx context.Context, digest string) (io.ReadCloser, error) {
	if digest != s.digest {
		return s.Store.OpenBlob(ctx, digest)
	}
	return io.NopCloser(&zeros{left: s.size, read: s.read}), nil
}

func (s sizedStore) StatBlob(ctx context.Context, digest string) (wisp.BlobInfo, error) {
	if digest != s.digest {
		return s.Store.StatBlob(ctx, digest)
	}
	return wisp.BlobInfo{Digest: digest, Size: s.size}, nil
}

// zeros yields left zero bytes, counting them in read.
type zeros struct {
	left int64
	read *atomic.Int64
}

func (z *zeros) Read(p []byte) (int, error) {
	if z.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), z.left)]
	clear(p)
	z.left -= int64(len(p))
	z.read.Add(int64(len(p)))
	return len(p), nil
}

// A stored module or bundle over a size cap is refused by its size, before
// a byte of it is read into memory.
func TestDeployRefusesOversizedBlobsUnread(t *testing.T) {
	huge := "sha256:" + strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name     string
		maxBlob  int64 // the node's MaxBlobSize; 0: the default
		size     int64
		asBundle bool
		kinds    []error
		message  string
	}{
		{"module over the wasmscan cap", 0, 100 << 20, false, []error{wisp.ErrInvalid},
			`deploy app "app": module sha256:abababababab is 100MiB (104857600 bytes), over the 64MiB a module may have (the compile-cost cap MaxModuleBytes`},
		{"module over MaxBlobSize", 1 << 20, 4 << 20, false, []error{wisp.ErrTooLarge, wisp.ErrInvalid},
			`deploy app "app": module sha256:abababababab is 4.0MiB (4194304 bytes), over this node's limit of 1MiB for a module or file bundle (MaxBlobSize, wisp serve --max-module-size); it was not read`},
		{"module one byte over MaxBlobSize", 1 << 20, 1<<20 + 1, false, []error{wisp.ErrTooLarge, wisp.ErrInvalid},
			"(1048577 bytes), over this node's limit of 1MiB for a module or file bundle"},
		{"bundle over MaxBlobSize", 1 << 20, 3 << 20, true, []error{wisp.ErrTooLarge, wisp.ErrInvalid},
			`file bundle for /static sha256:abababababab is 3.0MiB (3145728 bytes), over this node's limit of 1MiB for a module or file bundle`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read := &atomic.Int64{}
			store := sizedStore{Store: memstore.New(), digest: huge, size: tc.size, read: read}
			n, err := wisp.New(wisp.Config{Store: store, MaxBlobSize: tc.maxBlob})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { n.Close(context.Background()) })
			spec := wisp.AppSpec{Name: "app", Module: huge, Routes: routes(t, "/app")}
			if tc.asBundle {
				spec.Module = upload(t, n, "version1.wasm")
				spec.Files = []wisp.FileMount{{Mount: "/static", Bundle: huge}}
			}
			_, err = n.Deploy(context.Background(), spec)
			for _, kind := range tc.kinds {
				if !errors.Is(err, kind) {
					t.Errorf("err = %v; want it to match %v", err, kind)
				}
			}
			if err == nil || !strings.Contains(err.Error(), tc.message) {
				t.Errorf("err = %v; want it to contain %q", err, tc.message)
			}
			if read.Load() != 0 {
				t.Errorf("the deploy read %d bytes of the oversized blob before refusing it", read.Load())
			}
			if _, err := n.App(context.Background(), "app"); !errors.Is(err, wisp.ErrNotFound) {
				t.Errorf("a refused deploy left a record behind: %v", err)
			}
		})
	}
}

// With boltstore the size comes from the blob's file, with no second
// lookup: a module stored before the node's limit was lowered is refused.
func TestDeployRefusesAModuleOverALoweredLimit(t *testing.T) {
	dir := t.TempDir()
	store, err := boltstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := store.PutBlob(context.Background(), bytes.NewReader(make([]byte, 2<<20)), 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	n, err := wisp.New(wisp.Config{Store: store, MaxBlobSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	_, err = n.Deploy(context.Background(), wisp.AppSpec{Name: "app", Module: info.Digest, Routes: routes(t, "/app")})
	if !errors.Is(err, wisp.ErrTooLarge) || !errors.Is(err, wisp.ErrInvalid) || !strings.Contains(err.Error(), "is 2.0MiB (2097152 bytes), over this node's limit of 1MiB for a module or file bundle") {
		t.Fatalf("err = %v; want ErrTooLarge and ErrInvalid naming the limit", err)
	}
}

// A store whose StatBlob disagrees with the content fails the read rather
// than loading a cut or padded module.
func TestDeployNoticesASizeTheStoreGotWrong(t *testing.T) {
	for _, tc := range []struct {
		name    string
		claimed int64
		message string
	}{
		{"fewer bytes than claimed", 1 << 10, "unexpected EOF (the store said it has 1024 bytes)"},
		{"more bytes than claimed", 8, "the store said it has 8 bytes, but it has more"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memstore.New()
			info, err := mem.PutBlob(context.Background(), bytes.NewReader(make([]byte, 16)), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			store := lyingStore{Store: mem, size: tc.claimed}
			n, err := wisp.New(wisp.Config{Store: store})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { n.Close(context.Background()) })
			_, err = n.Deploy(context.Background(), wisp.AppSpec{Name: "app", Module: info.Digest, Routes: routes(t, "/app")})
			if err == nil || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("err = %v; want it to contain %q", err, tc.message)
			}
		})
	}
}

// lyingStore is a memstore whose StatBlob reports size for every blob.
type lyingStore struct {
	*memstore.Store
	size int64
}

func (s lyingStore) StatBlob(ctx context.Context, digest string) (wisp.BlobInfo, error) {
	return wisp.BlobInfo{Digest: digest, Size: s.size}, nil
}
