package oci_test

import (
	"context"
	"fmt"
	"log"

	"github.com/wisphq/wisp/internal/oci"
)

// A deploy resolves the reference first and downloads the module only if
// the node lacks its digest. (Not run: it needs a registry.)
func ExampleClient_Resolve() {
	ctx := context.Background()
	c := oci.New(oci.Options{}) // credentials from ~/.docker/config.json
	ref, err := oci.ParseReference("ghcr.io/acme/hello:1.0")
	if err != nil {
		log.Fatal(err)
	}
	a, err := c.Resolve(ctx, ref)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("deploy", a.Ref.Pinned(a.Ref.Digest), "module", a.Module.Digest)
	nodeHasIt := false // ask the node: HEAD /v1/blobs/{a.Module.Digest}
	if !nodeHasIt {
		if err := c.Download(ctx, a, "hello.wasm"); err != nil {
			log.Fatal(err) // errors.Is(err, oci.ErrDigestMismatch) for tampered content
		}
	}
}
