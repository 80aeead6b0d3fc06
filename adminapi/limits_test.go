package adminapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/adminapi"
	"github.com/wisphq/wisp/internal/headertext"
	"github.com/wisphq/wisp/memstore"
)

// countingZeros yields n zero bytes and counts how many were read.
type countingZeros struct{ left, read int64 }

func (z *countingZeros) Read(p []byte) (int, error) {
	if z.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), z.left)]
	clear(p)
	z.left -= int64(len(p))
	z.read += int64(len(p))
	return len(p), nil
}

// An upload over the node's limit is refused while it is read: the
// handler reads one byte past the limit and no more, and says which flag
// sets it.
func TestUploadOverTheLimitStopsReading(t *testing.T) {
	const limit = 1 << 20
	node, err := wisp.New(wisp.Config{Store: memstore.New(), MaxBlobSize: limit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Close(context.Background()) })
	h := adminapi.New(adminapi.Config{Node: node, Token: token})
	for _, tc := range []struct {
		name   string
		size   int64
		status int
	}{
		{"at the limit", limit, http.StatusCreated},
		{"one byte over", limit + 1, http.StatusRequestEntityTooLarge},
		{"64 times over, chunked", 64 * limit, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := &countingZeros{left: tc.size}
			req := httptest.NewRequest("POST", "/v1/blobs", body)
			req.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if body.read > limit+1 {
				t.Errorf("the handler read %d bytes of the upload; want at most the limit and one byte, %d", body.read, limit+1)
			}
			if tc.status != http.StatusRequestEntityTooLarge {
				return
			}
			want := "upload is larger than this node's --max-module-size of 1MiB; nothing was stored: upload a smaller module or file bundle, or start the node with a larger --max-module-size"
			if got := headertext.Decode(w.Header().Get("Wisp-Error")); got != want {
				t.Errorf("Wisp-Error %q, want %q", got, want)
			}
			if !strings.Contains(w.Body.String(), `"code": "too_large"`) || !strings.Contains(w.Body.String(), want) {
				t.Errorf("body %s; want too_large with %q", w.Body, want)
			}
		})
	}
}

// failingStore is a memstore whose StatBlob fails with msg.
type failingStore struct {
	*memstore.Store
	msg string
}

func (s failingStore) StatBlob(ctx context.Context, digest string) (wisp.BlobInfo, error) {
	return wisp.BlobInfo{}, fmt.Errorf("%s: %w", s.msg, wisp.ErrUnavailable)
}

// Error messages carry text the node does not control (a guest's stderr,
// store errors). Whatever it holds, the answer must parse, the Wisp-Error
// header must be a valid one-line value that decodes to the message, and
// the JSON body must hold no control bytes.
func TestErrorsWithControlBytesStayValidHTTP(t *testing.T) {
	initctl := fixture(t, "reactor-initctl.wasm")
	sum := sha256.Sum256(initctl)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	for _, tc := range []struct {
		name     string
		storeMsg string // what the store's StatBlob fails with
		method   string
		path     string
		body     string
		status   int
		header   string // the decoded Wisp-Error contains this
		json     string // the body's "error" contains this
	}{
		{
			name:   "a reactor's stderr in a deploy error",
			method: "PUT", path: "/v1/apps/ctl", body: `{"module":"` + digest + `","routes":["/ctl"]}`,
			status: 400,
			header: `its stderr ends with: booting\x00\x01\x1b[31m red\x1b[0m config \ etc été ` + "\ufffd" + `\x7f missing: set DATABASE_URL`,
			json:   `its stderr ends with: booting\x00\x01\x1b[31m red\x1b[0m` + "\nconfig \\ etc\tété \ufffd" + `\x7f missing: set DATABASE_URL`,
		},
		{
			name:     "a store error in a HEAD answer",
			storeMsg: "stat failed:\x00\r\nInjected: yes\x1b]0;title\x07",
			method:   "HEAD", path: "/v1/blobs/" + digest,
			status: 503,
			header: `stat failed:\x00 Injected: yes\x1b]0;title\x07: unavailable`,
		},
		{
			name:     "a very long message",
			storeMsg: strings.Repeat("\x00", 4000),
			method:   "HEAD", path: "/v1/blobs/" + digest,
			status: 503,
			header: strings.Repeat(`\x00`, 10) + "…",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := memstore.New()
			var s wisp.Store = store
			if tc.storeMsg != "" {
				s = failingStore{Store: store, msg: tc.storeMsg}
			}
			node, err := wisp.New(wisp.Config{Store: s})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { node.Close(context.Background()) })
			if _, err := node.PutBlob(context.Background(), bytes.NewReader(initctl)); err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(adminapi.New(adminapi.Config{Node: node, Token: token}))
			t.Cleanup(srv.Close)

			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("the answer does not parse as HTTP: %v", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			v := resp.Header.Get("Wisp-Error")
			if len(v) > headertext.MaxValueBytes || strings.IndexFunc(v, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0 {
				t.Errorf("Wisp-Error %q is not printable ASCII within %d bytes", v, headertext.MaxValueBytes)
			}
			if got := headertext.Decode(v); !strings.Contains(got, tc.header) {
				t.Errorf("decoded Wisp-Error\n%q\ndoes not contain\n%q", got, tc.header)
			}
			if tc.json == "" {
				return
			}
			var answer struct{ Error string }
			if err := json.Unmarshal(body, &answer); err != nil {
				t.Fatalf("answer %q is not JSON: %v", body, err)
			}
			if !strings.Contains(answer.Error, tc.json) {
				t.Errorf("body error\n%q\ndoes not contain\n%q", answer.Error, tc.json)
			}
			if headertext.Text(answer.Error) != answer.Error {
				t.Errorf("body error %q holds control bytes", answer.Error)
			}
		})
	}
}
