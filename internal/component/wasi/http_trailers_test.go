package wasi

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/component/canon"
)

// trailersOf resolves the future-trailers of body (an incoming-body) and
// returns its fields' entries as "name=value" strings (nil for none).
func trailersOf(t *testing.T, s *State, body uint32) []string {
	t.Helper()
	const ty = "wasi:http/types"
	ft := hcall(t, s, ty, "[static]incoming-body.finish", body).(uint32)
	got := okRepValue(t, hcall(t, s, ty, "[method]future-trailers.get", ft).(canon.VariantValue)).(canon.VariantValue)
	if got.Case != 0 {
		t.Fatalf("future-trailers.get = %#v, want ok", got)
	}
	opt := got.Value.(canon.VariantValue)
	if again := hcall(t, s, ty, "[method]future-trailers.get", ft).(canon.VariantValue); again.Case != 1 || again.Value.(canon.VariantValue).Case != 1 {
		t.Errorf("a second get = %#v, want some(err)", again)
	}
	if opt.Case == 0 {
		return nil
	}
	var out []string
	for _, e := range hcall(t, s, ty, "[method]fields.entries", opt.Value).([]any) {
		kv := e.([]any)
		out = append(out, kv[0].(string)+"="+string(kv[1].([]byte)))
	}
	return out
}

// Trailers cross in every direction Wisp can carry them: an incoming
// request's (a chunked body from a real client), an outgoing request's
// (sent after a chunked body) and its response's; a response's own are
// dropped with a line in the log, as the gateway sends none.
func TestHTTPTrailers(t *testing.T) {
	const ty = "wasi:http/types"
	t.Run("incoming request", func(t *testing.T) {
		got := make(chan []string, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := &State{}
			req := rep(t, s, func() (uint32, error) { return s.NewIncomingRequest(r, nil) })
			body := okRep(t, hcall(t, s, ty, "[method]incoming-request.consume", req))
			in := okRep(t, hcall(t, s, ty, "[method]incoming-body.stream", body))
			if b := okRep2(t, hcall(t, s, "wasi:io/streams", "[method]input-stream.blocking-read", in, uint64(2))); string(b) != "bo" {
				t.Errorf("read %q", b)
			}
			hcall(t, s, "wasi:io/streams", "[resource-drop]input-stream", in)
			got <- trailersOf(t, s, body) // reads the rest of the body first
		}))
		defer srv.Close()
		req, err := http.NewRequest("POST", srv.URL, io.MultiReader(strings.NewReader("body")))
		if err != nil {
			t.Fatal(err)
		}
		req.Trailer = http.Header{"X-Checksum": {"abc"}}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if g := <-got; len(g) != 1 || g[0] != "x-checksum=abc" {
			t.Errorf("trailers %v, want x-checksum=abc", g)
		}
	})

	t.Run("outgoing request and its response", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("Trailer", "X-Resp")
			w.Header().Set("X-Got", string(b)+" "+r.Trailer.Get("X-Req"))
			io.WriteString(w, "ok")
			w.Header().Set("X-Resp", "done")
		}))
		defer srv.Close()
		s := &State{Outbound: srv.Client().Do}
		r := hcall(t, s, ty, "[constructor]outgoing-request", hcall(t, s, ty, "[constructor]fields")).(uint32)
		hcall(t, s, ty, "[method]outgoing-request.set-method", r, canon.VariantValue{Case: 2})
		hcall(t, s, ty, "[method]outgoing-request.set-scheme", r, some(canon.VariantValue{Case: 0}))
		hcall(t, s, ty, "[method]outgoing-request.set-authority", r, some(srv.Listener.Addr().String()))
		body := okRep(t, hcall(t, s, ty, "[method]outgoing-request.body", r))
		out := okRep(t, hcall(t, s, ty, "[method]outgoing-body.write", body))
		hcall(t, s, "wasi:io/streams", "[method]output-stream.blocking-write-and-flush", out, []byte("payload"))
		hcall(t, s, "wasi:io/streams", "[resource-drop]output-stream", out)
		tr := hcall(t, s, ty, "[constructor]fields").(uint32)
		hcall(t, s, ty, "[method]fields.set", tr, "x-req", []any{[]byte("t1")})
		if v := hcall(t, s, ty, "[static]outgoing-body.finish", body, some(tr)).(canon.VariantValue); v.Case != 0 {
			t.Fatalf("finish = %#v", v)
		}
		fut := okRep(t, hcall(t, s, "wasi:http/outgoing-handler", "handle", r, none()))
		resp := okRep(t, okRepValue(t, hcall(t, s, ty, "[method]future-incoming-response.get", fut).(canon.VariantValue)))
		hs := hcall(t, s, ty, "[method]incoming-response.headers", resp).(uint32)
		if v := hcall(t, s, ty, "[method]fields.get", hs, "x-got").([]any); len(v) != 1 || string(v[0].([]byte)) != "payload t1" {
			t.Errorf("the upstream got %q, want the body and the trailer t1", v)
		}
		rb := okRep(t, hcall(t, s, ty, "[method]incoming-response.consume", resp))
		if g := trailersOf(t, s, rb); len(g) != 1 || g[0] != "x-resp=done" {
			t.Errorf("the response's trailers %v, want x-resp=done", g)
		}
	})

	t.Run("a response's are dropped with a log line", func(t *testing.T) {
		var log bytes.Buffer
		s := &State{Stderr: &log}
		resp := hcall(t, s, ty, "[constructor]outgoing-response", hcall(t, s, ty, "[constructor]fields")).(uint32)
		body := okRep(t, hcall(t, s, ty, "[method]outgoing-response.body", resp))
		tr := hcall(t, s, ty, "[constructor]fields").(uint32)
		hcall(t, s, ty, "[method]fields.set", tr, "x-t", []any{[]byte("v")})
		if v := hcall(t, s, ty, "[static]outgoing-body.finish", body, some(tr)).(canon.VariantValue); v.Case != 0 {
			t.Fatalf("finish = %#v", v)
		}
		if !strings.Contains(log.String(), "1 trailer fields were dropped") {
			t.Errorf("log %q", log.String())
		}
	})

	t.Run("none", func(t *testing.T) {
		s := &State{}
		req := rep(t, s, func() (uint32, error) {
			return s.NewIncomingRequest(httptest.NewRequest("POST", "/", strings.NewReader("x")), nil)
		})
		body := okRep(t, hcall(t, s, ty, "[method]incoming-request.consume", req))
		if g := trailersOf(t, s, body); g != nil {
			t.Errorf("trailers %v, want none", g)
		}
	})
}
