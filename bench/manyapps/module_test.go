package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestHelloModuleIsTheExampleWithAnotherMessage(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("..", "..", "examples", "hello", "hello.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if got := helloModule("Hello from Wisp!\n"); !bytes.Equal(got, want) {
		t.Errorf("helloModule(the example's message) =\n% x\nwant examples/hello/hello.wasm\n% x", got, want)
	}
	if a, b := helloModule(appBody(1)), helloModule(appBody(2)); bytes.Equal(a, b) {
		t.Error("two apps got the same module")
	}
}
