package engine

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestReactorStartsFromSnapshot runs the reactor fixture many times, in
// sequence and concurrently: every request must see the state its
// _initialize left (count 5, marker I) and none of the previous requests'
// writes.
func TestReactorStartsFromSnapshot(t *testing.T) {
	e := newEngine(t, "")
	m := compile(t, e, "reactor.wasm", 1<<20)
	if !m.Reactor() {
		t.Fatal("reactor.wasm is not recognised as a reactor")
	}
	p := mustPrepare(t, m, nil, nil)
	const want = "Content-Type: text/plain\n\n6I\n"
	check := func() error {
		var out bytes.Buffer
		if err := p.Run(context.Background(), Call{Args: []string{"r"}, Stdout: &out}); err != nil {
			return err
		}
		if out.String() != want {
			return errors.New("answer " + strings.TrimPrefix(out.String(), "Content-Type: text/plain\n\n") + " (want 6I: state leaked between requests or was not restored)")
		}
		return nil
	}
	for range 20 {
		if err := check(); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8*25)
	for range 8 {
		wg.Go(func() {
			for range 25 {
				errs <- check()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestReactorSeesRequestEnv(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the Go example twice (seconds); covered without -short")
	}
	e := newEngine(t, "")
	m, err := e.Compile(context.Background(), mustRead(t, filepath.Join("..", "..", "examples", "json", "json.wasm")), 128<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	p := mustPrepare(t, m, []string{"GREETING=from the app"}, nil)
	for _, path := range []string{"/first", "/second"} {
		var out bytes.Buffer
		err := p.Run(context.Background(), Call{Args: []string{"json"}, Env: []string{"REQUEST_METHOD=GET", "PATH_INFO=" + path, "HTTP_X_ONE=1"}, Stdout: &out})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"path": "` + path + `"`, `"greeting": "from the app"`, `"X-One": "1"`} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("request %s: answer lacks %s:\n%s", path, want, out.String())
			}
		}
	}
}

func TestReactorPrepareErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fixture string
		want    []string
	}{
		// Refused by Prepare, which runs the initialization.
		{"initialization traps", "reactor-inittrap.wasm", []string{"pre-initialize reactor: _initialize", "trapped", "config missing: set DATABASE_URL"}},
		// Refused by Compile already.
		{"state a snapshot cannot hold", "reactor-refglobal.wasm", []string{"mutable funcref", "build it as a command"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, "")
			m, err := e.Compile(context.Background(), fixture(t, tc.fixture), 1<<20)
			if err == nil {
				_, err = m.Prepare(context.Background(), nil, nil)
				m.Close(context.Background())
			}
			if err == nil {
				t.Fatal("Compile and Prepare succeeded")
			}
			if !errors.Is(err, ErrPreinit) || !errors.Is(err, ErrInvalidModule) {
				t.Errorf("error %q does not match ErrPreinit and ErrInvalidModule", err)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
