package wisp

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func openTestKV(t *testing.T, f *fakeHost) *KV {
	t.Helper()
	kv, err := openKV(f, "default")
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

func TestKVRoundTrip(t *testing.T) {
	f := newFakeHost()
	kv := openTestKV(t, f)
	big := bytes.Repeat([]byte("v"), 3*firstBuffer+1)
	for _, tc := range []struct {
		name  string
		value []byte
		gets  int // host get calls expected
	}{
		{"small", []byte("hello"), 1},
		{"empty", []byte{}, 1},
		{"larger than the first buffer", big, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := kv.Set("k", tc.value); err != nil {
				t.Fatal(err)
			}
			before := f.calls["get"]
			got, err := kv.Get("k")
			if err != nil || !bytes.Equal(got, tc.value) {
				t.Fatalf("Get = %d bytes, %v; want %d bytes", len(got), err, len(tc.value))
			}
			if n := f.calls["get"] - before; n != tc.gets {
				t.Errorf("Get made %d host calls, want %d", n, tc.gets)
			}
		})
	}
	ok, err := kv.Exists("k")
	if !ok || err != nil {
		t.Errorf("Exists(k) = %v, %v", ok, err)
	}
	if err := kv.Delete("k"); err != nil {
		t.Fatal(err)
	}
	if ok, err := kv.Exists("k"); ok || err != nil {
		t.Errorf("Exists after Delete = %v, %v", ok, err)
	}
	_, err = kv.Get("k")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete: %v, want ErrNotFound", err)
	}
	if want := `wisp: kv get "k" in store "default": not found`; err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestKVErrorsCarryTheHostMessage(t *testing.T) {
	f := newFakeHost()
	_, err := openKV(f, "other")
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrDenied) || errors.Is(err, ErrNotFound) {
		t.Fatalf("OpenKV(other) = %v; want an *Error matching ErrDenied only", err)
	}
	if want := `wisp: open key-value store "other": app does not declare key-value store "other"`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	kv := openTestKV(t, f)
	if err := kv.Set("", []byte("x")); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "key-value key is empty") {
		t.Errorf("Set with an empty key: %v", err)
	}
	kv.Set("text", []byte("abc"))
	if _, err := kv.Increment("text", 1); !errors.Is(err, ErrInvalid) {
		t.Errorf("Increment of a non-number: %v, want ErrInvalid", err)
	}
}

func TestKVTTL(t *testing.T) {
	f := newFakeHost()
	kv := openTestKV(t, f)
	if err := kv.SetWithTTL("k", []byte("v"), 1500*time.Microsecond); err != nil {
		t.Fatal(err)
	}
	if f.calls["ttl:2"] != 1 {
		t.Errorf("1.5ms was not sent as 2 ms: %v", f.calls)
	}
	for _, ttl := range []time.Duration{0, -time.Second} {
		if err := kv.SetWithTTL("k", []byte("v"), ttl); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetWithTTL(%v): %v, want ErrInvalid", ttl, err)
		}
	}
}

func TestKVAtomics(t *testing.T) {
	kv := openTestKV(t, newFakeHost())
	for i, want := range []int64{1, 3, -2} {
		n, err := kv.Increment("hits", []int64{1, 2, -5}[i])
		if err != nil || n != want {
			t.Errorf("Increment #%d = %d, %v; want %d", i, n, err, want)
		}
	}
	steps := []struct {
		name     string
		swap     func() (bool, error)
		want     bool
		wantNext string
	}{
		{"set if absent on a new key", func() (bool, error) { return kv.SetIfAbsent("c", []byte("a")) }, true, "a"},
		{"set if absent on a present key", func() (bool, error) { return kv.SetIfAbsent("c", []byte("b")) }, false, "a"},
		{"swap from the current value", func() (bool, error) { return kv.CompareAndSwap("c", []byte("a"), []byte("b")) }, true, "b"},
		{"swap from a stale value", func() (bool, error) { return kv.CompareAndSwap("c", []byte("a"), []byte("z")) }, false, "b"},
	}
	for _, s := range steps {
		swapped, err := s.swap()
		v, _ := kv.Get("c")
		if err != nil || swapped != s.want || string(v) != s.wantNext {
			t.Errorf("%s: swapped %v, %v, value %q; want %v, value %q", s.name, swapped, err, v, s.want, s.wantNext)
		}
	}
}

