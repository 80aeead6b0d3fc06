package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFullDiskIsAClearErrorAndRecovers runs a node on a small tmpfs, fills
// it, and checks that a deploy fails with a clear message, the node keeps
// serving, and deploys work again once space returns. It needs root (to
// mount the tmpfs) and is skipped otherwise.
func TestFullDiskIsAClearErrorAndRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: mounts a tmpfs")
	}
	data := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", data).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", data).Run() })

	n := startNode(t, data)
	n.mustWisp("deploy", fixture("version1.wasm"), "--name", "small", "--route", "/small")

	filler := filepath.Join(data, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for { // fill the disk
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()

	json := filepath.Join(repoRoot, "examples", "json", "json.wasm") // 3.5 MB: does not fit
	_, errOut, code := n.wisp("deploy", json, "--name", "big", "--route", "/big")
	if code != 1 || !strings.Contains(errOut, "disk is full") {
		t.Fatalf("deploy on a full disk: exit %d, %q; want exit 1 saying the disk is full", code, errOut)
	}
	if status, body := n.get("/small"); status != 200 || body != "v1\n" {
		t.Fatalf("serving on a full disk: %d %q", status, body)
	}
	if entries, _ := os.ReadDir(filepath.Join(data, "blobs", "tmp")); len(entries) != 0 {
		t.Fatalf("a failed upload left %d temp files", len(entries))
	}

	os.Remove(filler)
	n.mustWisp("deploy", json, "--name", "big", "--route", "/big/...")
	if status, _ := n.get("/big/x"); status != 200 {
		t.Fatalf("after space returned: GET /big/x = %d", status)
	}
}
