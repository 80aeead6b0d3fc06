package hostile

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/client"
	"github.com/wisphq/wisp/internal/headertext"
	"github.com/wisphq/wisp/internal/testnode"
)

// Upload limits (class 4: memory). The node's --max-module-size is above
// wasmscan's 64 MiB cap on a module's bytes, so a module over that cap
// can be stored and then deployed.
const (
	uploadCap     = 80 << 20
	uploadCapFlag = "80MiB"
	// overCapModule is the size of a stored module over wasmscan's cap.
	overCapModule = 72 << 20
	// peakSlack is how far the node's peak resident memory may rise
	// during one oversized upload or deploy: far below their sizes (320
	// and 72 MiB), so holding either in memory, even once, fails.
	peakSlack = 24 << 20
)

// TestUploadLimits checks that data over a size limit is refused while it
// streams, not after it was held in memory: an upload of four times the
// node's --max-module-size, sent chunked or with its length, gets a 413
// naming the flag, leaves no file behind and does not raise the node's
// peak memory; and a deploy of a stored module over the compile-cost cap
// on module bytes is refused by its size, without reading it.
func TestUploadLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node and streams hundreds of MiB; skipped with -short")
	}
	data := t.TempDir()
	n, err := testnode.Start(testnode.Options{Bin: wispBin, Data: data, Dir: repoRoot, Args: []string{"--max-module-size", uploadCapFlag}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Kill)
	c := client.New(n.Admin, n.Token)

	const want = "upload is larger than this node's --max-module-size of " + uploadCapFlag + "; nothing was stored: upload a smaller module or file bundle, or start the node with a larger --max-module-size"
	for _, tc := range []struct {
		name  string
		sized bool // send Content-Length; otherwise chunked
	}{
		{"chunked upload at four times the cap", false},
		{"sized upload at four times the cap", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			growth := peakGrowth(t, n, func() {
				const size = 4 * uploadCap
				req, err := http.NewRequest("POST", n.Admin+"/v1/blobs", io.LimitReader(zeros{}, size))
				if err != nil {
					t.Fatal(err)
				}
				if tc.sized {
					req.ContentLength = size
				}
				req.Header.Set("Authorization", "Bearer "+n.Token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatalf("POST /v1/blobs of %d MiB: %v; want the node's 413", size>>20, err)
				}
				defer resp.Body.Close()
				var body struct{ Error, Code string }
				if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
					t.Fatalf("POST /v1/blobs: %s with a body that is not JSON: %v", resp.Status, err)
				}
				if resp.StatusCode != http.StatusRequestEntityTooLarge || body.Code != "too_large" || body.Error != want {
					t.Errorf("POST /v1/blobs = %d %s %q\nwant 413 too_large %q", resp.StatusCode, body.Code, body.Error, want)
				}
				if h := headertext.Decode(resp.Header.Get("Wisp-Error")); h != want {
					t.Errorf("Wisp-Error %q, want %q", h, want)
				}
			})
			t.Logf("peak RSS rose by %.1f MiB during the upload", float64(growth)/(1<<20))
			if growth > peakSlack {
				t.Errorf("the node's peak RSS rose by %d MiB during a refused upload of %d MiB; want under %d MiB: the upload was held in memory", growth>>20, 4*uploadCap>>20, peakSlack>>20)
			}
			if files := filesUnder(t, filepath.Join(data, "blobs")); len(files) != 0 {
				t.Errorf("the refused upload left files in the store: %v", files)
			}
		})
	}

	t.Run("deploy of a stored module over the compile cap", func(t *testing.T) {
		ctx := context.Background()
		var info wisp.BlobInfo
		growth := peakGrowth(t, n, func() {
			var err error
			info, err = c.PutBlob(ctx, paddedModule(overCapModule), overCapModule, "")
			if err != nil {
				t.Fatalf("upload a %d MiB module under the %s cap: %v", overCapModule>>20, uploadCapFlag, err)
			}
		})
		t.Logf("peak RSS rose by %.1f MiB during the upload of %d MiB", float64(growth)/(1<<20), overCapModule>>20)
		if growth > peakSlack {
			t.Errorf("the node's peak RSS rose by %d MiB while it stored a %d MiB upload; want under %d MiB", growth>>20, overCapModule>>20, peakSlack>>20)
		}
		route, _ := wisp.ParseRoute("/huge")
		growth = peakGrowth(t, n, func() {
			_, err := c.Deploy(ctx, wisp.AppSpec{Name: "huge", Module: info.Digest, Routes: []wisp.Route{route}})
			wantMsg := fmt.Sprintf(`deploy app "huge": module %s is 72MiB (%d bytes), over the 64MiB a module may have (the compile-cost cap MaxModuleBytes, see docs/security.md); it was not read`, info.Digest[:19], overCapModule)
			if !errors.Is(err, wisp.ErrInvalid) || err == nil || !strings.HasPrefix(err.Error(), wantMsg) {
				t.Errorf("deploy = %v\nwant wisp.ErrInvalid starting %q", err, wantMsg)
			}
		})
		t.Logf("peak RSS rose by %.1f MiB during the refused deploy", float64(growth)/(1<<20))
		if growth > peakSlack {
			t.Errorf("the node's peak RSS rose by %d MiB during the refused deploy of a %d MiB module; want under %d MiB: the module was read", growth>>20, overCapModule>>20, peakSlack>>20)
		}
	})

	if err := n.Exited(); err != nil {
		t.Fatal(err)
	}
	if err := c.Health(context.Background()); err != nil {
		t.Fatalf("the node is not healthy after the uploads: %v", err)
	}
}

