package wasi

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/component/canon"
	"github.com/wisphq/wisp/internal/hostabi/hostabitest"
)

// Every function of testdata/services.wit is implemented with exactly the
// WIT's type, and nothing else is.
func TestServicesMatchWIT(t *testing.T) {
	src, err := os.ReadFile("testdata/services.wit")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(src), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "//") {
			lines = append(lines, l)
		}
	}
	p := &witParser{
		toks:      tokenize(strings.Join(lines, "\n")),
		named:     map[string]*canon.Type{},
		resources: map[string]*canon.ResourceType{"bucket": Bucket, "cas": Cas},
		funcs:     map[string]map[string]canon.FuncType{},
	}
	p.file()
	got := Services()
	n := 0
	for iface, funcs := range p.funcs {
		for name, ft := range funcs {
			n++
			f, found := got[iface][name]
			if !found {
				t.Errorf("%s %s: not implemented", iface, name)
				continue
			}
			if err := f.Type.Err(); err != nil {
				t.Errorf("%s %s: invalid type: %v", iface, name, err)
			}
			if err := sameFunc(f.Type, ft); err != nil {
				t.Errorf("%s %s: type differs from the WIT: %v", iface, name, err)
			}
		}
	}
	for iface, funcs := range got {
		for name := range funcs {
			if _, found := p.funcs[iface][name]; !found {
				t.Errorf("%s %s: implemented but not in the WIT", iface, name)
			}
		}
	}
	if n != 26 { // 11 of the drafts, 15 of keyvalue draft2
		t.Errorf("the WIT has %d functions, not 26: the parser lost some", n)
	}
	for name := range Interfaces() {
		if _, clash := got[name]; clash {
			t.Errorf("%s is both in Interfaces and Services", name)
		}
	}
}

// svc calls a service function directly with Go values and returns its
// single result (nil for none).
func svc(t *testing.T, s *State, iface, name string, args ...any) any {
	t.Helper()
	f, found := Services()[iface][name]
	if !found {
		t.Fatalf("%s %s is not implemented", iface, name)
	}
	if len(args) != len(f.Type.Params) {
		t.Fatalf("%s %s takes %d arguments, the test passes %d", iface, name, len(f.Type.Params), len(args))
	}
	res, err := f.Call(context.Background(), s, args)
	if err != nil {
		t.Fatalf("%s %s: %v", iface, name, err)
	}
	if len(res) == 0 {
		return nil
	}
	return res[0]
}

