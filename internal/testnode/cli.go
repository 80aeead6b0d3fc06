package testnode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// runTimeout bounds Run and Node.Wisp.
const runTimeout = 2 * time.Minute

// CLI runs wisp commands: one binary, in one working directory, with some
// variables added to the environment. Node.CLI returns one pointed at a
// node; build one yourself for commands that need no node (`wisp run`,
// `wisp version`) or other credentials. A CLI is a value and safe for
// concurrent use.
type CLI struct {
	Bin string   // the wisp binary, from Build or WithBinary. Required.
	Dir string   // working directory of the commands. Default: the current one.
	Env []string // "KEY=value" entries added to os.Environ(); they win over it
}

// Result is what a CLI command did.
type Result struct {
	Stdout, Stderr string
	Code           int // exit code
}

// Command returns `wisp ARGS...` ready to run, for callers that need more
// than Run: to read its output while it runs, say. ctx kills the process
// if it ends first, as with exec.CommandContext.
func (c CLI) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.Bin, args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), c.Env...)
	return cmd
}

// Run runs `wisp ARGS...` as RunContext does, for at most two minutes.
func (c CLI) Run(args ...string) (Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	return c.RunContext(ctx, args...)
}

// RunContext runs `wisp ARGS...` and returns what it printed and its exit
// code. A non-zero exit is not an error; failing to run the command, or
// ctx ending first (the command is killed), is.
func (c CLI) RunContext(ctx context.Context, args ...string) (Result, error) {
	cmd := c.Command(ctx, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	res := Result{Stdout: out.String(), Stderr: errOut.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return res, fmt.Errorf("wisp %s: %w", strings.Join(args, " "), ctx.Err())
	case errors.As(err, &exit):
		res.Code = exit.ExitCode()
	case err != nil:
		return res, fmt.Errorf("wisp %s: %w", strings.Join(args, " "), err)
	}
	return res, nil
}

// Output runs `wisp ARGS...` as RunContext does, for a command that must
// succeed: it returns the command's stdout, and an exit code other than 0
// is an error naming the command and holding its exit code, stdout and
// stderr.
func (c CLI) Output(ctx context.Context, args ...string) (string, error) {
	res, err := c.RunContext(ctx, args...)
	if err != nil {
		return res.Stdout, err
	}
	if res.Code != 0 {
		return res.Stdout, fmt.Errorf("wisp %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), res.Code, res.Stdout, res.Stderr)
	}
	return res.Stdout, nil
}

// CLI returns the command line pointed at this node: its binary and
// directory, with WISP_ADMIN and WISP_TOKEN set to its admin API and token.
func (n *Node) CLI() CLI {
	return CLI{Bin: n.Bin, Dir: n.Dir, Env: []string{"WISP_ADMIN=" + n.Admin, "WISP_TOKEN=" + n.Token}}
}

// Wisp runs `wisp ARGS...` against this node: n.CLI().Run(args...).
func (n *Node) Wisp(args ...string) (Result, error) { return n.CLI().Run(args...) }

// WispContext runs `wisp ARGS...` against this node:
// n.CLI().RunContext(ctx, args...).
func (n *Node) WispContext(ctx context.Context, args ...string) (Result, error) {
	return n.CLI().RunContext(ctx, args...)
}