// peakGrowth resets the node's peak resident memory (VmHWM) to its
// current resident memory, runs fn, and returns how far the peak rose
// above where it started: the most memory fn made the node hold at once,
// which a sample of RSS taken afterwards would miss.
func peakGrowth(t *testing.T, n *testnode.Node, fn func()) int64 {
	t.Helper()
	pid := n.PID()
	// Writing 5 to clear_refs resets VmHWM (Linux 4.0 and later).
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		t.Fatalf("reset the node's peak memory: %v", err)
	}
	before := procStatus(t, pid, "VmHWM")
	fn()
	return procStatus(t, pid, "VmHWM") - before
}

// procStatus reads a field of /proc/PID/status given in kB, in bytes.
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("read the node's memory (this test needs Linux's /proc): %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("/proc/%d/status: %q: %v", pid, sc.Text(), err)
			}
			return kb << 10
		}
	}
	t.Fatalf("/proc/%d/status has no %s", pid, field)
	return 0
}

// paddedModule streams a WebAssembly module of exactly size bytes (size
// at least 32): the header and one custom section named "pad" holding
// zeros, which every cap but the one on module bytes lets through.
func paddedModule(size int64) io.Reader {
	const name = "pad"
	header := []byte("\x00asm\x01\x00\x00\x00\x00") // magic, version, custom section id
	// The section's content: the name's length and bytes, then padding.
	// Its size is written as a 5-byte LEB128, so the total is exact.
	content := size - int64(len(header)) - 5
	header = append(header, leb128(uint32(content))...)
	header = append(header, byte(len(name)))
	header = append(header, name...)
	return io.MultiReader(strings.NewReader(string(header)), io.LimitReader(zeros{}, content-1-int64(len(name))))
}

// leb128 encodes v as an unsigned LEB128 of exactly 5 bytes.
func leb128(v uint32) []byte {
	b := binary.AppendUvarint(nil, uint64(v))
	for len(b) < 5 {
		b[len(b)-1] |= 0x80
		b = append(b, 0)
	}
	return b
}

// filesUnder lists the regular files beneath dir.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("list %s: %v", dir, err)
	}
	return files
}