// show renders a result value compactly: ok(...), err(case payload),
// some(...), none; byte slices as strings.
func show(v any) string {
	switch x := v.(type) {
	case canon.VariantValue:
		if x.Value == nil {
			return fmt.Sprintf("#%d", x.Case)
		}
		return fmt.Sprintf("#%d(%s)", x.Case, show(x.Value))
	case []byte:
		return fmt.Sprintf("%q", x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = show(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	return fmt.Sprint(v)
}

func TestKeyValue(t *testing.T) {
	fake := hostabitest.New()
	s := &State{Services: fake}
	const store = "wasi:keyvalue/store"
	if got := show(svc(t, s, store, "open", "other")); got != "#1(#1)" {
		t.Errorf("open of an undeclared store: %s, want err(access-denied)", got)
	}
	open := svc(t, s, store, "open", "default").(canon.VariantValue)
	if open.Case != 0 {
		t.Fatalf("open default: %s", show(open))
	}
	b := open.Value
	for _, tc := range []struct {
		name, fn string
		args     []any
		want     string
	}{
		{"get of an absent key is none", "[method]bucket.get", []any{"k"}, "#0(#0)"},
		{"exists of an absent key", "[method]bucket.exists", []any{"k"}, "#0(false)"},
		{"set", "[method]bucket.set", []any{"k", []byte("v1")}, "#0"},
		{"get", "[method]bucket.get", []any{"k"}, `#0(#1("v1"))`},
		{"exists", "[method]bucket.exists", []any{"k"}, "#0(true)"},
		{"an invalid key is other(message)", "[method]bucket.set", []any{"", []byte("x")}, "#1(#2(a key is 1 to 512 bytes: invalid))"},
		{"delete", "[method]bucket.delete", []any{"k"}, "#0"},
		{"get after delete", "[method]bucket.get", []any{"k"}, "#0(#0)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := show(svc(t, s, store, tc.fn, append([]any{b}, tc.args...)...)); got != tc.want {
				t.Errorf("%s: %s, want %s", tc.fn, got, tc.want)
			}
		})
	}

	const atomics = "wasi:keyvalue/atomics"
	for i, want := range []string{"#0(5)", "#0(6)"} {
		if got := show(svc(t, s, atomics, "increment", b, "n", uint64(5-4*i))); got != want {
			t.Errorf("increment %d: %s, want %s", i, got, want)
		}
	}
	if got := show(svc(t, s, atomics, "increment", b, "n", uint64(1)<<63)); !strings.HasPrefix(got, "#1(#2(increment of key") {
		t.Errorf("increment by more than MaxInt64: %s, want other(message)", got)
	}
	fake.Data["neg"] = []byte("-3")
	if got := show(svc(t, s, atomics, "increment", b, "neg", uint64(1))); !strings.Contains(got, "a u64 cannot hold") {
		t.Errorf("increment to a negative: %s", got)
	}

	if got := svc(t, s, store, "[resource-drop]bucket", b); got != nil || s.Resources() != 0 {
		t.Errorf("drop: %v, %d resources left", got, s.Resources())
	}
}

// list-keys pages by MaxListKeys with the count of keys returned as the
// cursor.
func TestListKeys(t *testing.T) {
	fake := hostabitest.New()
	total := MaxListKeys*2 + 5
	for i := range total {
		fake.Data[fmt.Sprintf("k%05d", i)] = []byte("x")
	}
	s := &State{Services: fake}
	b := svc(t, s, "wasi:keyvalue/store", "open", "default").(canon.VariantValue).Value
	var all []string
	cursor := none()
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("list-keys never ends")
		}
		r := svc(t, s, "wasi:keyvalue/store", "[method]bucket.list-keys", b, cursor).(canon.VariantValue)
		if r.Case != 0 {
			t.Fatalf("list-keys: %s", show(r))
		}
		resp := r.Value.([]any)
		for _, k := range resp[0].([]any) {
			all = append(all, k.(string))
		}
		cursor = resp[1].(canon.VariantValue)
		if cursor.Case == 0 {
			break
		}
		if c := cursor.Value.(uint64); c != uint64(len(all)) {
			t.Fatalf("cursor %d after %d keys", c, len(all))
		}
	}
	if len(all) != total || all[0] != "k00000" || all[total-1] != fmt.Sprintf("k%05d", total-1) {
		t.Errorf("listed %d keys (%v ... ), want %d", len(all), all[:2], total)
	}
	past := svc(t, s, "wasi:keyvalue/store", "[method]bucket.list-keys", b, some(uint64(total+7)))
	if got := show(past); got != "#0([[] #0])" {
		t.Errorf("a cursor past the end: %s", got)
	}
}

func TestConfig(t *testing.T) {
	fake := hostabitest.New()
	fake.Vars["secret"] = "s3cret"
	s := &State{Services: fake, Variables: []string{"unset", "greeting"}}
	const cfg = "wasi:config/store"
	for _, tc := range []struct{ name, key, want string }{
		{"a value", "greeting", "#0(#1(hi there))"},
		{"a secret's value", "secret", "#0(#1(s3cret))"},
		{"declared without a value", "unset", "#0(#0)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := show(svc(t, s, cfg, "get", tc.key)); got != tc.want {
				t.Errorf("get %s: %s, want %s", tc.key, got, tc.want)
			}
		})
	}
	if got := show(svc(t, s, cfg, "get", "nope")); !strings.HasPrefix(got, "#1(#0(") {
		t.Errorf("get of an undeclared variable: %s, want err(upstream(message))", got)
	}
	if got := show(svc(t, s, cfg, "get-all")); got != "#0([[greeting hi there]])" {
		t.Errorf("get-all: %s, want only greeting (unset has no value; secret is not in Variables)", got)
	}
}

func TestLogging(t *testing.T) {
	fake := hostabitest.New()
	s := &State{Services: fake}
	svc(t, s, "wasi:logging/logging", "log", uint32(3), "ctx", "careful")
	if len(fake.Logs) != 1 || fake.Logs[0] != `warn [ctx] careful []` {
		t.Errorf("logs %q", fake.Logs)
	}
}

// Without Services (wisp run) the calls fail with a message, and log goes
// to stderr.
func TestNoServices(t *testing.T) {
	var stderr bytes.Buffer
	s := &State{Stderr: &stderr}
	if got := show(svc(t, s, "wasi:keyvalue/store", "open", "default")); !strings.HasPrefix(got, "#1(#2(platform services are not available") {
		t.Errorf("open: %s", got)
	}
	if got := show(svc(t, s, "wasi:config/store", "get", "x")); !strings.HasPrefix(got, "#1(#0(platform services") {
		t.Errorf("get: %s", got)
	}
	if got := show(svc(t, s, "wasi:config/store", "get-all")); !strings.HasPrefix(got, "#1(#0(platform services") {
		t.Errorf("get-all: %s", got)
	}
	svc(t, s, "wasi:logging/logging", "log", uint32(2), "", "hello")
	svc(t, s, "wasi:logging/logging", "log", uint32(4), "db", "down")
	if got := stderr.String(); got != "info: hello\nerror db: down\n" {
		t.Errorf("stderr %q", got)
	}
}

