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
	// wisp.toml:4:1: unknown key "rotes"; did you mean "routes"? (valid keys: name, module, routes, key_value_stores, allowed_outbound_hosts, env, files, variables, limits)
}

func ExampleParse_services() {
	m, err := manifest.Parse([]byte(`
name = "links"
module = "links.wasm"
routes = ["/links/..."]
key_value_stores = ["default"]
allowed_outbound_hosts = ["https://api.example.com", "http://127.0.0.1:8080"]

[variables]
greeting = { default = "Welcome" }
admin_token = { secret = true }

[limits]
kv_ops = 100
`), "wisp.toml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.KeyValueStores, m.AllowedOutboundHosts)
	fmt.Println(*m.Variables["greeting"].Default, m.Variables["admin_token"].Secret)
	fmt.Println(m.Limits.KVOps, m.Limits.WithDefaults().OutboundRequests)
	// Output:
	// [default] [https://api.example.com http://127.0.0.1:8080]
	// Welcome true
	// 100 32
}
