package report_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/wisphq/wisp/bench/internal/report"
)

func ExampleReplaceSection() {
	dir, err := os.MkdirTemp("", "report-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	doc := filepath.Join(dir, "benchmarks.md")
	os.WriteFile(doc, []byte("# Benchmarks\n\nHand-written intro.\n"), 0o644)

	// The first run appends the section; later runs replace its text only.
	report.ReplaceSection(doc, "peers", "| server | req/s |\n|---|---|\n| native | 1000 |\n")
	report.ReplaceSection(doc, "peers", "| server | req/s |\n|---|---|\n| native | 2000 |\n")

	b, _ := os.ReadFile(doc)
	fmt.Print(string(b))
	// Output:
	// # Benchmarks
	//
	// Hand-written intro.
	//
	// <!-- BEGIN peers -->
	// | server | req/s |
	// |---|---|
	// | native | 2000 |
	// <!-- END peers -->
}
