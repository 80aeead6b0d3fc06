package wasi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wisphq/wisp/internal/component/canon"
)

// hcall calls wasi:http function iface.name with args, failing on an error.
func hcall(t *testing.T, s *State, iface, name string, args ...any) any {
	t.Helper()
	f, found := Interfaces()[iface][name]
	if !found {
		t.Fatalf("%s %s is missing", iface, name)
	}
	res, err := f.Call(context.Background(), s, args)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(res) == 0 {
		return nil
	}
	return res[0]
}

// okRep returns the representation inside ok(rep), failing otherwise.
func okRep(t *testing.T, v any) uint32 {
	t.Helper()
	r, isOK := v.(canon.VariantValue)
	if !isOK || r.Case != 0 {
		t.Fatalf("want ok, got %#v", v)
	}
	return r.Value.(uint32)
}

func TestHTTPFields(t *testing.T) {
	s := &State{}
	const ty = "wasi:http/types"
	f := hcall(t, s, ty, "[constructor]fields").(uint32)
	for _, tc := range []struct {
		name  string
		fn    string
		args  []any
		case_ uint32
	}{
		{"append", "[method]fields.append", []any{f, "X-A", []byte("1")}, 0},
		{"append again", "[method]fields.append", []any{f, "x-a", []byte("2")}, 0},
		{"invalid name", "[method]fields.append", []any{f, "bad name", []byte("v")}, 1},
		{"set", "[method]fields.set", []any{f, "b", []any{[]byte("3")}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := hcall(t, s, ty, tc.fn, tc.args...).(canon.VariantValue).Case; got != tc.case_ {
				t.Errorf("case %d, want %d", got, tc.case_)
			}
		})
	}
	if got := hcall(t, s, ty, "[method]fields.get", f, "x-A").([]any); len(got) != 2 || string(got[1].([]byte)) != "2" {
		t.Errorf("get x-a = %q", got)
	}
	if n := len(hcall(t, s, ty, "[method]fields.entries", f).([]any)); n != 3 {
		t.Errorf("%d entries, want 3", n)
	}
	// An incoming request's headers are immutable.
	req := rep(t, s, func() (uint32, error) { return s.NewIncomingRequest(httptest.NewRequest("GET", "/", nil), nil) })
	hs := hcall(t, s, ty, "[method]incoming-request.headers", req).(uint32)
	if v := hcall(t, s, ty, "[method]fields.delete", hs, "host").(canon.VariantValue); v.Case != 1 || v.Value.(canon.VariantValue).Case != 2 {
		t.Errorf("deleting from immutable headers gave %#v, want error(immutable)", v)
	}
}

