package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/wisphq/wisp/internal/didyoumean"
)

func kvCommand() *command {
	return &command{
		name:    "kv",
		summary: "read and write the node's key-value stores",
		usage: []string{
			"wisp kv set STORE KEY [VALUE] [--ttl DURATION] [flags]",
			"wisp kv get STORE KEY [flags]",
			"wisp kv rm STORE KEY [flags]",
			"wisp kv ls [STORE [PREFIX]] [flags]",
		},
		description: `
Operate on the key-value stores apps declare in wisp.toml
(key_value_stores = ["default"]); apps declaring the same store share it,
and every node of a fleet sees the same data.

  set   stores VALUE at KEY, or, without VALUE, the bytes read from stdin
        as they are; the store is made by its first write. --ttl makes the
        key expire.
  get   writes the value to stdout as it is (no newline added).
  rm    removes KEY.
  ls    lists the keys of STORE starting with PREFIX, in order, or, without
        STORE, the stores.

The node's limits apply: a value of at most --kv-max-value (1MiB by default),
keys of at most 512 bytes.`,
		examples: []string{
			"wisp kv set default greeting hello",
			"wisp kv set default logo.png < logo.png",
			"wisp kv set default session:42 '{\"user\":\"ana\"}' --ttl 1h",
			"wisp kv get default greeting",
			"wisp kv ls default user:",
			"wisp kv rm default greeting",
		},
		new: func(e *env) verb { return &kvVerb{connFlags: connFlags{e: e}} },
	}
}

// kvVerb is `wisp kv`.
type kvVerb struct {
	connFlags
	output outputFlag
	ttl    time.Duration
}

func (v *kvVerb) flags(fs *flagSet) {
	v.connFlags.register(fs)
	v.output.register(fs)
	fs.DurationVar(&v.ttl, "ttl", 0, "with set: remove the key this long after it is set, like 90s or 24h (default: never)")
}

// kvActions returns the actions of `wisp kv`, with the words other tools
// use for them.
func kvActions() actions {
	return actions{names: []string{"set", "get", "rm", "ls"}, synonyms: map[string]string{
		"put": "set", "write": "set", "read": "get", "cat": "get", "show": "get",
		"del": "rm", "delete": "rm", "remove": "rm", "list": "ls", "keys": "ls",
	}}
}

func (v *kvVerb) run(ctx context.Context, args []string) error {
	action, args, err := kvActions().split("kv", args)
	if err != nil {
		return err
	}
	if v.ttl != 0 && action != "set" {
		return usagef("--ttl goes with 'wisp kv set'")
	}
	if v.ttl < 0 {
		return usagef("--ttl %s is negative: give a duration like 90s or 24h", v.ttl)
	}
	switch {
	case action == "set" && (len(args) < 2 || len(args) > 3):
		return usagef("want STORE KEY [VALUE] (without VALUE it is read from stdin), got %d arguments", len(args))
	case (action == "get" || action == "rm") && len(args) != 2:
		return usagef("want STORE KEY, got %d arguments", len(args))
	case action == "ls" && len(args) > 2:
		return usagef("want [STORE [PREFIX]], got %d arguments", len(args))
	}
	c, err := v.client()
	if err != nil {
		return err
	}
	w := v.e.stdout
	switch action {
	case "set":
		var value []byte
		if len(args) == 3 {
			value = []byte(args[2])
		} else {
			if f, ok := v.e.stdin.(*os.File); ok && isTerminal(f) {
				fmt.Fprintln(v.e.stderr, "reading the value from stdin; end it with Ctrl-D")
			}
			if value, err = io.ReadAll(v.e.stdin); err != nil {
				return fmt.Errorf("read the value from stdin: %w", err)
			}
		}
		rev, err := c.KVSet(ctx, args[0], args[1], value, v.ttl)
		if err != nil {
			return err
		}
		if v.output.json() {
			return writeJSON(w, map[string]any{"store": args[0], "key": args[1], "revision": rev})
		}
		fmt.Fprintf(w, "stored %s in %s (%s, revision %d)\n", quoteKey(args[1]), args[0], plural(len(value), "byte"), rev)
	case "get":
		e, err := c.KVGet(ctx, args[0], args[1])
		if err != nil {
			return err
		}
		if v.output.json() {
			return writeJSON(w, e)
		}
		_, err = w.Write(e.Value)
		return err
	case "rm":
		if err := c.KVDelete(ctx, args[0], args[1]); err != nil {
			return err
		}
		fmt.Fprintf(w, "removed %s from %s\n", quoteKey(args[1]), args[0])
	case "ls":
		return v.list(ctx, c, args)
	}
	return nil
}

