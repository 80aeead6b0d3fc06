package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/wisphq/wisp/client"
)

// Where API verbs find the node when no flag or variable says.
const (
	defaultAdmin = "http://127.0.0.1:8081"
	// defaultTokenFile is the token of a node started in the current
	// directory with `wisp serve --data .wisp`.
	defaultTokenFile = ".wisp/admin.token"
)

// connFlags are the connection flags of every verb that talks to a node.
// Verbs embed it; its explainError method is promoted to them, and the
// dispatcher applies it to their errors.
type connFlags struct {
	e           *env
	admin       string
	token       string
	tokenSource string // where the token came from, for error messages; "" if none
	adminURL    string // the admin API address used, once client was called
}

// register defines --admin and --token.
func (c *connFlags) register(fs *flagSet) {
	fs.StringVar(&c.admin, "admin", "", "admin API `URL` of the node (default $WISP_ADMIN, else "+defaultAdmin+")")
	fs.StringVar(&c.token, "token", "", "admin API bearer `TOKEN` (default $WISP_TOKEN, else the content of ./"+defaultTokenFile+")")
}

// client returns a client of the node the flags, the environment or the
// defaults name.
func (c *connFlags) client() (*client.Client, error) {
	admin := c.admin
	if admin == "" {
		admin = c.e.getenv("WISP_ADMIN")
	}
	if admin == "" {
		admin = defaultAdmin
	}
	token, err := c.resolveToken()
	if err != nil {
		return nil, err
	}
	cl := client.New(admin, token, client.WithUserAgent("wisp/"+c.e.versions().Version))
	c.adminURL = cl.BaseURL()
	return cl, nil
}

// resolveToken finds the token: --token, else $WISP_TOKEN, else the
// .wisp/admin.token of the current directory or the nearest directory
// above it that has one (a node started with `wisp serve --data .wisp`
// writes it; a project made with `wisp new` beneath that directory finds
// it), else none.
func (c *connFlags) resolveToken() (string, error) {
	if c.token != "" {
		c.tokenSource = "--token"
		return c.token, nil
	}
	if t := c.e.getenv("WISP_TOKEN"); t != "" {
		c.tokenSource = "$WISP_TOKEN"
		return t, nil
	}
	path, err := findTokenFile()
	if path == "" || err != nil {
		return "", err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read the admin token: %w; pass --token or set WISP_TOKEN instead", err)
	}
	c.tokenSource = path
	return strings.TrimSpace(string(data)), nil
}

// findTokenFile returns "./.wisp/admin.token" if it exists, else the
// path of the nearest .wisp/admin.token in a directory above the current
// one, else "".
func findTokenFile() (string, error) {
	rel := defaultTokenFile
	if _, err := os.Stat(rel); err == nil {
		return "./" + rel, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", nil // no current directory: no token file
	}
	for {
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
		path := filepath.Join(dir, filepath.FromSlash(defaultTokenFile))
		if _, err := os.Stat(path); err == nil {
			return path, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("read the admin token: %w; pass --token or set WISP_TOKEN instead", err)
		}
	}
}

// explainError replaces the node's answer to a missing or wrong token
// with advice that depends on where the token came from. The result still
// matches client.ErrUnauthorized.
func (c *connFlags) explainError(err error) error {
	if !errors.Is(err, client.ErrUnauthorized) {
		return err
	}
	// A node started with $WISP_TOKEN writes no DATA/admin.token.
	const fromData = "the node's token (the $WISP_TOKEN it was started with, else the content of its DATA/admin.token)"
	var msg string
	switch c.tokenSource {
	case "":
		msg = "no admin token: pass --token or set WISP_TOKEN to the node's token: the $WISP_TOKEN it was started with (every node of a fleet shares it), else the content of its DATA/admin.token; or run wisp from the directory holding the node's .wisp data directory"
	case "--token":
		msg = fmt.Sprintf("the node at %s rejected the admin token from --token: pass %s as --token", c.adminURL, fromData)
	case "$WISP_TOKEN":
		msg = fmt.Sprintf("the node at %s rejected the admin token from $WISP_TOKEN: set WISP_TOKEN (or --token) to %s, or unset it to use ./%s",
			c.adminURL, fromData, defaultTokenFile)
	default: // the token file
		msg = fmt.Sprintf("the node at %s rejected the admin token from %s, which belongs to another node or an earlier data directory: pass --token or set WISP_TOKEN to %s",
			c.adminURL, c.tokenSource, fromData)
	}
	return &explainedError{msg: msg, err: err}
}

// explainedError is an error reworded for the command line: it prints
// msg, and errors.Is and errors.As see err.
type explainedError struct {
	msg string
	err error
}

func (e *explainedError) Error() string { return e.msg }
func (e *explainedError) Unwrap() error { return e.err }