// A bucket handle of another type, or a dropped one, traps.
func TestBucketHandleChecked(t *testing.T) {
	s := &State{Services: hostabitest.New()}
	r, err := s.add(&pollable{})
	if err != nil {
		t.Fatal(err)
	}
	f := Services()["wasi:keyvalue/store"]["[method]bucket.get"]
	for _, rep := range []any{r, uint32(99), uint32(0)} {
		if _, err := f.Call(context.Background(), s, []any{rep, "k"}); err == nil {
			t.Errorf("get on representation %v: no trap", rep)
		}
	}
}

// wasi:keyvalue@0.2.0-draft2 on the same buckets: a string cursor, a
// signed increment, compare-and-swap through cas, and batch calls.
func TestKeyValueDraft2(t *testing.T) {
	fake := hostabitest.New()
	s := &State{Services: fake}
	const (
		store   = "wasi:keyvalue/store@0.2.0-draft2"
		atomics = "wasi:keyvalue/atomics@0.2.0-draft2"
		batch   = "wasi:keyvalue/batch@0.2.0-draft2"
	)
	b := svc(t, s, store, "open", "default").(canon.VariantValue).Value
	steps := []struct {
		name, iface, fn string
		args            []any
		want            string
	}{
		{"increment below zero", atomics, "increment", []any{b, "n", int64(-5)}, "#0(-5)"},
		{"increment", atomics, "increment", []any{b, "n", int64(7)}, "#0(2)"},
		{"set-many", batch, "set-many", []any{b, []any{[]any{"a", []byte("1")}, []any{"b", []byte("2")}}}, "#0"},
		{"get-many", batch, "get-many", []any{b, []any{"a", "zz", "b"}}, `#0([#1([a "1"]) #0 #1([b "2"])])`},
		{"delete-many", batch, "delete-many", []any{b, []any{"a", "zz"}}, "#0"},
		{"get after delete-many", store, "[method]bucket.get", []any{b, "a"}, "#0(#0)"},
		{"list-keys from the start", store, "[method]bucket.list-keys", []any{b, none()}, "#0([[b n] #0])"},
		{"list-keys after a key", store, "[method]bucket.list-keys", []any{b, some("b")}, "#0([[n] #0])"},
	}
	for _, tc := range steps {
		if got := show(svc(t, s, tc.iface, tc.fn, tc.args...)); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}

	// A cas made before another write fails to swap, and hands back a cas
	// of the value found, which then swaps.
	c := svc(t, s, atomics, "[static]cas.new", b, "b").(canon.VariantValue).Value
	if got := show(svc(t, s, atomics, "[method]cas.current", c)); got != `#0(#1("2"))` {
		t.Errorf("cas.current = %s", got)
	}
	svc(t, s, store, "[method]bucket.set", b, "b", []byte("3"))
	failed := svc(t, s, atomics, "swap", c, []byte("lost")).(canon.VariantValue)
	if failed.Case != 1 || failed.Value.(canon.VariantValue).Case != 1 {
		t.Fatalf("swap after another write = %s, want cas-failed", show(failed))
	}
	retry := failed.Value.(canon.VariantValue).Value
	if got := show(svc(t, s, atomics, "[method]cas.current", retry)); got != `#0(#1("3"))` {
		t.Errorf("the returned cas holds %s, want the value written since", got)
	}
	if got := show(svc(t, s, atomics, "swap", retry, []byte("won"))); got != "#0" {
		t.Errorf("swap of the fresh cas = %s", got)
	}
	if got := show(svc(t, s, store, "[method]bucket.get", b, "b")); got != `#0(#1("won"))` {
		t.Errorf("b = %s after the swap", got)
	}
	// A cas of an absent key swaps only while it stays absent.
	c = svc(t, s, atomics, "[static]cas.new", b, "new").(canon.VariantValue).Value
	if got := show(svc(t, s, atomics, "[method]cas.current", c)); got != "#0(#0)" {
		t.Errorf("cas.current of an absent key = %s", got)
	}
	if got := show(svc(t, s, atomics, "swap", c, []byte("first"))); got != "#0" {
		t.Errorf("swap into an absent key = %s", got)
	}
	if s.Resources() != 1 {
		t.Errorf("%d resources held, want the bucket only (swap takes its cas)", s.Resources())
	}
}
