package canon

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// scripted is a hostile realloc: the pointer of each call comes from a
// script (in bounds or not, aligned or not, overlapping what was lowered
// before), and it records its calls. A script that runs out fails the call.
type scripted struct {
	ptrs  []uint32
	fail  int // the call (from 1) that returns an error, 0 for none
	calls [][4]uint32
}

func (s *scripted) realloc(old, oldSize, align, newSize uint32) (uint32, error) {
	s.calls = append(s.calls, [4]uint32{old, oldSize, align, newSize})
	if len(s.calls) == s.fail || len(s.calls) > len(s.ptrs) {
		return 0, errors.New("guest trapped in realloc")
	}
	return s.ptrs[len(s.calls)-1], nil
}

// lowering is what a lowering left behind: the memory, realloc's calls,
// the core values and the error.
type lowering struct {
	mem   []byte
	calls [][4]uint32
	flat  []uint64
	err   string
}

// lowerBoth lowers the list of strings (or pairs) as []any, the generic
// Go value, and as its typed form, through LowerValues with a result
// pointer (a host function's spilled result, as get-environment's) and
// through LowerFlat, each with the same script, and fails unless both
// left the same memory, calls, values and error.
func lowerBoth(t *testing.T, ty *Type, generic, typed any, enc StringEncoding, memSize int, outPtr uint32, s scripted) {
	t.Helper()
	run := func(v any, how string) lowering {
		mem := &testMemory{b: make([]byte, memSize), limit: memSize}
		for i := range mem.b {
			mem.b[i] = byte(i * 7)
		}
		sc := s
		sc.calls = nil
		cx := &Context{Memory: mem, Encoding: enc, Realloc: sc.realloc, Instance: NewInstance(nil), Subtask: &Subtask{}}
		var flat []uint64
		var err error
		if how == "spilled" {
			out := outPtr
			flat, err = cx.LowerValues([]any{v}, []*Type{ty}, MaxFlatResults, &out)
		} else {
			flat, err = cx.LowerFlat(v, ty)
		}
		l := lowering{mem: mem.b, calls: sc.calls, flat: flat}
		if err != nil {
			if !IsTrap(err) {
				t.Fatalf("%s lowering of %T: error is not a trap: %v", how, v, err)
			}
			l.err, l.flat = err.Error(), nil
		}
		return l
	}
	for _, how := range []string{"spilled", "flat"} {
		g, f := run(generic, how), run(typed, how)
		if g.err != f.err || !bytes.Equal(g.mem, f.mem) || !reflect.DeepEqual(g.calls, f.calls) || !reflect.DeepEqual(g.flat, f.flat) {
			t.Fatalf("%s lowering of %v differs:\n[]any: err %q calls %v flat %v\ntyped: err %q calls %v flat %v\nmemory equal: %v",
				how, ty, g.err, g.calls, g.flat, f.err, f.calls, f.flat, bytes.Equal(g.mem, f.mem))
		}
	}
}

func stringsAsAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func pairsAsAny(ps [][2]string) []any {
	out := make([]any, len(ps))
	for i, p := range ps {
		out[i] = []any{p[0], p[1]}
	}
	return out
}

