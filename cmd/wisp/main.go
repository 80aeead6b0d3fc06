// Command wisp runs and drives Wisp nodes: `wisp serve` runs a node, and
// the other verbs deploy apps to one, inspect them and read their logs.
// `wisp help` lists the verbs. See package internal/cli.
package main

import (
	"context"
	"os"

	"github.com/wisphq/wisp/internal/cli"
)

func main() {
	ctx := context.Background()
	os.Exit(cli.Run(ctx, os.Args, os.Stdout, os.Stderr))
}
