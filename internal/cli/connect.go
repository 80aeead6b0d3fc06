package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
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
	return client.New(admin, token, client.WithUserAgent("wisp/"+c.e.versions().Version)), nil
}

// resolveToken finds the token: --token, else $WISP_TOKEN, else
// ./.wisp/admin.token if it exists, else none.
func (c *connFlags) resolveToken() (string, error) {
	if c.token != "" {
		c.tokenSource = "--token"
		return c.token, nil
	}
	if t := c.e.getenv("WISP_TOKEN"); t != "" {
		c.tokenSource = "WISP_TOKEN"
		return t, nil
	}
	data, err := os.ReadFile(defaultTokenFile)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the admin token: %w; pass --token or set WISP_TOKEN instead", err)
	}
	c.tokenSource = "./" + defaultTokenFile
	return strings.TrimSpace(string(data)), nil
}

// explainError adds to an "unauthorized" answer where the token came from;
// the node's message says where to find the right one.
func (c *connFlags) explainError(err error) error {
	if !errors.Is(err, client.ErrUnauthorized) {
		return err
	}
	if c.tokenSource == "" {
		return fmt.Errorf("%w (no token was given: none in --token, WISP_TOKEN or ./%s)", err, defaultTokenFile)
	}
	return fmt.Errorf("%w (the token sent came from %s)", err, c.tokenSource)
}