// TestTypedStringLists: []string and [][2]string lower as their []any
// forms do, realloc call for call, byte for byte and trap for trap, with
// a realloc that misbehaves in every way the canonical ABI checks.
func TestTypedStringLists(t *testing.T) {
	env := [][2]string{{"A", "1"}, {"GREETING", "hello world"}, {"", ""}, {"PATH_INFO", "/ünï"}}
	args := []string{"printenv", "", "--flag=é"}
	pairTypes := map[string]*Type{
		"tuple":  Tuple(String(), String()),
		"record": Record(Field{Name: "k", Type: String()}, Field{Name: "v", Type: String()}),
	}
	// A well-behaved script: the list at 64, then each string after it.
	good := func(n int) []uint32 {
		ptrs := []uint32{64}
		for i := range n {
			ptrs = append(ptrs, 256+uint32(i)*32)
		}
		return ptrs
	}
	scripts := []struct {
		name string
		s    func(n int) scripted
	}{
		{"well behaved", func(n int) scripted { return scripted{ptrs: good(n)} }},
		{"list out of bounds", func(n int) scripted { return scripted{ptrs: append([]uint32{1 << 20}, good(n)[1:]...)} }},
		{"list misaligned", func(n int) scripted { return scripted{ptrs: append([]uint32{66}, good(n)[1:]...)} }},
		{"list at the end of memory", func(n int) scripted { return scripted{ptrs: append([]uint32{1024 - 8}, good(n)[1:]...)} }},
		{"a string out of bounds", func(n int) scripted {
			p := good(n)
			p[len(p)/2] = 1<<32 - 2
			return scripted{ptrs: p}
		}},
		{"a string over the list", func(n int) scripted {
			p := good(n)
			for i := 1; i < len(p); i++ {
				p[i] = 64 + uint32(i)
			}
			return scripted{ptrs: p}
		}},
		{"every string at the same place", func(n int) scripted {
			p := good(n)
			for i := 1; i < len(p); i++ {
				p[i] = 300
			}
			return scripted{ptrs: p}
		}},
		{"realloc fails on the third call", func(n int) scripted { return scripted{ptrs: good(n), fail: 3} }},
		{"realloc fails on the first call", func(n int) scripted { return scripted{ptrs: good(n), fail: 1} }},
		{"the script runs out", func(n int) scripted { return scripted{ptrs: good(n)[:n/2]} }},
	}
	outPtrs := map[string]uint32{"result pointer in bounds": 16, "result pointer misaligned": 18, "result pointer out of bounds": 1024 - 4}
	for _, enc := range []StringEncoding{UTF8, UTF16, Latin1UTF16} {
		for _, sc := range scripts {
			for on, out := range outPtrs {
				name := fmt.Sprintf("%s/%s/%s", enc, sc.name, on)
				t.Run(name+"/list<string>", func(t *testing.T) {
					lowerBoth(t, List(String()), stringsAsAny(args), args, enc, 1024, out, sc.s(len(args)))
				})
				for tn, pt := range pairTypes {
					t.Run(name+"/list<"+tn+">", func(t *testing.T) {
						lowerBoth(t, List(pt), pairsAsAny(env), env, enc, 1024, out, sc.s(2*len(env)))
					})
				}
			}
		}
	}
	t.Run("invalid UTF-8 traps at the same string", func(t *testing.T) {
		bad := [][2]string{{"A", "1"}, {"B", "\xff"}, {"C", "3"}}
		lowerBoth(t, List(pairTypes["tuple"]), pairsAsAny(bad), bad, UTF8, 1024, 16, scripted{ptrs: good(6)})
		badArgs := []string{"ok", "\xc3"}
		lowerBoth(t, List(String()), stringsAsAny(badArgs), badArgs, UTF8, 1024, 16, scripted{ptrs: good(2)})
	})
	t.Run("a typed list of the wrong element type is a mismatch", func(t *testing.T) {
		for _, tc := range []struct {
			ty *Type
			v  any
		}{
			{List(U8()), []string{"a"}},
			{List(Tuple(String(), U32())), [][2]string{{"a", "b"}}},
			{List(Tuple(String(), String(), String())), [][2]string{{"a", "b"}}},
			{List(String()), [][2]string{{"a", "b"}}},
			{List(Tuple(String(), String())), []string{"a"}},
		} {
			cx, _ := newCx(make([]byte, 64), UTF8)
			_, err := cx.LowerFlat(tc.v, tc.ty)
			wantTrap(t, err)
		}
	})
}

// FuzzTypedStringLists: for any strings, encoding and realloc script, the
// typed forms lower as the []any forms do.
func FuzzTypedStringLists(f *testing.F) {
	f.Add([]byte("A\x001\x00GREETING\x00hello"), []byte{64, 0, 1, 1, 2, 2, 3, 3}, uint8(0), uint32(16), uint8(0))
	f.Add([]byte("\xff\x00x"), []byte{255, 3, 7}, uint8(1), uint32(1021), uint8(2))
	f.Add([]byte("ü\x00é\x00"), []byte{8, 9, 10, 11, 12}, uint8(2), uint32(18), uint8(3))
	f.Fuzz(func(t *testing.T, text, script []byte, enc uint8, outPtr uint32, fail uint8) {
		if len(text) > 1<<12 || len(script) > 256 {
			return
		}
		ss := bytes.Split(text, []byte{0})
		strs := make([]string, len(ss))
		for i, s := range ss {
			strs[i] = string(s)
		}
		pairs := make([][2]string, len(strs)/2)
		for i := range pairs {
			pairs[i] = [2]string{strs[2*i], strs[2*i+1]}
		}
		s := scripted{fail: int(fail % 8)}
		for _, b := range script {
			// Small steps around the memory's 4 KiB, its end and past it.
			s.ptrs = append(s.ptrs, uint32(b)*17-uint32(b&3))
		}
		e := StringEncoding(enc % 3)
		lowerBoth(t, List(String()), stringsAsAny(strs), strs, e, 4096, outPtr%4200, s)
		lowerBoth(t, List(Tuple(String(), String())), pairsAsAny(pairs), pairs, e, 4096, outPtr%4200, s)
	})
}
