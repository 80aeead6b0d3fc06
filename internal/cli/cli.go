// Package cli implements the wisp command line: `wisp serve` runs a node;
// deploy, apps, app, rollback, rm, logs, config, secret and kv drive a node
// through its admin API with package client (`wisp secret keygen` needs no
// node); `wisp new` starts a project from a template, push and pull move
// modules to and from OCI registries, `wisp run` runs a WASI command
// locally and `wisp version` prints versions.
//
// Every verb parses its own flags with the standard flag package; flags
// may follow positional arguments, except in `wisp run FILE.wasm ARGS...`
// where everything after the file belongs to the guest. The connection and
// output flags (--admin, --token, --output) may also come before the verb:
// `wisp --token T apps` is `wisp apps --token T`. Exit codes: 0 on
// success, 1 when the verb failed, 2 for a usage error (unknown verb, bad
// flag, wrong arguments), 130 when interrupted; `wisp run` passes the
// guest's exit code through.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/wisphq/wisp/internal/engine"
)

// Run runs the wisp command line with args (os.Args: args[0] is the
// program name) and returns the process exit code. `wisp run` hands
// os.Stdin to the guest. Verbs other than serve stop on SIGINT or SIGTERM,
// cleaning up what they made; serve installs its own signal handling.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{
		stdin:      os.Stdin,
		stdout:     stdout,
		stderr:     stderr,
		getenv:     os.Getenv,
		runCommand: engine.RunCommand,
		buildInfo:  debug.ReadBuildInfo,
		wazeroMode: engine.Mode,
		self:       selfCommand,
		signals:    true,
	}
	if len(args) > 0 {
		args = args[1:] // the program name
	}
	return e.main(ctx, args)
}

// env is what a verb may use of the world outside; tests replace parts.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(key string) string
	// runCommand runs a WASI command for `wisp run`: engine.RunCommand.
	runCommand func(ctx context.Context, wasm []byte, opts engine.CommandOptions) (int, error)
	// buildInfo describes the running binary for `wisp version`.
	buildInfo func() (*debug.BuildInfo, bool)
	// wazeroMode tells `wisp version` how wazero runs modules here:
	// engine.Mode.
	wazeroMode func(ctx context.Context) (string, error)
	// signals makes verbs stop on SIGINT and SIGTERM.
	signals bool
	// self is how a user runs this program, for the commands verbs print
	// to be copied (selfCommand); nil: "wisp".
	self func() string
}

// command returns how a user runs this program: see env.self.
func (e *env) command() string {
	if e.self == nil {
		return "wisp"
	}
	return e.self()
}

// selfCommand is "wisp" when that name on PATH is this binary, and
// otherwise the binary's absolute path (as after 'make build', bin/wisp
// not on PATH), quoted for a shell if it must be.
func selfCommand() string {
	exe, err := os.Executable()
	if err != nil {
		return "wisp"
	}
	return commandName(exe)
}

// commandName is selfCommand for the binary at exe.
func commandName(exe string) string {
	if onPath, err := exec.LookPath("wisp"); err == nil {
		a, errA := os.Stat(onPath)
		b, errB := os.Stat(exe)
		if errA == nil && errB == nil && os.SameFile(a, b) {
			return "wisp"
		}
	}
	// `go run ./cmd/wisp` runs a build that is deleted when it exits.
	if strings.Contains(exe, string(filepath.Separator)+"go-build") {
		return "wisp"
	}
	return shellQuote(exe)
}

