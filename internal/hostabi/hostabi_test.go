package hostabi_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/engine"
	"github.com/wisphq/wisp/internal/hostabi"
	"github.com/wisphq/wisp/internal/hostabi/hostabitest"
)

// run runs testdata/wasm/services.wasm with script and svc (nil: none).
func run(t *testing.T, e *engine.Engine, svc hostabi.Services, script string) string {
	t.Helper()
	wasm, err := os.ReadFile("../../testdata/wasm/services.wasm")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := hostabitest.Run(t, hostabitest.Prepare(t, e, wasm, 16<<20), svc, engine.Call{Args: []string{"services"}, Env: []string{"SCRIPT=" + script}})
	return strings.TrimPrefix(out, "Content-Type: text/plain\r\n\r\n")
}

func TestServicesThroughTheABI(t *testing.T) {
	e := hostabitest.Engine(t)
	tests := []struct {
		name   string
		script string
		want   string
	}{
		{"set and get", "open default;set k hello;get k", "open 0 1\nset 0\nget 0 hello\n"},
		{"opening again gives the same handle", "open default;open default", "open 0 1\nopen 0 1\n"},
		{"absent key", "open default;get nope;exists nope", "open 0 1\nget 1\nexists 1\n"},
		{"buffer too small, then the same value", "open default;set k hello;getsmall k", "open 0 1\nset 0\nsmall 2 needs 5\ngetsmall 0 hello\n"},
		{"increment", "open default;incr n 5;incr n -2", "open 0 1\nincr 0 5\nincr 0 3\n"},
		{"list keys in order", "open default;set b 1;set a2 1;set a1 1;keys;keys a;keys a a1", "open 0 1\nset 0\nset 0\nset 0\nkeys 0 more=0 a1,a2,b,\nkeys 0 more=0 a1,a2,\nkeys 0 more=0 a2,\n"},
		{"compare and swap", "open default;cas k - v1;cas k - v2;cas k v1 v3;get k", "open 0 1\ncas 0 swapped=1\ncas 0 swapped=0\ncas 0 swapped=1\nget 0 v3\n"},
		{"undeclared store is denied with the message", "open other", "open 3: store \"other\" is not declared: denied\n"},
		{"a retry after another call reads again", "open default;set k old;peek k;set k newer;get k", "open 0 1\nset 0\npeek 2 needs 3\nset 0\nget 0 newer\n"},
		{"ttl out of range", "open default;set k v 9999999999999999", "open 0 1\nset 4: ttl_ms 9999999999999999 is out of range: use 0 for no expiry, or up to 3153600000000 (100 years)\n"},
		{"key too long, refused before it is copied", "open default;longkey 513", "open 0 1\nlongkey 4: key of 513 bytes is longer than the 512 bytes allowed\n"},
		{"value over the node's limit", "open default;set k 0123456789012345678901234567890123456789012345678901234567890123456789", "open 0 1\nset 5: value of 70 bytes is larger than the node's limit of 64 bytes (wisp serve --kv-max-value)\n"}, // MaxValueSize 64 below
		{"handle never opened", "handle 7;get k", "handle 0\nget 4: key-value handle 7 is not open: get one from open\n"},
		{"pointer outside memory", "open default;set k v;fault", "open 0 1\nset 0\nfault 8: result buffer: pointer and length lie outside linear memory\n"},
		{"variable", "var greeting;var unset;var undeclared", "var 0 hi there\nvar 1\nvar 3: variable \"undeclared\" is not declared: denied\n"},
		{"log", "log 2 saved code abc", "log 0\n"},
		{"bad log level", "log 9 x", "log 4: log level 9 is not one of 0 (trace) to 5 (critical)\n"},
		{"send", "send GET http://upstream.test/x X-Test=yes", "send 0 203 text/x-test upstream body\n"},
		{"send refused", "send GET http://other.test/", "send 3: http://other.test/ is not allowed: denied\n"},
		{"bad header line", "send GET http://upstream.test/ nocolon", "send 4: request header line \"nocolon\": write it as \"Name: value\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := hostabitest.New()
			svc.MaxValueSize = 64
			if got := run(t, e, svc, tt.script); got != tt.want {
				t.Errorf("script %q:\ngot  %q\nwant %q", tt.script, got, tt.want)
			}
		})
	}
	t.Run("a get that would fault reads nothing from the store", func(t *testing.T) {
		svc := hostabitest.New()
		run(t, e, svc, "open default;set k v;fault")
		if svc.Gets != 0 {
			t.Errorf("the store was read %d times", svc.Gets)
		}
	})
	t.Run("log reaches the services with level and fields", func(t *testing.T) {
		svc := hostabitest.New()
		run(t, e, svc, "log 3 saved code abc")
		if want := `warn [fixture] saved ["code" "abc"]`; len(svc.Logs) != 1 || svc.Logs[0] != want {
			t.Errorf("logs = %q, want [%q]", svc.Logs, want)
		}
	})
	t.Run("without a call every service is unavailable", func(t *testing.T) {
		got := run(t, e, nil, "open default;var x")
		want := "open 6: services are not available during _initialize: call them while handling a request\nvar 6: services are not available during _initialize: call them while handling a request\n"
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

func TestUnknownImportIsNamed(t *testing.T) {
	e, err := engine.New(engine.Config{}) // no host modules: the services are unknown
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	wasm, err := os.ReadFile("../../testdata/wasm/services.wasm")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Compile(context.Background(), wasm, 16<<20)
	if err == nil || !strings.Contains(err.Error(), "a platform service (docs/guest-abi.md), which only a node provides: deploy the app to a node (wisp serve)") {
		t.Fatalf("compile error = %v", err)
	}
}
