package engine

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkRun measures one invocation of each example: instantiate a fresh
// instance from the compiled module, run _start with a CGI-sized
// environment, close. This is the per-request cost of the engine alone.
func BenchmarkRun(b *testing.B) {
	env := []string{
		"GATEWAY_INTERFACE=CGI/1.1", "SERVER_SOFTWARE=Wisp", "SERVER_NAME=127.0.0.1", "SERVER_PORT=8080",
		"SERVER_PROTOCOL=HTTP/1.1", "REQUEST_METHOD=GET", "REQUEST_URI=/x", "SCRIPT_NAME=/x", "PATH_INFO=",
		"PATH_TRANSLATED=", "QUERY_STRING=", "REMOTE_ADDR=127.0.0.1", "REMOTE_HOST=127.0.0.1",
		"CONTENT_TYPE=", "X_MATCHED_ROUTE=/x", "X_FULL_URL=http://127.0.0.1:8080/x", "X_RAW_PATH_INFO=",
		"HTTP_HOST=127.0.0.1:8080", "HTTP_USER_AGENT=bench",
	}
	for _, ex := range []struct{ name, path string }{
		{"hello-wat", "examples/hello/hello.wasm"},
		{"hello-c", "bench/guests/hello-c/hello.wasm"},
		{"hello-go", "bench/guests/hello-go/hello.wasm"},                 // a command: the Go runtime starts per request
		{"hello-go-reactor", "bench/guests/hello-go-reactor/hello.wasm"}, // the same, pre-initialized
		{"echo-c", "examples/echo/echo.wasm"},
		{"json-go", "examples/json/json.wasm"}, // a reactor
	} {
		b.Run(ex.name, func(b *testing.B) {
			wasm, err := os.ReadFile(filepath.Join("..", "..", ex.path))
			if err != nil {
				b.Fatal(err)
			}
			e := newEngine(b, "")
			m, err := e.Compile(context.Background(), wasm, 128<<20)
			if err != nil {
				b.Fatal(err)
			}
			p := mustPrepare(b, m, []string{"GREETING=bench"}, nil)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := p.Run(ctx, Call{Args: []string{"/x"}, Env: env, Stdin: strings.NewReader(""), Stdout: io.Discard}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
