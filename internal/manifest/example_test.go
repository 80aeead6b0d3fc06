package manifest_test

import (
	"fmt"

	"github.com/wisphq/wisp/internal/manifest"
)

func ExampleParse() {
	m, err := manifest.Parse([]byte(`
name = "echo"
module = "echo.wasm"
routes = ["/echo/..."]

[env]
GREETING = "hello"

[limits]
memory = "64MiB"
timeout = "5s"
`), "apps/echo/wisp.toml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Name, m.Module, m.Routes, m.Env)
	fmt.Println(m.Limits.Memory, m.Limits.Timeout, m.Limits.WithDefaults().MaxConcurrency)
	// Output:
	// echo apps/echo/echo.wasm [/echo/...] map[GREETING:hello]
	// 64MiB 5s 64
}

func ExampleParse_error() {
	_, err := manifest.Parse([]byte(`
name = "echo"
module = "echo.wasm"
rotes = ["/echo/..."]
`), "wisp.toml")
	fmt.Println(err)
	// Output:
	// wisp.toml:4:1: unknown key "rotes"; did you mean "routes"? (valid keys: name, module, routes, env, files, limits)
}