func TestKVKeys(t *testing.T) {
	f := newFakeHost()
	kv := openTestKV(t, f)
	var want []string
	for i := range 25 {
		k := fmt.Sprintf("go:link:%02d", i)
		want = append(want, k)
		kv.Set(k, []byte("x"))
	}
	kv.Set("go:hits:01", []byte("1"))
	kv.Set("rust:link:01", []byte("1"))
	f.listPage = 10
	var got []string
	for k, err := range kv.Keys("go:link:") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, k)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Keys = %q, want %q", got, want)
	}
	if f.calls["list_keys"] != 3 {
		t.Errorf("Keys made %d list_keys calls for 25 keys in pages of 10, want 3", f.calls["list_keys"])
	}
	keys, more, err := kv.ListKeys("go:link:", "go:link:20")
	if err != nil || more || !slices.Equal(keys, want[21:]) {
		t.Errorf("ListKeys after 20 = %q, %v, %v", keys, more, err)
	}
	// Stop early: one page only.
	f.calls["list_keys"] = 0
	for range kv.Keys("go:") {
		break
	}
	if f.calls["list_keys"] != 1 {
		t.Errorf("breaking out of Keys made %d calls, want 1", f.calls["list_keys"])
	}
	// A key longer than the first buffer (longer than a node allows: the
	// retry is for the ABI, which does not bound it).
	long := "go:long:" + strings.Repeat("k", listBuffer+10)
	kv.Set(long, []byte("x"))
	keys, _, err = kv.ListKeys("go:long:", "")
	if err != nil || !slices.Equal(keys, []string{long}) {
		t.Errorf("ListKeys of a long key = %d keys, %v", len(keys), err)
	}
}

func TestKVKeysYieldsAnError(t *testing.T) {
	kv := &KV{h: newFakeHost(), handle: 9, name: "default"}
	n := 0
	for k, err := range kv.Keys("") {
		n++
		if k != "" || !errors.Is(err, ErrInvalid) {
			t.Errorf("yielded %q, %v; want an ErrInvalid", k, err)
		}
	}
	if n != 1 {
		t.Errorf("yielded %d times, want once", n)
	}
}

func TestVar(t *testing.T) {
	f := newFakeHost()
	f.vars["greeting"] = "hi"
	f.vars["long"] = strings.Repeat("é", firstBuffer)
	f.vars["token"] = ""
	f.noValue["token"] = true
	tests := []struct {
		name    string
		want    string
		wantErr error
	}{
		{"greeting", "hi", nil},
		{"long", f.vars["long"], nil},
		{"token", "", ErrNotFound},
		{"undeclared", "", ErrDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := getVar(f, tt.name)
			if v != tt.want || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("Var(%q) = %q, %v; want %q, %v", tt.name, v, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestErrorMatchesItsCodeOnly(t *testing.T) {
	sentinels := []error{ErrNotFound, ErrDenied, ErrInvalid, ErrLimit, ErrUnavailable, ErrTimeout, ErrFault, ErrConflict}
	codes := []Code{CodeNotFound, CodeDenied, CodeInvalid, CodeLimit, CodeUnavailable, CodeTimeout, CodeFault, CodeConflict}
	for i, c := range codes {
		err := error(&Error{Op: "op", Code: c})
		for j, s := range sentinels {
			if errors.Is(err, s) != (i == j) {
				t.Errorf("errors.Is(%v, %v) = %v", err, s, !(i == j))
			}
		}
	}
	if got := (&Error{Op: "op", Code: 42}).Error(); got != "wisp: op: status 42" {
		t.Errorf("unknown code: %q", got)
	}
}
