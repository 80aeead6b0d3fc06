package testnode

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// sh stands in for the wisp binary: CLI runs any program.
var sh = CLI{Bin: "/bin/sh"}

func TestCLIRunReportsOutputAndExitCode(t *testing.T) {
	c := sh
	c.Env = []string{"GREETING=hi", "HOME=/nowhere"}
	res, err := c.Run("-c", `echo "$GREETING $HOME"; echo oops >&2; exit 3`)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Result{Stdout: "hi /nowhere\n", Stderr: "oops\n", Code: 3}); res != want {
		t.Errorf("Run = %+v, want %+v (a non-zero exit is no error; Env wins over the environment)", res, want)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sh.RunContext(ctx, "-c", "sleep 10"); !errors.Is(err, context.Canceled) {
		t.Errorf("RunContext with an ended context = %v, want %v", err, context.Canceled)
	}
	if _, err := (CLI{Bin: filepath.Join(t.TempDir(), "missing")}).Run("version"); err == nil || !strings.Contains(err.Error(), "wisp version") {
		t.Errorf("Run of a missing binary = %v, want an error naming the command", err)
	}
}

func TestCLIOutputFailsOnANonZeroExit(t *testing.T) {
	out, err := sh.Output(context.Background(), "-c", "echo fine")
	if out != "fine\n" || err != nil {
		t.Errorf("Output of a command that succeeds = %q, %v; want %q, nil", out, err, "fine\n")
	}
	out, err = sh.Output(context.Background(), "-c", "echo partial; echo broken >&2; exit 1")
	if out != "partial\n" || err == nil {
		t.Fatalf("Output of a failing command = %q, %v; want %q and an error", out, err, "partial\n")
	}
	for _, want := range []string{"wisp -c echo partial", "exit 1", "stdout: partial", "stderr: broken"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Output's error %q lacks %q", err, want)
		}
	}
}

func TestNodeCLIPointsAtTheNode(t *testing.T) {
	n := &Node{Bin: "/bin/sh", Dir: t.TempDir(), Admin: "http://127.0.0.1:1", Token: "secret"}
	res, err := n.Wisp("-c", `echo "$WISP_ADMIN $WISP_TOKEN $PWD"`)
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://127.0.0.1:1 secret " + n.Dir + "\n"; res.Stdout != want {
		t.Errorf("the node's CLI sees %q, want %q", res.Stdout, want)
	}
}