// shellQuote returns s as a POSIX shell word: as it is when every byte is
// one a shell takes literally, else in single quotes.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:@%+=,-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// main dispatches args (without the program name) to a verb.
func (e *env) main(ctx context.Context, args []string) int {
	lead, args, err := splitLeadingFlags(args)
	if err != nil {
		fmt.Fprintf(e.stderr, "wisp: %v\nRun 'wisp help' for the list of commands.\n", err)
		return exitUsage
	}
	if len(args) == 0 {
		if len(lead) > 0 {
			fmt.Fprintf(e.stderr, "wisp: no command after %s\n\n", strings.Join(lead, " "))
		}
		e.printOverview(e.stderr)
		return exitUsage
	}
	name, rest := args[0], append(lead, args[1:]...)
	switch name {
	case "help", "-h", "-help", "--help":
		return e.help(ctx, args[1:])
	case "--version":
		name = "version"
	}
	cmd := lookup(name)
	if cmd == nil {
		e.unknownVerb(name)
		return exitUsage
	}
	if e.signals {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		// Once stopping, let a second Ctrl-C kill the process as usual, in
		// case stopping hangs.
		context.AfterFunc(ctx, stop)
	}
	return e.runVerb(ctx, cmd, rest)
}

// Exit codes of verbs.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130 // 128 + SIGINT, as shells report it
)

// runVerb parses the verb's flags, runs it and reports its error.
func (e *env) runVerb(ctx context.Context, cmd *command, args []string) int {
	v := cmd.new(e)
	fs := newFlagSet(cmd.name)
	v.flags(fs)
	positional, err := fs.parse(args, !cmd.flagsFirst)
	if errors.Is(err, flag.ErrHelp) {
		e.printHelp(e.stdout, cmd)
		return exitOK
	}
	if err != nil {
		return e.usageFailure(cmd, e.explainFlagError(cmd, err))
	}
	err = v.run(ctx, positional)
	if x, ok := v.(interface{ explainError(error) error }); ok && err != nil {
		err = x.explainError(err)
	}
	var usage usageError
	var exit exitCodeError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &exit):
		return int(exit)
	case errors.As(err, &usage):
		return e.usageFailure(cmd, usage.msg)
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		if !cmd.quietInterrupt {
			fmt.Fprintf(e.stderr, "wisp %s: interrupted\n", cmd.name)
		}
		return exitInterrupted
	}
	fmt.Fprintf(e.stderr, "wisp %s: %v\n", cmd.name, err)
	return exitFailed
}

// explainFlagError returns the message of an error parsing cmd's flags.
// A flag cmd does not define, with no flag of cmd close to it, but that
// one or two other verbs define, gets them named: "flag provided but not
// defined: -route; --route is a flag of wisp deploy".
func (e *env) explainFlagError(cmd *command, err error) string {
	var unknown *unknownFlagError
	if !errors.As(err, &unknown) || unknown.suggestion != "" || len(unknown.name) < 2 {
		return err.Error()
	}
	var verbs []string
	for _, c := range commands() {
		fs := newFlagSet(c.name)
		c.new(e).flags(fs)
		if c.name != cmd.name && fs.Lookup(unknown.name) != nil {
			verbs = append(verbs, "wisp "+c.name)
		}
	}
	if len(verbs) == 0 || len(verbs) > 2 {
		return err.Error()
	}
	return fmt.Sprintf("%v; --%s is a flag of %s", err, unknown.name, strings.Join(verbs, " and "))
}

// usageFailure reports a usage error of the verb.
func (e *env) usageFailure(cmd *command, msg string) int {
	fmt.Fprintf(e.stderr, "wisp %s: %s\n", cmd.name, msg)
	fmt.Fprintf(e.stderr, "usage: %s\nRun 'wisp help %s' for details.\n", cmd.usage[0], cmd.name)
	return exitUsage
}

// usageError is a verb's complaint about its arguments (exit code 2).
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// usagef formats a usageError.
func usagef(format string, args ...any) error {
	return usageError{msg: fmt.Sprintf(format, args...)}
}

// exitCodeError makes a verb exit with that code and print nothing more,
// for `wisp run` passing the guest's exit code through.
type exitCodeError int

func (c exitCodeError) Error() string { return fmt.Sprintf("exit code %d", int(c)) }
