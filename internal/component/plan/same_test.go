package plan

import (
	"context"
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/component/canon"
)

func TestSameFuncType(t *testing.T) {
	stream := &canon.ResourceType{Name: "wasi:io/streams@0.2.12#output-stream"}
	impl := &canon.ResourceType{Name: "output-stream"}
	other := &canon.ResourceType{Name: "input-stream"}
	streamErr := canon.Variant(canon.Case{Name: "last-operation-failed", Type: canon.U32()}, canon.Case{Name: "closed"})
	write := func(r *canon.ResourceType, elem *canon.Type) *canon.FuncType {
		return &canon.FuncType{Params: []*canon.Type{canon.Borrow(r), canon.List(elem)}, Results: []*canon.Type{canon.Result(nil, streamErr)}}
	}
	for _, tc := range []struct {
		name string
		a, b *canon.FuncType
		want bool
	}{
		{"same resource by name", write(stream, canon.U8()), write(impl, canon.U8()), true},
		{"another resource", write(stream, canon.U8()), write(other, canon.U8()), false},
		{"another element", write(stream, canon.U8()), write(impl, canon.U16()), false},
		{"fewer params", write(stream, canon.U8()), &canon.FuncType{Results: write(stream, canon.U8()).Results}, false},
		{"another case name", &canon.FuncType{Params: []*canon.Type{canon.Enum("a", "b")}}, &canon.FuncType{Params: []*canon.Type{canon.Enum("a", "c")}}, false},
		{"payload or none", &canon.FuncType{Params: []*canon.Type{canon.Result(nil, nil)}}, &canon.FuncType{Params: []*canon.Type{canon.Result(canon.U8(), nil)}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SameFuncType(tc.a, tc.b); got != tc.want {
				t.Fatalf("got %v", got)
			}
		})
	}
}

// TestHostCallsRefuseAnotherType: an implementation whose type differs
// from the import's is refused at bind time, naming both types.
func TestHostCallsRefuseAnotherType(t *testing.T) {
	p, err := Build(fixture(t, "exit3"))
	if err != nil {
		t.Fatal(err)
	}
	noop := func(context.Context, []any) ([]any, error) { return nil, nil }
	_, err = p.HostCalls(func(iface, fn string) (Impl, *canon.FuncType, bool) {
		return noop, &canon.FuncType{Params: []*canon.Type{canon.String()}}, true
	})
	if err == nil || !strings.Contains(err.Error(), "with a type that differs from the interface's") {
		t.Fatalf("err = %v", err)
	}
	_, err = p.HostCalls(func(iface, fn string) (Impl, *canon.FuncType, bool) { return nil, nil, false })
	if err == nil || !strings.Contains(err.Error(), "which is not implemented") {
		t.Fatalf("err = %v", err)
	}
}
