package canon

import (
	"strings"
	"testing"
)

func BenchmarkLowerLiftBody(b *testing.B) {
	body := []byte(strings.Repeat("x", 4096))
	ty := List(U8())
	cx, a := newCx(nil, UTF8)
	b.ReportAllocs()
	for b.Loop() {
		a.next = 0
		flat, err := cx.LowerFlat(body, ty)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := cx.LiftFlat(flat, ty); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLowerLiftHeaders(b *testing.B) {
	// wasi:http fields entries: list<tuple<string, list<u8>>>
	ty := List(Tuple(String(), List(U8())))
	v := make([]any, 16)
	for i := range v {
		v[i] = []any{"x-header-name", []byte("some header value")}
	}
	cx, a := newCx(nil, UTF8)
	b.ReportAllocs()
	for b.Loop() {
		a.next = 0
		flat, err := cx.LowerFlat(v, ty)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := cx.LiftFlat(flat, ty); err != nil {
			b.Fatal(err)
		}
	}
}
