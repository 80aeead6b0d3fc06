package client_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/adminapi"
	"github.com/wisphq/wisp/client"
	"github.com/wisphq/wisp/memstore"
)

// zeroReader yields n zero bytes, generated as they are read.
type zeroReader struct{ left int64 }

func (z *zeroReader) Read(p []byte) (int, error) {
	if z.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), z.left)]
	clear(p)
	z.left -= int64(len(p))
	return len(p), nil
}

// An upload far over the node's limit gets the node's 413 and its message,
// not a broken pipe, whether its size is known or it is sent chunked: the
// real admin API stops reading at the limit and closes the connection.
func TestPutBlobOverTheNodesLimit(t *testing.T) {
	const limit = 1 << 20
	node, err := wisp.New(wisp.Config{Store: memstore.New(), MaxBlobSize: limit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Close(context.Background()) })
	srv := httptest.NewServer(adminapi.New(adminapi.Config{Node: node, Token: testToken}))
	t.Cleanup(srv.Close)
	c := client.New(srv.URL, testToken)
	const want = "upload is larger than this node's --max-module-size of 1MiB; nothing was stored: upload a smaller module or file bundle, or start the node with a larger --max-module-size"
	for _, tc := range []struct {
		name string
		size int64 // what PutBlob is told; -1: unknown
	}{
		{"known size", 64 * limit},
		{"chunked", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.PutBlob(t.Context(), &zeroReader{left: 64 * limit}, tc.size, "")
			if !errors.Is(err, wisp.ErrTooLarge) || err.Error() != want {
				t.Fatalf("PutBlob = %v\nwant %s", err, want)
			}
		})
	}
}
