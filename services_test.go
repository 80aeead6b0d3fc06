package wisp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/memstore"
)

// servicesNode is a node with an in-memory key-value backend, and an app
// "svc" running testdata/wasm/services.wasm (which runs the script in its
// SCRIPT variable against the services) with spec changed by edit.
func servicesNode(t *testing.T, cfg wisp.Config, edit func(*wisp.AppSpec)) *wisp.Node {
	t.Helper()
	cfg.Store = memstore.New()
	if cfg.KV == nil {
		cfg.KV = memstore.NewKV()
	}
	n, err := wisp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	if err := n.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	greeting := "hi"
	spec := wisp.AppSpec{
		Name: "svc", Module: upload(t, n, "services.wasm"), Routes: routes(t, "/svc"),
		KeyValueStores:       []string{"default"},
		AllowedOutboundHosts: []string{"http://127.0.0.1:*"},
		Variables:            map[string]wisp.Variable{"greeting": {Default: &greeting}, "unset": {}},
	}
	if edit != nil {
		edit(&spec)
	}
	if _, err := n.Deploy(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	return n
}

// script runs the fixture's script and returns what it printed after its
// CGI header.
func script(t *testing.T, n *wisp.Node, s string) string {
	t.Helper()
	var out bytes.Buffer
	if err := n.InvokeApp(context.Background(), "svc", wisp.Input{Args: []string{"svc"}, Env: []string{"SCRIPT=" + s}, Stdout: &out}); err != nil {
		t.Fatalf("script %q: %v", s, err)
	}
	return strings.TrimPrefix(out.String(), "Content-Type: text/plain\r\n\r\n")
}

func TestServicesThroughTheNode(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/x-up")
		fmt.Fprintf(w, "up %s", r.Header.Get("X-Test"))
	}))
	defer upstream.Close()
	n := servicesNode(t, wisp.Config{}, nil)
	tests := []struct{ name, script, want string }{
		{"state is kept across requests (1)", "open default;set k v1;incr n 2", "open 0 1\nset 0\nincr 0 2\n"},
		{"state is kept across requests (2)", "open default;get k;incr n 2", "open 0 1\nget 0 v1\nincr 0 4\n"},
		{"undeclared store", "open other", `open 3: app "svc" does not declare key-value store "other": add it to key_value_stores in wisp.toml (declared: ["default"])` + "\n"},
		{"bad store name", "open Other!", `open 4: key-value store name "Other!": use 1-63 lower case letters, digits, '_' and '-', starting with a letter or digit, like "default"` + "\n"},
		{"absent key", "open default;get nope", "open 0 1\nget 1\n"},
		{"variables", "var greeting;var unset;var undeclared", "var 0 hi\nvar 1\nvar 3: " + `app "svc" does not declare variable "undeclared": add it to [variables] in wisp.toml` + "\n"},
		{"outbound to an allowed literal loopback address", "send GET " + upstream.URL + "/x X-Test=yes", "send 0 200 text/x-up up yes\n"},
		{"outbound elsewhere is denied", "send GET http://10.0.0.1/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := script(t, n, tt.script)
			if tt.want == "" {
				if !strings.HasPrefix(got, "send 3: denied") {
					t.Errorf("got %q, want a denial", got)
				}
				return
			}
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
	t.Run("log entries carry level and fields", func(t *testing.T) {
		script(t, n, "log 3 saved code abc")
		entries, _, _ := n.Logs("svc", 0, 0)
		for _, e := range entries {
			if e.Stream == "log" && e.Message == "saved" && e.Level == "warn" && e.Context == "fixture" && e.Fields["code"] == "abc" {
				return
			}
		}
		t.Errorf("no log entry with level and fields: %+v", entries)
	})
}

func TestServiceLimits(t *testing.T) {
	n := servicesNode(t, wisp.Config{KVLimits: wisp.KVLimits{MaxValue: 4}}, func(s *wisp.AppSpec) { s.Limits.KVOps = 3 })
	// The value over the limit is refused before it is copied out of the
	// guest, so it uses no operation.
	got := script(t, n, "open default;set a 1234;set b 12345;set c 1;set d 1;set e 1")
	want := "open 0 1\nset 0\nset 5: value of 5 bytes is larger than the node's limit of 4 bytes (wisp serve --kv-max-value)\nset 0\nset 0\nset 5: app \"svc\" made 3 key-value operations in this request, its limits.kv_ops\n"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// A new request has its own count.
	if got := script(t, n, "open default;get a"); got != "open 0 1\nget 0 1234\n" {
		t.Errorf("next request: %q", got)
	}
}

func TestDeployChecksServiceDeclarations(t *testing.T) {
	tests := []struct {
		name string
		cfg  wisp.Config
		edit func(*wisp.AppSpec)
		want string
	}{
		{"imports key-value without declaring a store", wisp.Config{}, func(s *wisp.AppSpec) { s.KeyValueStores = nil },
			`module imports wisp:keyvalue/atomics@1 but the app declares no key-value store: add key_value_stores = ["default"] to its wisp.toml`},
		{"imports outbound HTTP without allowing a host", wisp.Config{}, func(s *wisp.AppSpec) { s.AllowedOutboundHosts = nil },
			`module imports wisp:http/outgoing-handler@1 but the app allows no outbound host`},
		{"bad outbound pattern", wisp.Config{}, func(s *wisp.AppSpec) { s.AllowedOutboundHosts = []string{"http//x"} }, "allowed_outbound_hosts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := wisp.New(wisp.Config{Store: memstore.New(), KV: memstore.NewKV()})
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close(context.Background())
			spec := wisp.AppSpec{Name: "svc", Module: upload(t, n, "services.wasm"), Routes: routes(t, "/svc"),
				KeyValueStores: []string{"default"}, AllowedOutboundHosts: []string{"http://127.0.0.1:1"}}
			tt.edit(&spec)
			_, err = n.Deploy(context.Background(), spec)
			if !errors.Is(err, wisp.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("deploy: %v, want ErrInvalid containing %q", err, tt.want)
			}
		})
	}
	t.Run("a node without a key-value backend", func(t *testing.T) {
		n, err := wisp.New(wisp.Config{Store: memstore.New()})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close(context.Background())
		spec := wisp.AppSpec{Name: "svc", Module: upload(t, n, "services.wasm"), Routes: routes(t, "/svc"),
			KeyValueStores: []string{"default"}, AllowedOutboundHosts: []string{"http://127.0.0.1:1"}}
		if _, err := n.Deploy(context.Background(), spec); !errors.Is(err, wisp.ErrInvalid) || !strings.Contains(err.Error(), "no key-value backend") {
			t.Fatalf("deploy: %v", err)
		}
	})
}

