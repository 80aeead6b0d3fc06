package wasi

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/component/canon"
)

// callf calls iface.name directly with Go values.
func callf(t *testing.T, s *State, iface, name string, args ...any) ([]any, error) {
	t.Helper()
	return callCtx(t, context.Background(), s, iface, name, args...)
}

func callCtx(t *testing.T, ctx context.Context, s *State, iface, name string, args ...any) ([]any, error) {
	t.Helper()
	f, found := Interfaces()[iface][name]
	if !found {
		t.Fatalf("%s %s is not implemented", iface, name)
	}
	if len(args) != len(f.Type.Params) {
		t.Fatalf("%s %s takes %d arguments, the test passes %d", iface, name, len(f.Type.Params), len(args))
	}
	return f.Call(ctx, s, args)
}

// value calls and returns the single result, failing on an error.
func value(t *testing.T, s *State, iface, name string, args ...any) any {
	t.Helper()
	res, err := callf(t, s, iface, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v", iface, name, err)
	}
	if len(res) != 1 {
		t.Fatalf("%s %s returned %d results, want 1", iface, name, len(res))
	}
	return res[0]
}

// streamErr returns the stream-error of a result, failing if it is ok.
func streamErr(t *testing.T, v any) canon.VariantValue {
	t.Helper()
	r := v.(canon.VariantValue)
	if r.Case != 1 {
		t.Fatalf("want err(stream-error), got ok(%v)", r.Value)
	}
	return r.Value.(canon.VariantValue)
}

func TestEnvironment(t *testing.T) {
	s := &State{Env: []string{"A=1", "B=x=y", "C", "D=\xff"}, Args: []string{"prog", "arg"}}
	env := value(t, s, "wasi:cli/environment", "get-environment").([][2]string)
	want := [][2]string{{"A", "1"}, {"B", "x=y"}, {"C", ""}, {"D", "\uFFFD"}}
	if !reflect.DeepEqual(env, want) {
		t.Fatalf("get-environment got %q, want %q", env, want)
	}
	args := value(t, s, "wasi:cli/environment", "get-arguments").([]string)
	if len(args) != 2 || args[0] != "prog" || args[1] != "arg" {
		t.Fatalf("get-arguments got %v", args)
	}
	for _, c := range []struct{ iface, name string }{
		{"wasi:cli/environment", "initial-cwd"},
		{"wasi:cli/terminal-stdin", "get-terminal-stdin"},
		{"wasi:cli/terminal-stdout", "get-terminal-stdout"},
		{"wasi:cli/terminal-stderr", "get-terminal-stderr"},
	} {
		if v := value(t, s, c.iface, c.name).(canon.VariantValue); v.Case != 0 {
			t.Errorf("%s %s: got %v, want none", c.iface, c.name, v)
		}
	}
}

