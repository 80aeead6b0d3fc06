package wasi

import (
	"context"
	"io"
	"strings"

	"github.com/wisphq/wisp/internal/component/canon"
)

// addCLI adds wasi:cli's interfaces.
func addCLI(m map[string]Interface, t *types) {
	m["wasi:cli/environment"] = Interface{
		"get-environment": fn(nil, canon.List(canon.Tuple(canon.String(), canon.String())), getEnvironment),
		"get-arguments":   fn(nil, canon.List(canon.String()), getArguments),
		"initial-cwd": fn(nil, canon.Option(canon.String()), func(context.Context, *State, []any) ([]any, error) {
			return one(none())
		}),
	}
	m["wasi:cli/exit"] = Interface{
		"exit":           fn(ps(canon.Result(nil, nil)), nil, exit),
		"exit-with-code": fn(ps(canon.U8()), nil, exitWithCode),
	}
	m["wasi:cli/stdin"] = Interface{
		"get-stdin": fn(nil, canon.Own(InputStream), func(_ context.Context, s *State, _ []any) ([]any, error) {
			st := &s.stdin
			if s.gotStdin {
				st = new(inputStream)
			}
			*st, s.gotStdin = inputStream{r: s.Stdin}, true
			return newRep(s, st)
		}),
	}
	m["wasi:cli/stdout"] = Interface{
		"get-stdout": fn(nil, canon.Own(OutputStream), func(_ context.Context, s *State, _ []any) ([]any, error) {
			return newRep(s, s.stdioStream(&s.stdout, &s.gotStdout, s.Stdout))
		}),
	}
	m["wasi:cli/stderr"] = Interface{
		"get-stderr": fn(nil, canon.Own(OutputStream), func(_ context.Context, s *State, _ []any) ([]any, error) {
			return newRep(s, s.stdioStream(&s.stderr, &s.gotStderr, s.Stderr))
		}),
	}
	m["wasi:cli/terminal-input"] = Interface{"[resource-drop]terminal-input": dropFunc(TerminalInput)}
	m["wasi:cli/terminal-output"] = Interface{"[resource-drop]terminal-output": dropFunc(TerminalOutput)}
	noTerminal := func(context.Context, *State, []any) ([]any, error) { return one(none()) }
	m["wasi:cli/terminal-stdin"] = Interface{
		"get-terminal-stdin": fn(nil, canon.Option(canon.Own(TerminalInput)), noTerminal),
	}
	m["wasi:cli/terminal-stdout"] = Interface{
		"get-terminal-stdout": fn(nil, canon.Option(canon.Own(TerminalOutput)), noTerminal),
	}
	m["wasi:cli/terminal-stderr"] = Interface{
		"get-terminal-stderr": fn(nil, canon.Option(canon.Own(TerminalOutput)), noTerminal),
	}
}

// newRep stores obj in s and returns its representation as the result
// (in s.result: canon lowers it before the next host call).
func newRep(s *State, obj any) ([]any, error) {
	r, err := s.add(obj)
	if err != nil {
		return nil, err
	}
	s.result[0] = r
	return s.result[:], nil
}

// stdioStream returns the object of a get-stdout or get-stderr writing to
// w: embedded, the run's first (got reports whether it was handed out
// already), or a new one.
func (s *State) stdioStream(embedded *outputStream, got *bool, w io.Writer) *outputStream {
	st := embedded
	if *got {
		st = new(outputStream)
	}
	*st, *got = outputStream{w: w}, true
	return st
}

// getEnvironment returns the environment as a [][2]string, which canon
// lowers as it would the []any of its pairs, with no value per string.
// State.Env (or EnvFunc's) is read at the run's first call.
func getEnvironment(_ context.Context, s *State, _ []any) ([]any, error) {
	if s.env == nil {
		vars := s.Env
		if s.EnvFunc != nil {
			vars = s.EnvFunc()
		}
		env := make([][2]string, len(vars))
		for i, kv := range vars {
			k, v, _ := strings.Cut(kv, "=")
			env[i] = [2]string{strings.ToValidUTF8(k, "\uFFFD"), strings.ToValidUTF8(v, "\uFFFD")}
		}
		s.env = []any{env}
	}
	return s.env, nil
}

// getArguments returns the arguments as a []string (see getEnvironment).
func getArguments(_ context.Context, s *State, _ []any) ([]any, error) {
	if s.args == nil {
		args := make([]string, len(s.Args))
		for i, a := range s.Args {
			args[i] = strings.ToValidUTF8(a, "\uFFFD")
		}
		s.args = []any{args}
	}
	return s.args, nil
}

func exit(_ context.Context, _ *State, args []any) ([]any, error) {
	status, _ := args[0].(canon.VariantValue)
	if status.Case == 0 {
		return nil, &ExitError{Code: 0}
	}
	return nil, &ExitError{Code: 1}
}

func exitWithCode(_ context.Context, _ *State, args []any) ([]any, error) {
	code, _ := args[0].(uint8)
	return nil, &ExitError{Code: uint32(code)}
}
