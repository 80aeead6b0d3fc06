package bundle_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"log"

	"github.com/wisphq/wisp/internal/bundle"
)

// A deploy packs a directory into a blob; a node loads the blob and mounts
// the resulting FS in its guests.
func Example() {
	var blob bytes.Buffer
	stats, err := bundle.Pack(&blob, "testdata/tree", 64<<20)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("packed %d files in %d directories, %d bytes\n", stats.Files, stats.Dirs, stats.Bytes)

	fsys, err := bundle.Load(&blob, 64<<20, 10_000)
	if err != nil {
		log.Fatal(err)
	}
	css, err := fs.ReadFile(fsys, "css/site.css")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("css/site.css: %s", css)
	entries, _ := fs.ReadDir(fsys, "img")
	for _, e := range entries {
		info, _ := e.Info()
		fmt.Println(info.Mode(), e.Name())
	}
	// Output:
	// packed 6 files in 5 directories, 244 bytes
	// css/site.css: body { font-family: sans-serif; }
	// -r--r--r-- logo.svg
}
