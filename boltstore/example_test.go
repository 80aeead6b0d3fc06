package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/boltstore"
)

// Open a store, upload a module and create then update an app record with
// compare-and-swap.
func Example() {
	dir, err := os.MkdirTemp("", "wisp-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	store, err := boltstore.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()

	blob, err := store.PutBlob(ctx, strings.NewReader("hello"), 1<<20)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(blob.Digest, blob.Size)

	app, err := store.PutApp(ctx, wisp.App{Name: "hello"}) // Revision 0: create
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created at revision", app.Revision)

	_, err = store.PutApp(ctx, wisp.App{Name: "hello"}) // create again
	fmt.Println("second create conflicts:", errors.Is(err, wisp.ErrConflict))

	app.Current = 1
	app, err = store.PutApp(ctx, app) // carries the revision it read
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("updated to revision", app.Revision)
	// Output:
	// sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 5
	// created at revision 1
	// second create conflicts: true
	// updated to revision 2
}
