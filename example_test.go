package wisp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/memstore"
)

// The package documentation's typical embedding: a node in memory, an app
// deployed without routes (it is only invoked by name), one invocation.
func Example() {
	ctx := context.Background()
	node, err := wisp.New(wisp.Config{Store: memstore.New()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Close(ctx)

	wasm, err := os.ReadFile("examples/hello/hello.wasm")
	if err != nil {
		fmt.Println(err)
		return
	}
	blob, err := node.PutBlob(ctx, bytes.NewReader(wasm))
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := node.Deploy(ctx, wisp.AppSpec{Name: "hello", Module: blob.Digest}); err != nil {
		fmt.Println(err)
		return
	}
	var out bytes.Buffer
	err = node.InvokeApp(ctx, "hello", wisp.Input{Args: []string{"hello"}, Stdout: &out})
	fmt.Print(out.String())
	fmt.Println(err)
	// Output:
	// Content-Type: text/plain
	//
	// Hello from Wisp!
	// <nil>
}

// deployNamed deploys testdata/wasm/NAME on node as app, without routes.
func deployNamed(ctx context.Context, node *wisp.Node, app, name string, limits wisp.Limits) error {
	wasm, err := os.ReadFile("testdata/wasm/" + name)
	if err != nil {
		return err
	}
	blob, err := node.PutBlob(ctx, bytes.NewReader(wasm))
	if err != nil {
		return err
	}
	_, err = node.Deploy(ctx, wisp.AppSpec{Name: app, Module: blob.Digest, Limits: limits})
	return err
}

// An embedder receives the guest's stderr as it writes it (the app's log
// keeps it too).
func ExampleInput_stderr() {
	ctx := context.Background()
	node, _ := wisp.New(wisp.Config{Store: memstore.New()})
	defer node.Close(ctx)
	if err := deployNamed(ctx, node, "talker", "stderr.wasm", wisp.Limits{}); err != nil {
		fmt.Println(err)
		return
	}
	var stdout, stderr bytes.Buffer
	err := node.InvokeApp(ctx, "talker", wisp.Input{Args: []string{"talker"}, Stdout: &stdout, Stderr: &stderr})
	fmt.Printf("stderr %q, err %v\n", stderr.String(), err)
	// Output:
	// stderr "log line from guest\n", err <nil>
}

// Invoke enforces the app's body limit on stdin, and a timeout matches
// context.DeadlineExceeded as well as ErrTimeout.
func ExampleNode_InvokeApp_limits() {
	ctx := context.Background()
	node, _ := wisp.New(wisp.Config{Store: memstore.New()})
	defer node.Close(ctx)
	if err := deployNamed(ctx, node, "cat", "printenv.wasm", wisp.Limits{MaxBody: 1 << 10}); err != nil {
		fmt.Println(err)
		return
	}
	if err := deployNamed(ctx, node, "loop", "loop.wasm", wisp.Limits{Timeout: wisp.Duration(50 * time.Millisecond)}); err != nil {
		fmt.Println(err)
		return
	}
	err := node.InvokeApp(ctx, "cat", wisp.Input{Args: []string{"cat"}, Stdin: strings.NewReader(strings.Repeat("x", 2<<10))})
	fmt.Println(errors.Is(err, wisp.ErrTooLarge), err)
	err = node.InvokeApp(ctx, "loop", wisp.Input{Args: []string{"loop"}})
	fmt.Println(errors.Is(err, wisp.ErrTimeout), errors.Is(err, context.DeadlineExceeded))
	// Output:
	// true app "cat" was given more than its max_body of 1KiB on stdin; send less or raise limits.max_body
	// true true
}
