package cli

import (
	"fmt"
	"strings"
)

// leadingFlags are the flags that may come before the command, as in
// `wisp --admin URL --token T apps`: those of the connection and output,
// which most verbs share. Each takes a value.
var leadingFlags = []string{"admin", "token", "output", "o"}

// splitLeadingFlags takes the flags in leadingFlags off the front of args
// (everything after the program name) and returns them, each as "--NAME"
// and its value, apart from the rest: the command and what follows it.
// The caller hands the flags to the command, in front of its own
// arguments. Another flag before the command is an error saying to move
// it after the command; help and version flags are left to the caller.
func splitLeadingFlags(args []string) (flags, rest []string, err error) {
	for len(args) > 0 {
		arg := args[0]
		if !strings.HasPrefix(arg, "-") || arg == "-" || arg == "--" || isHelpOrVersion(arg) {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !isLeadingFlag(name) {
			return nil, nil, leadingFlagError(arg, args[1:])
		}
		args = args[1:]
		if !hasValue {
			if len(args) == 0 {
				return nil, nil, fmt.Errorf("flag %s needs a value, then the command: wisp %s VALUE COMMAND", arg, arg)
			}
			value, args = args[0], args[1:]
		}
		flags = append(flags, "--"+name, value)
	}
	return flags, args, nil
}

func isLeadingFlag(name string) bool {
	for _, f := range leadingFlags {
		if f == name {
			return true
		}
	}
	return false
}

func isHelpOrVersion(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "--version":
		return true
	}
	return false
}

// leadingFlagError says to move a flag of a command after it.
func leadingFlagError(flag string, after []string) error {
	for _, a := range after {
		if a == "serve" || lookup(a) != nil {
			return fmt.Errorf("flag %s goes after the command: wisp %s %s ... (only --admin, --token and --output may come first)", flag, a, flag)
		}
	}
	return fmt.Errorf("flag %s goes after the command: wisp COMMAND %s ... (only --admin, --token and --output may come first)", flag, flag)
}
