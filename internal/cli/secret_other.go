//go:build !linux

package cli

import (
	"context"
	"os"
)

// readNoEcho fails on systems where the standard library offers no way to
// turn off a terminal's echo: the value has to be piped.
func readNoEcho(ctx context.Context, f *os.File, prompt func()) ([]byte, error) {
	return nil, errNoEcho
}