func TestExit(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   string
		arg  any
		code uint32
	}{
		{"exit ok", "exit", canon.VariantValue{Case: 0}, 0},
		{"exit err", "exit", canon.VariantValue{Case: 1}, 1},
		{"exit-with-code", "exit-with-code", uint8(3), 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := callf(t, &State{}, "wasi:cli/exit", tc.fn, tc.arg)
			var ee *ExitError
			if !errors.As(err, &ee) || ee.Code != tc.code {
				t.Fatalf("got %v, want exit code %d", err, tc.code)
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk on fire") }

type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, errors.New("cable cut") }

func TestOutputStreams(t *testing.T) {
	var out, errw bytes.Buffer
	s := &State{Stdout: &out, Stderr: &errw}
	so := value(t, s, "wasi:cli/stdout", "get-stdout")
	se := value(t, s, "wasi:cli/stderr", "get-stderr")
	const streams = "wasi:io/streams"
	if p := value(t, s, streams, "[method]output-stream.check-write", so).(canon.VariantValue); p.Case != 0 || p.Value != uint64(WritePermit) {
		t.Fatalf("check-write got %v", p)
	}
	value(t, s, streams, "[method]output-stream.write", so, []byte("a"))
	value(t, s, streams, "[method]output-stream.blocking-write-and-flush", so, []byte("b"))
	value(t, s, streams, "[method]output-stream.write-zeroes", so, uint64(2))
	value(t, s, streams, "[method]output-stream.flush", so)
	value(t, s, streams, "[method]output-stream.blocking-flush", so)
	value(t, s, streams, "[method]output-stream.write", se, []byte("to stderr"))
	if out.String() != "ab\x00\x00" || errw.String() != "to stderr" {
		t.Fatalf("stdout %q, stderr %q", out.String(), errw.String())
	}
	_, err := callf(t, s, streams, "[method]output-stream.write", so, make([]byte, WritePermit+1))
	if !canon.IsTrap(err) {
		t.Fatalf("a write over the permit: want a trap, got %v", err)
	}
	_, err = callf(t, s, streams, "[method]output-stream.blocking-write-zeroes-and-flush", so, uint64(1)<<40)
	if !canon.IsTrap(err) {
		t.Fatalf("writing 1 TiB of zeroes: want a trap, got %v", err)
	}
	// A nil writer discards.
	d := &State{}
	if r := value(t, d, "wasi:io/streams", "[method]output-stream.write", value(t, d, "wasi:cli/stdout", "get-stdout"), []byte("x")); r.(canon.VariantValue).Case != 0 {
		t.Fatalf("a write to a nil Stdout got %v, want ok", r)
	}
}

func TestStreamErrors(t *testing.T) {
	const streams = "wasi:io/streams"
	s := &State{Stdout: failWriter{}, Stdin: failReader{}}
	so := value(t, s, "wasi:cli/stdout", "get-stdout")
	e := streamErr(t, value(t, s, streams, "[method]output-stream.blocking-write-and-flush", so, []byte("x")))
	if e.Case != 0 {
		t.Fatalf("a failing writer: want last-operation-failed, got case %d", e.Case)
	}
	msg := value(t, s, "wasi:io/error", "[method]error.to-debug-string", e.Value)
	if !strings.Contains(msg.(string), "disk on fire") {
		t.Fatalf("to-debug-string got %q", msg)
	}
	if v := value(t, s, "wasi:filesystem/types", "filesystem-error-code", e.Value).(canon.VariantValue); v.Case != 0 {
		t.Fatalf("filesystem-error-code of a stream error got %v, want none", v)
	}
	if _, err := callf(t, s, "wasi:io/error", "[resource-drop]error", e.Value); err != nil {
		t.Fatal(err)
	}
	for _, fn := range []string{"[method]output-stream.check-write", "[method]output-stream.flush", "[method]output-stream.blocking-flush"} {
		if e := streamErr(t, value(t, s, streams, fn, so)); e.Case != 1 {
			t.Errorf("%s after a failure: want closed, got case %d", fn, e.Case)
		}
	}
	if e := streamErr(t, value(t, s, streams, "[method]output-stream.write", so, []byte("y"))); e.Case != 1 {
		t.Errorf("write after a failure: want closed, got case %d", e.Case)
	}

	si := value(t, s, "wasi:cli/stdin", "get-stdin")
	if e := streamErr(t, value(t, s, streams, "[method]input-stream.read", si, uint64(4))); e.Case != 0 {
		t.Fatalf("a failing reader: want last-operation-failed, got case %d", e.Case)
	}
	if e := streamErr(t, value(t, s, streams, "[method]input-stream.blocking-read", si, uint64(4))); e.Case != 1 {
		t.Fatalf("read after a failure: want closed, got case %d", e.Case)
	}
}

func TestInputStream(t *testing.T) {
	const streams = "wasi:io/streams"
	s := &State{Stdin: strings.NewReader("abcdef")}
	si := value(t, s, "wasi:cli/stdin", "get-stdin")
	if got := value(t, s, streams, "[method]input-stream.read", si, uint64(2)).(canon.VariantValue); string(got.Value.([]byte)) != "ab" {
		t.Fatalf("read 2 got %v", got)
	}
	if got := value(t, s, streams, "[method]input-stream.skip", si, uint64(1)).(canon.VariantValue); got.Value != uint64(1) {
		t.Fatalf("skip 1 got %v", got)
	}
	if got := value(t, s, streams, "[method]input-stream.blocking-read", si, uint64(1)<<62).(canon.VariantValue); string(got.Value.([]byte)) != "def" {
		t.Fatalf("read all got %v", got)
	}
	if e := streamErr(t, value(t, s, streams, "[method]input-stream.read", si, uint64(1))); e.Case != 1 {
		t.Fatalf("read at EOF: want closed, got case %d", e.Case)
	}
	// splice from a fresh stdin into stdout.
	var out bytes.Buffer
	s2 := &State{Stdin: strings.NewReader("spliced"), Stdout: &out}
	in := value(t, s2, "wasi:cli/stdin", "get-stdin")
	so := value(t, s2, "wasi:cli/stdout", "get-stdout")
	if got := value(t, s2, streams, "[method]output-stream.blocking-splice", so, in, uint64(100)).(canon.VariantValue); got.Value != uint64(7) || out.String() != "spliced" {
		t.Fatalf("splice got %v, stdout %q", got, out.String())
	}
	// Streams' pollables are ready at once.
	for _, fn := range []string{"[method]input-stream.subscribe", "[method]output-stream.subscribe"} {
		arg := in
		if strings.Contains(fn, "output") {
			arg = so
		}
		p := value(t, s2, streams, fn, arg)
		if value(t, s2, "wasi:io/poll", "[method]pollable.ready", p) != true {
			t.Errorf("%s: the pollable is not ready", fn)
		}
	}
	// A stream of the wrong kind is refused.
	if _, err := callf(t, s2, streams, "[method]input-stream.read", so, uint64(1)); !canon.IsTrap(err) {
		t.Fatalf("reading an output-stream: want a trap, got %v", err)
	}
}

func TestPollAndClocks(t *testing.T) {
	s := &State{}
	const mono = "wasi:clocks/monotonic-clock"
	now := value(t, s, mono, "now").(uint64)
	ready := value(t, s, mono, "subscribe-duration", uint64(0))
	later := value(t, s, mono, "subscribe-duration", uint64(time.Hour))
	soon := value(t, s, mono, "subscribe-instant", now+uint64(20*time.Millisecond))
	got := value(t, s, "wasi:io/poll", "poll", []any{later, ready}).([]any)
	if len(got) != 1 || got[0] != uint32(1) {
		t.Fatalf("poll [later, ready] got %v, want [1]", got)
	}
	start := time.Now()
	got = value(t, s, "wasi:io/poll", "poll", []any{later, soon}).([]any)
	if len(got) != 1 || got[0] != uint32(1) || time.Since(start) < 15*time.Millisecond {
		t.Fatalf("poll [later, soon] got %v after %v", got, time.Since(start))
	}
	if value(t, s, "wasi:io/poll", "[method]pollable.ready", later) != false {
		t.Fatal("a pollable an hour away is ready")
	}
	// The context's deadline ends a wait.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, err := callCtx(t, ctx, s, "wasi:io/poll", "[method]pollable.block", later); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("block past the deadline: got %v", err)
	}
	if _, err := callCtx(t, ctx, s, "wasi:io/poll", "poll", []any{later}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("poll past the deadline: got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the waits took %v", d)
	}
	if _, err := callf(t, s, "wasi:io/poll", "poll", []any{}); !canon.IsTrap(err) {
		t.Fatalf("poll of nothing: want a trap, got %v", err)
	}
	if value(t, s, mono, "now").(uint64) < now {
		t.Fatal("the monotonic clock went backwards")
	}
	wall := value(t, &State{Now: func() time.Time { return time.Unix(1700000000, 5) }}, "wasi:clocks/wall-clock", "now").([]any)
	if wall[0] != uint64(1700000000) || wall[1] != uint32(5) {
		t.Fatalf("wall-clock now got %v", wall)
	}
}

func TestRandom(t *testing.T) {
	s := &State{Random: bytes.NewReader(bytes.Repeat([]byte{7}, 64))}
	b := value(t, s, "wasi:random/random", "get-random-bytes", uint64(5)).([]byte)
	if !bytes.Equal(b, []byte{7, 7, 7, 7, 7}) {
		t.Fatalf("get-random-bytes got %v", b)
	}
	if v := value(t, s, "wasi:random/insecure", "get-insecure-random-u64"); v != uint64(0x0707070707070707) {
		t.Fatalf("get-insecure-random-u64 got %v", v)
	}
	seed := value(t, &State{}, "wasi:random/insecure-seed", "insecure-seed").([]any)
	if len(seed) != 2 {
		t.Fatalf("insecure-seed got %v", seed)
	}
	if _, err := callf(t, &State{}, "wasi:random/random", "get-random-bytes", uint64(1)<<40); !canon.IsTrap(err) {
		t.Fatalf("asking for 1 TiB: want a trap, got %v", err)
	}
	if _, err := callf(t, &State{Random: bytes.NewReader(nil)}, "wasi:random/random", "get-random-u64"); err == nil {
		t.Fatal("an exhausted source of randomness gave no error")
	}
}

func TestFilesystemRefuses(t *testing.T) {
	s := &State{}
	if dirs := value(t, s, "wasi:filesystem/preopens", "get-directories").([]any); len(dirs) != 0 {
		t.Fatalf("get-directories got %v", dirs)
	}
	for name, f := range Interfaces()["wasi:filesystem/types"] {
		if name == "filesystem-error-code" {
			continue
		}
		args := make([]any, len(f.Type.Params))
		args[0] = uint32(1)
		if _, err := f.Call(context.Background(), s, args); !canon.IsTrap(err) {
			t.Errorf("%s without a descriptor: want a trap, got %v", name, err)
		}
	}
}

func TestResourceLimit(t *testing.T) {
	s := &State{}
	sub := Interfaces()["wasi:clocks/monotonic-clock"]["subscribe-duration"]
	for i := range MaxResources {
		if _, err := sub.Call(context.Background(), s, []any{uint64(0)}); err != nil {
			t.Fatalf("resource %d: %v", i, err)
		}
	}
	if _, err := callf(t, s, "wasi:cli/stdout", "get-stdout"); !canon.IsTrap(err) {
		t.Fatalf("resource %d: want a trap, got %v", MaxResources+1, err)
	}
	if _, err := callf(t, s, "wasi:io/poll", "[resource-drop]pollable", uint32(5)); err != nil {
		t.Fatal(err)
	}
	if r := value(t, s, "wasi:cli/stdout", "get-stdout"); r != uint32(5) {
		t.Fatalf("after a drop the representation is %v, want 5 reused", r)
	}
}
