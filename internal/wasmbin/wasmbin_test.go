package wasmbin_test

import (
	"errors"
	"math"
	"testing"

	"github.com/wisphq/wisp/internal/wasmbin"
)

func TestU32RoundTrip(t *testing.T) {
	for _, v := range []uint32{0, 1, 127, 128, 300, 1 << 21, math.MaxUint32} {
		r := &wasmbin.Reader{B: wasmbin.AppendU32(nil, v)}
		got, err := r.U32()
		if err != nil || got != v || !r.Done() {
			t.Errorf("U32 of AppendU32(%d) = %d, %v (done %v)", v, got, err, r.Done())
		}
	}
}

func TestReaderErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		read func(r *wasmbin.Reader) error
		want string
	}{
		{"U32Truncated", []byte{0x80}, func(r *wasmbin.Reader) error { _, err := r.U32(); return err }, wasmbin.ErrTruncated.Error()},
		{"U32TooLarge", []byte{0xFF, 0xFF, 0xFF, 0xFF, 0x1F}, func(r *wasmbin.Reader) error { _, err := r.U32(); return err }, "integer too large"},
		{"U32TooLong", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, func(r *wasmbin.Reader) error { _, err := r.U32(); return err }, "integer too long"},
		{"VecPastEnd", []byte{0x05, 1, 2}, func(r *wasmbin.Reader) error { _, err := r.Vec(); return err }, wasmbin.ErrTruncated.Error()},
		{"SignedTooLong", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, func(r *wasmbin.Reader) error { return r.Signed(32) }, "integer too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.read(&wasmbin.Reader{B: tc.in})
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSections(t *testing.T) {
	mod := append([]byte(wasmbin.Magic), 1, 2, 0x60, 0x00, 0, 3, 'a', 'b', 'c')
	secs, err := wasmbin.Sections(mod)
	if err != nil {
		t.Fatal(err)
	}
	if len(secs) != 2 || secs[0].ID != 1 || string(secs[1].Body) != "abc" || secs[1].End != len(mod) {
		t.Fatalf("sections %+v", secs)
	}
	if _, err := wasmbin.Sections(append([]byte(wasmbin.Magic), 1, 9)); !errors.Is(err, wasmbin.ErrTruncated) {
		t.Errorf("a section past the end: %v, want ErrTruncated", err)
	}
	if _, err := wasmbin.Sections([]byte("\x00asm\x02\x00\x00\x00")); err == nil {
		t.Error("a module of another version was read")
	}
}
