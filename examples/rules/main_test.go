package main

import (
	"context"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/golden"
)

var update = flag.Bool("update", false, "rewrite testdata/output.golden")

// TestRules runs the example's rules over its events: the C and WAT rules
// give their verdicts, the runaway and the memory hog are stopped at their
// limits on every event until disabled, and no event loses the other
// rules' verdicts.
func TestRules(t *testing.T) {
	events, err := os.Open("events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer events.Close()
	var out strings.Builder
	if err := run(context.Background(), "rules", events, &out); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/output.golden", out.String(), *update)
}