// list runs `wisp kv ls`: the stores, or every key of a store with a
// prefix, page after page.
func (v *kvVerb) list(ctx context.Context, c kvLister, args []string) error {
	w := v.e.stdout
	if len(args) == 0 {
		stores, err := c.KVStores(ctx)
		if err != nil {
			return err
		}
		if v.output.json() {
			return writeJSON(w, nonNil(stores))
		}
		if len(stores) == 0 {
			fmt.Fprintln(w, "no key-value stores yet; an app declaring key_value_stores, or 'wisp kv set', makes one")
		}
		for _, s := range stores {
			fmt.Fprintln(w, s)
		}
		return nil
	}
	prefix := ""
	if len(args) == 2 {
		prefix = args[1]
	}
	var all []string
	for after := ""; ; {
		keys, more, err := c.KVKeys(ctx, args[0], prefix, after, 0)
		if err != nil {
			return err
		}
		if v.output.json() {
			all = append(all, keys...)
		} else {
			for _, k := range keys {
				fmt.Fprintln(w, quoteKey(k))
			}
		}
		if !more || len(keys) == 0 {
			break
		}
		after = keys[len(keys)-1]
	}
	if v.output.json() {
		return writeJSON(w, nonNil(all))
	}
	return nil
}

// kvLister is what list needs of a client.
type kvLister interface {
	KVStores(ctx context.Context) ([]string, error)
	KVKeys(ctx context.Context, store, prefix, after string, limit int) ([]string, bool, error)
}

// quoteKey returns key as is if it prints safely on one line, else
// quoted with Go escapes.
func quoteKey(key string) string {
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '"' || r == '\\' || (r >= 0x80 && r <= 0x9f) || r == '\u2028' || r == '\u2029' ||
			(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') {
			return fmt.Sprintf("%q", key)
		}
	}
	if strings.TrimSpace(key) != key || key == "" {
		return fmt.Sprintf("%q", key)
	}
	return key
}

// nonNil returns s, or an empty slice for nil, so JSON shows [].
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// actions are the sub-commands of a verb such as `wisp kv`.
type actions struct {
	names    []string
	synonyms map[string]string // words of other tools -> the action
}

// split returns the action args start with and the rest, or a usage error
// listing the actions and suggesting the one probably meant.
func (a actions) split(verb string, args []string) (string, []string, error) {
	list := strings.Join(a.names[:len(a.names)-1], ", ") + " or " + a.names[len(a.names)-1]
	if len(args) == 0 {
		return "", nil, usagef("missing action: use %s, as in 'wisp %s %s ...'", list, verb, a.names[0])
	}
	name := args[0]
	if slices.Contains(a.names, name) {
		return name, args[1:], nil
	}
	msg := fmt.Sprintf("unknown action %q: use %s", name, list)
	if s := a.suggest(name); s != "" {
		msg = fmt.Sprintf("unknown action %q; did you mean 'wisp %s %s'? (actions: %s)", name, verb, s, list)
	}
	return "", nil, usageError{msg: msg}
}

// suggest returns the action word was probably meant to be, or "".
func (a actions) suggest(word string) string {
	word = strings.ToLower(word)
	if s, ok := a.synonyms[word]; ok {
		return s
	}
	best, bestDist := "", 2 // a typo is one edit away, two for longer words
	if len(word) >= 3 {
		bestDist = 3
	}
	for _, n := range a.names {
		if d := didyoumean.Distance(word, n); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}