// TestWAGIOutboundModule runs a WAGI module that calls out with
// wasi_experimental_http, unchanged, against an upstream on loopback its
// allowed_outbound_hosts names, and one it does not.
func TestWAGIOutboundModule(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/x-wagi")
		fmt.Fprintf(w, "%s %s %s", r.Method, r.Header.Get("X-Test"), body)
	}))
	defer upstream.Close()
	n, err := wisp.New(wisp.Config{Store: memstore.New()})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close(context.Background())
	spec := wisp.AppSpec{Name: "wagi", Module: upload(t, n, "wagi-http.wasm"), Routes: routes(t, "/wagi"),
		AllowedOutboundHosts: []string{upstream.URL}}
	if _, err := n.Deploy(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = n.InvokeApp(context.Background(), "wagi", wisp.Input{Args: []string{"wagi", upstream.URL + "/a", "http://127.0.0.1:1/"}, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"req " + upstream.URL + "/a: status 200", "content-type text/x-wagi", "body POST wagi ping", "req http://127.0.0.1:1/: error "} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

// countingKV counts reads of the variables store.
type countingKV struct {
	wisp.KV
	varReads *int
}

func (c countingKV) Open(ctx context.Context, name string, q wisp.KVQuota) (wisp.KVStore, error) {
	st, err := c.KV.Open(ctx, name, q)
	if err != nil || name != wisp.VariablesStore {
		return st, err
	}
	return countingStore{st, c.varReads}, nil
}

type countingStore struct {
	wisp.KVStore
	reads *int
}

func (c countingStore) Get(ctx context.Context, key string) (wisp.KVEntry, error) {
	*c.reads++
	return c.KVStore.Get(ctx, key)
}

func TestVariableReadOncePerRequest(t *testing.T) {
	reads := 0
	n := servicesNode(t, wisp.Config{KV: countingKV{memstore.NewKV(), &reads}}, nil)
	if err := n.SetVariable(context.Background(), "svc", "greeting", "hello", false); err != nil {
		t.Fatal(err)
	}
	reads = 0
	if got := script(t, n, "var greeting;var greeting;var greeting"); got != "var 0 hello\nvar 0 hello\nvar 0 hello\n" {
		t.Fatalf("got %q", got)
	}
	if reads != 1 {
		t.Errorf("the variable was read %d times from the store in one request, want 1", reads)
	}
	// The next request reads it again, and sees a change.
	if err := n.SetVariable(context.Background(), "svc", "greeting", "hola", false); err != nil {
		t.Fatal(err)
	}
	if got := script(t, n, "var greeting"); got != "var 0 hola\n" {
		t.Errorf("next request got %q", got)
	}
}

// slowKV's stores take delay for every read, without watching the
// context: as a store whose commit waits on a disk does.
type slowKV struct {
	wisp.KV
	delay time.Duration
}

func (s slowKV) Open(ctx context.Context, name string, q wisp.KVQuota) (wisp.KVStore, error) {
	st, err := s.KV.Open(ctx, name, q)
	if err != nil || name == wisp.VariablesStore {
		return st, err
	}
	return slowStore{st, s.delay}, nil
}

type slowStore struct {
	wisp.KVStore
	delay time.Duration
}

func (s slowStore) Get(ctx context.Context, key string) (wisp.KVEntry, error) {
	time.Sleep(s.delay)
	return s.KVStore.Get(ctx, key)
}

// TestServiceCallsMeetTheDeadline: a guest calling a slow store in a loop
// is stopped at its timeout, at the first call past it, although the
// store never looks at the context (the deadline is armed by the service
// call itself: runcontext.go).
func TestServiceCallsMeetTheDeadline(t *testing.T) {
	const delay = 20 * time.Millisecond
	n := servicesNode(t, wisp.Config{KV: slowKV{memstore.NewKV(), delay}}, func(s *wisp.AppSpec) {
		s.Limits.Timeout = wisp.Duration(300 * time.Millisecond)
	})
	// A first request makes the instance later requests reuse: making it
	// waits on the context, which would arm the deadline by itself.
	script(t, n, "open default")
	start := time.Now()
	err := n.InvokeApp(context.Background(), "svc", wisp.Input{Args: []string{"svc"},
		Env: []string{"SCRIPT=open default" + strings.Repeat(";get k", 100)}, Stdout: io.Discard})
	took := time.Since(start)
	if !errors.Is(err, wisp.ErrTimeout) {
		t.Fatalf("100 reads of %s each with a 300ms timeout: %v, want ErrTimeout", delay, err)
	}
	if took > time.Second {
		t.Errorf("stopped after %s, want about the 300ms timeout and one read more", took)
	}
}