func rep(t *testing.T, _ *State, f func() (uint32, error)) uint32 {
	t.Helper()
	r, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A response written before and after response-outparam.set reaches the
// sink in order, with its status and headers.
func TestHTTPResponseOutparam(t *testing.T) {
	s := &State{}
	const ty = "wasi:http/types"
	rec := httptest.NewRecorder()
	out := rep(t, s, func() (uint32, error) { return s.NewResponseOutparam(rec) })
	f := hcall(t, s, ty, "[constructor]fields").(uint32)
	hcall(t, s, ty, "[method]fields.append", f, "content-type", []byte("text/plain"))
	resp := hcall(t, s, ty, "[constructor]outgoing-response", f).(uint32)
	hcall(t, s, ty, "[method]outgoing-response.set-status-code", resp, uint16(202))
	body := okRep(t, hcall(t, s, ty, "[method]outgoing-response.body", resp))
	st := okRep(t, hcall(t, s, ty, "[method]outgoing-body.write", body))
	hcall(t, s, "wasi:io/streams", "[method]output-stream.blocking-write-and-flush", st, []byte("before "))
	hcall(t, s, ty, "[static]response-outparam.set", out, canon.VariantValue{Case: 0, Value: resp})
	hcall(t, s, "wasi:io/streams", "[method]output-stream.blocking-write-and-flush", st, []byte("after"))
	hcall(t, s, "wasi:io/streams", "[resource-drop]output-stream", st)
	hcall(t, s, ty, "[static]outgoing-body.finish", body, canon.VariantValue{Case: 0})
	if rec.Code != 202 || rec.Header().Get("Content-Type") != "text/plain" || rec.Body.String() != "before after" {
		t.Errorf("got %d %v %q", rec.Code, rec.Header(), rec.Body.String())
	}
	if s.Resources() != 0 {
		t.Errorf("%d resources left", s.Resources())
	}
}

// outgoing-handler.handle sends through State.Outbound (here a loopback
// server) and the guest reads the response; with no Outbound the request
// is denied.
func TestHTTPOutgoing(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Got", r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("X-A"))
		w.WriteHeader(207)
		io.WriteString(w, "from server")
	}))
	defer srv.Close()
	const ty = "wasi:http/types"
	newReq := func(s *State) uint32 {
		f := hcall(t, s, ty, "[constructor]fields").(uint32)
		hcall(t, s, ty, "[method]fields.append", f, "x-a", []byte("v"))
		r := hcall(t, s, ty, "[constructor]outgoing-request", f).(uint32)
		hcall(t, s, ty, "[method]outgoing-request.set-scheme", r, some(canon.VariantValue{Case: 0}))
		hcall(t, s, ty, "[method]outgoing-request.set-authority", r, some(srv.Listener.Addr().String()))
		hcall(t, s, ty, "[method]outgoing-request.set-path-with-query", r, some("/p?q=1"))
		return r
	}
	t.Run("denied", func(t *testing.T) {
		s := &State{}
		v := hcall(t, s, "wasi:http/outgoing-handler", "handle", newReq(s), none()).(canon.VariantValue)
		if v.Case != 1 || v.Value.(canon.VariantValue).Case != ecHTTPRequestDenied {
			t.Errorf("got %#v, want error(HTTP-request-denied)", v)
		}
	})
	t.Run("sent", func(t *testing.T) {
		s := &State{Outbound: srv.Client().Do}
		fut := okRep(t, hcall(t, s, "wasi:http/outgoing-handler", "handle", newReq(s), none()))
		got := hcall(t, s, ty, "[method]future-incoming-response.get", fut).(canon.VariantValue)
		resp := okRep(t, okRepValue(t, got))
		if c := hcall(t, s, ty, "[method]incoming-response.status", resp).(uint16); c != 207 {
			t.Errorf("status %d", c)
		}
		hs := hcall(t, s, ty, "[method]incoming-response.headers", resp).(uint32)
		if v := hcall(t, s, ty, "[method]fields.get", hs, "x-got").([]any); len(v) != 1 || string(v[0].([]byte)) != "GET /p?q=1 v" {
			t.Errorf("x-got %q", v)
		}
		body := okRep(t, hcall(t, s, ty, "[method]incoming-response.consume", resp))
		in := okRep(t, hcall(t, s, ty, "[method]incoming-body.stream", body))
		b := okRep2(t, hcall(t, s, "wasi:io/streams", "[method]input-stream.blocking-read", in, uint64(100)))
		if string(b) != "from server" {
			t.Errorf("body %q", b)
		}
	})
}

// okRepValue unwraps some(ok(x)) to x.
func okRepValue(t *testing.T, v canon.VariantValue) any {
	t.Helper()
	if v.Case != 1 {
		t.Fatalf("future not ready: %#v", v)
	}
	inner := v.Value.(canon.VariantValue)
	if inner.Case != 0 {
		t.Fatalf("future already taken: %#v", inner)
	}
	return inner.Value
}

func okRep2(t *testing.T, v any) []byte {
	t.Helper()
	r := v.(canon.VariantValue)
	if r.Case != 0 {
		t.Fatalf("read failed: %#v", r)
	}
	return r.Value.([]byte)
}
