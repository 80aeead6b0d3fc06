package client_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/client"
)

func digestOf(data string) string {
	sum := sha256.Sum256([]byte(data))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// blobServer is a fake blob store implementing POST /v1/blobs (with
// Wisp-Digest verification and a size limit) and HEAD /v1/blobs/{digest}.
func blobServer(t *testing.T, limit int64, stored map[string]bool) *client.Client {
	return newServer(t, map[string]http.HandlerFunc{
		"POST /v1/blobs": func(w http.ResponseWriter, r *http.Request) {
			data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
			if err != nil {
				writeError(w, 413, "too_large", "blob is over the node's 16B limit")
				return
			}
			d := digestOf(string(data))
			if want := r.Header.Get("Wisp-Digest"); want != "" && want != d {
				writeError(w, 400, "invalid", "blob digest is "+d+", not "+want)
				return
			}
			stored[d] = true
			writeJSON(w, 201, wisp.BlobInfo{Digest: d, Size: int64(len(data))})
		},
		"HEAD /v1/blobs/{digest}": func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+testToken {
				w.WriteHeader(401)
				return
			}
			if !stored[r.PathValue("digest")] {
				w.WriteHeader(404)
			}
		},
	})
}

// closeRecorder is a reader that remembers being closed.
type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestPutBlobAndHasBlob(t *testing.T) {
	stored := map[string]bool{}
	c := blobServer(t, 16, stored)
	const content = "\x00asm\x01\x00\x00\x00"
	d := digestOf(content)

	has, err := c.HasBlob(t.Context(), d)
	if err != nil || has {
		t.Fatalf("HasBlob before upload = %v, %v; want false, nil", has, err)
	}
	body := &closeRecorder{Reader: strings.NewReader(content)}
	info, err := c.PutBlob(t.Context(), body, int64(len(content)), d)
	if err != nil {
		t.Fatal(err)
	}
	if info != (wisp.BlobInfo{Digest: d, Size: int64(len(content))}) {
		t.Errorf("PutBlob() = %+v, want digest %s size %d", info, d, len(content))
	}
	if body.closed {
		t.Error("PutBlob closed the caller's reader")
	}
	has, err = c.HasBlob(t.Context(), d)
	if err != nil || !has {
		t.Fatalf("HasBlob after upload = %v, %v; want true, nil", has, err)
	}
}

func TestPutBlobErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		digest  string
		wantIs  error
	}{
		{"digest mismatch", "abc", digestOf("xyz"), wisp.ErrInvalid},
		{"over the limit", strings.Repeat("x", 17), "", wisp.ErrTooLarge},
		{"malformed digest", "abc", "md5:123", wisp.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := blobServer(t, 16, map[string]bool{})
			_, err := c.PutBlob(t.Context(), strings.NewReader(tt.content), int64(len(tt.content)), tt.digest)
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("PutBlob() error = %v, want one matching %v", err, tt.wantIs)
			}
		})
	}
}

func TestPutBlobEmptyAndUnknownSize(t *testing.T) {
	tests := []struct {
		name    string
		content string
		size    int64
	}{
		{"empty", "", 0},
		{"unknown size", "hello", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := blobServer(t, 16, map[string]bool{})
			info, err := c.PutBlob(t.Context(), strings.NewReader(tt.content), tt.size, "")
			if err != nil {
				t.Fatal(err)
			}
			if info.Digest != digestOf(tt.content) || info.Size != int64(len(tt.content)) {
				t.Errorf("PutBlob() = %+v, want %s of %d bytes", info, digestOf(tt.content), len(tt.content))
			}
		})
	}
}

// TestPutBlobStreams proves that PutBlob sends the body as it reads it:
// the node receives the first half before the second half exists.
func TestPutBlobStreams(t *testing.T) {
	firstHalf := make(chan struct{})
	c := newServer(t, map[string]http.HandlerFunc{
		"POST /v1/blobs": func(w http.ResponseWriter, r *http.Request) {
			buf := make([]byte, 4)
			if _, err := io.ReadFull(r.Body, buf); err != nil {
				writeError(w, 400, "invalid", err.Error())
				return
			}
			close(firstHalf)
			rest, _ := io.ReadAll(r.Body)
			data := string(buf) + string(rest)
			writeJSON(w, 201, wisp.BlobInfo{Digest: digestOf(data), Size: int64(len(data))})
		},
	})
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte("abcd"))
		select {
		case <-firstHalf:
			pw.Write([]byte("efgh"))
			pw.Close()
		case <-time.After(30 * time.Second): // a generous bound, so a buffering client fails instead of hanging
			pw.CloseWithError(errors.New("the node never got the first half: PutBlob buffers"))
		}
	}()
	info, err := c.PutBlob(t.Context(), pr, 8, "")
	if err != nil {
		t.Fatal(err)
	}
	if info.Digest != digestOf("abcdefgh") {
		t.Errorf("PutBlob() digest = %s, want that of abcdefgh", info.Digest)
	}
}

func TestHasBlobUnauthorized(t *testing.T) {
	c := blobServer(t, 16, map[string]bool{})
	c = client.New(c.BaseURL(), "wrong")
	_, err := c.HasBlob(t.Context(), digestOf("x"))
	if !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("HasBlob() error = %v, want one matching ErrUnauthorized", err)
	}
}
