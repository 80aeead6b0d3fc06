package wasi

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/component/canon"
)

// fullListener returns the address of a loopback listener whose accept
// queue is full (backlog 0, one connection queued and never accepted), so
// a new connection to it hangs in connect: the kernel drops its SYNs.
func fullListener(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("a listener that never completes a connection needs Linux's backlog rules")
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	for range 8 {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return addr // the queue is full: connections hang
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("the loopback listener kept accepting connections into its queue")
	return ""
}

// request-options timeouts end an outgoing request with wasmtime's
// error-codes: connect-timeout connection-timeout, first-byte-timeout
// connection-read-timeout (from future-incoming-response.get), and
// between-bytes-timeout a failed body read whose http-error-code is
// connection-read-timeout.
func TestHTTPRequestTimeouts(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stall-body" {
			io.WriteString(w, "a")
			w.(http.Flusher).Flush()
		}
		select { // stall until the client gives up, or the test ends
		case <-r.Context().Done():
		case <-release:
		case <-time.After(10 * time.Second):
		}
		io.WriteString(w, "b")
	}))
	defer srv.Close()
	defer close(release)
	const ty = "wasi:http/types"
	ms := func(n uint64) canon.VariantValue { return some(n * uint64(time.Millisecond)) }
	fetch := func(s *State, authority, path string, setter string, d canon.VariantValue) canon.VariantValue {
		r := hcall(t, s, ty, "[constructor]outgoing-request", hcall(t, s, ty, "[constructor]fields")).(uint32)
		hcall(t, s, ty, "[method]outgoing-request.set-scheme", r, some(canon.VariantValue{Case: 0}))
		hcall(t, s, ty, "[method]outgoing-request.set-authority", r, some(authority))
		hcall(t, s, ty, "[method]outgoing-request.set-path-with-query", r, some(path))
		o := hcall(t, s, ty, "[constructor]request-options").(uint32)
		hcall(t, s, ty, "[method]request-options.set-"+setter, o, d)
		if got := hcall(t, s, ty, "[method]request-options."+setter, o).(canon.VariantValue); got.Value != d.Value {
			t.Fatalf("%s reads back %v, want %v", setter, got, d)
		}
		fut := okRep(t, hcall(t, s, "wasi:http/outgoing-handler", "handle", r, some(o)))
		return okRepValue(t, hcall(t, s, ty, "[method]future-incoming-response.get", fut).(canon.VariantValue)).(canon.VariantValue)
	}
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	wantCode := func(t *testing.T, v canon.VariantValue, code uint32, start time.Time) {
		t.Helper()
		if v.Case != 1 || v.Value.(canon.VariantValue).Case != code {
			t.Fatalf("got %#v, want error-code case %d", v, code)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the timeout took %v", d)
		}
	}

	t.Run("connect", func(t *testing.T) {
		addr := fullListener(t)
		start := time.Now()
		wantCode(t, fetch(&State{Outbound: client.Do}, addr, "/", "connect-timeout", ms(100)), ecConnectionTimeout, start)
	})
	t.Run("first byte", func(t *testing.T) {
		start := time.Now()
		wantCode(t, fetch(&State{Outbound: client.Do}, srv.Listener.Addr().String(), "/stall", "first-byte-timeout", ms(100)), ecConnectionReadTimeout, start)
	})
	t.Run("a connect timeout does not cut a slow answer", func(t *testing.T) {
		s := &State{Outbound: client.Do}
		srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(300 * time.Millisecond)
			io.WriteString(w, "late")
		}))
		defer srv2.Close()
		v := fetch(s, srv2.Listener.Addr().String(), "/", "connect-timeout", ms(100))
		if v.Case != 0 {
			t.Fatalf("got %#v, want the response: the connect timeout ends once connected", v)
		}
	})
	t.Run("between bytes", func(t *testing.T) {
		s := &State{Outbound: client.Do}
		v := fetch(s, srv.Listener.Addr().String(), "/stall-body", "between-bytes-timeout", ms(100))
		if v.Case != 0 {
			t.Fatalf("got %#v, want the response", v)
		}
		body := okRep(t, hcall(t, s, ty, "[method]incoming-response.consume", v.Value))
		in := okRep(t, hcall(t, s, ty, "[method]incoming-body.stream", body))
		if b := okRep2(t, hcall(t, s, "wasi:io/streams", "[method]input-stream.blocking-read", in, uint64(100))); string(b) != "a" {
			t.Fatalf("first read %q, want a", b)
		}
		start := time.Now()
		r := hcall(t, s, "wasi:io/streams", "[method]input-stream.blocking-read", in, uint64(100)).(canon.VariantValue)
		se, _ := r.Value.(canon.VariantValue)
		if r.Case != 1 || se.Case != 0 {
			t.Fatalf("the stalled read gave %#v, want last-operation-failed", r)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the timeout took %v", d)
		}
		code := hcall(t, s, ty, "http-error-code", se.Value).(canon.VariantValue)
		if code.Case != 1 || code.Value.(canon.VariantValue).Case != ecConnectionReadTimeout {
			t.Errorf("http-error-code = %#v, want some(connection-read-timeout)", code)
		}
	})
}
