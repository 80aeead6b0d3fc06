package engine

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while a guest writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestCloseKillsRunningInstancesSafely closes the engine while a command
// and a reactor write to their memory in a loop. wazero frees instance
// memory when it closes a runtime, from the closing goroutine; the engine
// must not let that unmap a snapshot or pool a buffer under a running
// guest (the process would fault, or the pool would hold dirty memory).
func TestCloseKillsRunningInstancesSafely(t *testing.T) {
	e := newEngine(t, "")
	var outs []*syncBuffer
	done := make(chan error, 2)
	for _, name := range []string{"spin.wasm", "spin-reactor.wasm"} {
		m := compile(t, e, name, 1<<20)
		p, err := m.Prepare(context.Background(), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := &syncBuffer{}
		outs = append(outs, out)
		go func() { done <- p.Run(context.Background(), Call{Args: []string{"spin"}, Stdout: out}) }()
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, out := range outs { // wait until both guests are in their loops
		for out.String() != "spinning\n" {
			if time.Now().After(deadline) {
				t.Fatal("the spinning guests did not start")
			}
			time.Sleep(time.Millisecond)
		}
	}
	if err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run of an instance killed by Close = %v, want context.Canceled", err)
		}
	}
	for range 50 {
		b := e.memory.get(2 * pageSize)
		if i := bytes.IndexFunc(b, func(r rune) bool { return r != 0 }); i >= 0 {
			t.Fatalf("a pooled buffer holds a killed guest's bytes at %d", i)
		}
	}
}

// TestGrowingPageByPageBeyondThePool runs a guest that grows its memory one
// page at a time to a 256 MiB limit, past the largest pooled size. It
// finishes within the timeout only if growth beyond the pool is amortized
// (each step copying the whole memory took minutes).
func TestGrowingPageByPageBeyondThePool(t *testing.T) {
	if testing.Short() {
		t.Skip("touches 256 MiB")
	}
	e := newEngine(t, "")
	m := compile(t, e, "growpages.wasm", 256<<20)
	out, err := run(t, m, time.Minute)
	if err != nil || out != "Content-Type: text/plain\n\ngrown\n" {
		t.Fatalf("got %q, %v", out, err)
	}
}
