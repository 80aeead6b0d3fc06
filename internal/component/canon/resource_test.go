package canon

import (
	"errors"
	"testing"
)

// TestHandlesSpecScenario mirrors run_tests.py's test_handles: the host
// calls a guest export with own, own, borrow, borrow (of a resource the
// guest implements) and gets three owned handles back.
func TestHandlesSpecScenario(t *testing.T) {
	var dtorRep uint32
	var dtorCalls int
	inst := NewInstance(nil)
	rt := &ResourceType{Name: "rt", Dtor: func(rep uint32) error { dtorRep = rep; dtorCalls++; return nil }}
	rt2 := &ResourceType{Name: "rt2", Impl: inst}
	ft := &FuncType{
		Params:  []*Type{Own(rt), Own(rt), Borrow(rt), Borrow(rt2)},
		Results: []*Type{Tuple(Own(rt), Own(rt), Own(rt))},
	}
	cx, _ := newCx(make([]byte, 64), UTF8)
	cx.Instance, cx.Task = inst, &Task{}
	flat, err := cx.LowerParams(ft, []any{uint32(42), uint32(43), uint32(44), uint32(13)})
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint64{1, 2, 3, 13}; !equalU64(flat, want) {
		t.Fatalf("lowered %v, want %v (a borrow of the guest's own resource is its rep)", flat, want)
	}
	for i, want := range []uint32{42, 43, 44} {
		if rep, err := inst.ResourceRep(rt, uint32(i+1)); err != nil || rep != want {
			t.Fatalf("rep of %d = %d, %v", i+1, rep, err)
		}
	}

	// The guest calls a host import with borrow h1, borrow h3 -> own.
	imp := &FuncType{Params: []*Type{Borrow(rt), Borrow(rt)}, Results: []*Type{Own(rt)}}
	sub := &Subtask{}
	icx := &Context{Memory: cx.Memory, Instance: inst, Subtask: sub}
	args, err := icx.LiftParams(imp, []uint64{1, 3})
	if err != nil || args[0] != uint32(42) || args[1] != uint32(44) {
		t.Fatalf("import args %v, %v", args, err)
	}
	// While lent, h1 can be neither dropped nor given away.
	wantTrap(t, inst.ResourceDrop(rt, 1))
	if _, _, err := cx.LiftFlat([]uint64{1}, Own(rt)); err == nil {
		t.Fatal("giving away a lent handle did not trap")
	}
	res, err := icx.LowerResults(imp, []uint64{1, 3}, []any{uint32(45)})
	if err != nil || !equalU64(res, []uint64{4}) {
		t.Fatalf("import results %v, %v", res, err)
	}
	sub.Finish()

	if err := inst.ResourceDrop(rt, 1); err != nil || dtorRep != 42 || dtorCalls != 1 {
		t.Fatalf("drop own: %v, dtor(%d) x%d", err, dtorRep, dtorCalls)
	}
	h, err := inst.ResourceNew(rt, 46)
	if err != nil || h != 1 {
		t.Fatalf("resource.new reuses the freed index: got %d, %v", h, err)
	}
	if err := cx.Task.Return(); err == nil {
		t.Fatal("returning with a borrowed handle not dropped did not trap")
	}
	if err := inst.ResourceDrop(rt, 3); err != nil || dtorCalls != 1 {
		t.Fatalf("drop borrow: %v (dtor calls %d, want 1)", err, dtorCalls)
	}
	// The guest returns (h, h2, h4) through a pointer to the tuple.
	if err := cx.Memory.(*testMemory).Write(0, []byte{1, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0}); !err {
		t.Fatal("write")
	}
	results, err := cx.LiftResults(ft, []uint64{0})
	if err != nil {
		t.Fatal(err)
	}
	if got := results[0].([]any); got[0] != uint32(46) || got[1] != uint32(43) || got[2] != uint32(45) {
		t.Fatalf("results %v", got)
	}
	if err := cx.Task.Return(); err != nil {
		t.Fatal(err)
	}
	if n := inst.Handles(); n != 0 {
		t.Fatalf("%d handles left, want 0", n)
	}
}

func equalU64(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestResourceRules(t *testing.T) {
	a := &ResourceType{Name: "a"}
	b := &ResourceType{Name: "b"}
	failing := &ResourceType{Name: "f", Dtor: func(uint32) error { return errors.New("guest trapped") }}
	tests := []struct {
		name string
		run  func(in *Instance, cx *Context) error
	}{
		{"rep of index 0", func(in *Instance, cx *Context) error { _, err := in.ResourceRep(a, 0); return err }},
		{"rep of unknown index", func(in *Instance, cx *Context) error { _, err := in.ResourceRep(a, 7); return err }},
		{"rep of another type", func(in *Instance, cx *Context) error {
			h, _ := in.ResourceNew(a, 1)
			_, err := in.ResourceRep(b, h)
			return err
		}},
		{"drop twice", func(in *Instance, cx *Context) error {
			h, _ := in.ResourceNew(a, 1)
			if err := in.ResourceDrop(a, h); err != nil {
				return nil
			}
			return in.ResourceDrop(a, h)
		}},
		{"drop as another type", func(in *Instance, cx *Context) error {
			h, _ := in.ResourceNew(a, 1)
			return in.ResourceDrop(b, h)
		}},
		{"destructor fails", func(in *Instance, cx *Context) error {
			h, _ := in.ResourceNew(failing, 1)
			return in.ResourceDrop(failing, h)
		}},
		{"lift own of a borrowed handle", func(in *Instance, cx *Context) error {
			flat, err := cx.LowerFlat(uint32(5), Borrow(a))
			if err != nil {
				return nil
			}
			_, _, err = cx.LiftFlat(flat, Own(a))
			return err
		}},
		{"lift own of another type", func(in *Instance, cx *Context) error {
			h, _ := in.ResourceNew(a, 1)
			_, _, err := cx.LiftFlat([]uint64{uint64(h)}, Own(b))
			return err
		}},
		{"lift own twice", func(in *Instance, cx *Context) error {
			h, _ := in.ResourceNew(a, 1)
			if _, _, err := cx.LiftFlat([]uint64{uint64(h)}, Own(a)); err != nil {
				return nil
			}
			_, _, err := cx.LiftFlat([]uint64{uint64(h)}, Own(a))
			return err
		}},
		{"lift borrow of unknown handle", func(in *Instance, cx *Context) error {
			_, _, err := cx.LiftFlat([]uint64{9}, Borrow(a))
			return err
		}},
		{"lift borrow after the subtask finished", func(in *Instance, cx *Context) error {
			h, _ := in.ResourceNew(a, 1)
			cx.Subtask.Finish()
			_, _, err := cx.LiftFlat([]uint64{uint64(h)}, Borrow(a))
			return err
		}},
		{"lift borrow without a subtask", func(in *Instance, cx *Context) error {
			h, _ := in.ResourceNew(a, 1)
			cx.Subtask = nil
			_, _, err := cx.LiftFlat([]uint64{uint64(h)}, Borrow(a))
			return err
		}},
		{"lower borrow without a task", func(in *Instance, cx *Context) error {
			cx.Task = nil
			_, err := cx.LowerFlat(uint32(1), Borrow(a))
			return err
		}},
		{"drop own while lent", func(in *Instance, cx *Context) error {
			h, _ := in.ResourceNew(a, 1)
			if _, _, err := cx.LiftFlat([]uint64{uint64(h)}, Borrow(a)); err != nil {
				return nil
			}
			return in.ResourceDrop(a, h)
		}},
		{"task returns holding a borrow", func(in *Instance, cx *Context) error {
			if _, err := cx.LowerFlat(uint32(1), Borrow(a)); err != nil {
				return nil
			}
			return cx.Task.Return()
		}},
		{"task returns twice", func(in *Instance, cx *Context) error {
			if err := cx.Task.Return(); err != nil {
				return nil
			}
			return cx.Task.Return()
		}},
		{"handle without an instance", func(in *Instance, cx *Context) error {
			cx.Instance = nil
			_, err := cx.LowerFlat(uint32(1), Own(a))
			return err
		}},
		{"resource.new during realloc", func(in *Instance, cx *Context) error {
			var inner error
			cx.Realloc = func(_, _, _, n uint32) (uint32, error) { _, inner = in.ResourceNew(a, 1); return 0, nil }
			if _, err := cx.LowerFlat("x", String()); err != nil {
				return nil
			}
			return inner
		}},
		{"resource.drop during post-return", func(in *Instance, cx *Context) error {
			h, _ := in.ResourceNew(a, 1)
			var inner error
			_ = cx.PostReturn(func([]uint64) error { inner = in.ResourceDrop(a, h); return nil }, nil)
			return inner
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cx, _ := newCx(make([]byte, 16), UTF8)
			wantTrap(t, tc.run(cx.Instance, cx))
		})
	}
}

func TestResourceOK(t *testing.T) {
	a := &ResourceType{Name: "a"}
	cx, _ := newCx(nil, UTF8)
	in := cx.Instance
	// A lent handle is free again once the subtask finishes.
	h, _ := in.ResourceNew(a, 7)
	if _, _, err := cx.LiftFlat([]uint64{uint64(h)}, Borrow(a)); err != nil {
		t.Fatal(err)
	}
	cx.Subtask.Finish()
	cx.Subtask.Finish() // idempotent
	if v, _, err := cx.LiftFlat([]uint64{uint64(h)}, Own(a)); err != nil || v != uint32(7) {
		t.Fatalf("lift own after the lend ended: %v, %v", v, err)
	}
	// A borrow lowered into the guest and dropped lets the task return.
	flat, err := cx.LowerFlat(uint32(8), Borrow(a))
	if err != nil {
		t.Fatal(err)
	}
	if cx.Task.Borrows() != 1 {
		t.Fatalf("borrows = %d", cx.Task.Borrows())
	}
	if err := in.ResourceDrop(a, uint32(flat[0])); err != nil {
		t.Fatal(err)
	}
	if err := cx.Task.Return(); err != nil {
		t.Fatal(err)
	}
	if err := in.MayLeave(); err != nil {
		t.Fatal(err)
	}
}

func TestEnter(t *testing.T) {
	root := NewInstance(nil)
	a := NewInstance(root)
	b := NewInstance(root)
	if err := a.Enter(nil); err != nil {
		t.Fatal(err)
	}
	// a calls an import that b exports: root is already entered, but a
	// is inside it, so only b is entered.
	if err := b.Enter(a); err != nil {
		t.Fatalf("sibling call: %v", err)
	}
	// b calls back into a: a is running.
	wantTrap(t, a.Enter(b))
	b.Leave(a)
	// The host calls into a again while a runs: a trap.
	wantTrap(t, a.Enter(nil))
	// The host calls into b while a (and so root) runs: root is entered.
	wantTrap(t, b.Enter(nil))
	a.Leave(nil)
	if err := b.Enter(nil); err != nil {
		t.Fatalf("after leaving: %v", err)
	}
	b.Leave(nil)
	if root.entered || a.entered || b.entered {
		t.Fatal("an instance is still entered")
	}
}

// TestSharedSubtrees checks a type whose tree is exponentially large (as
// type indices in a binary can make it) is handled in linear time.
func TestSharedSubtrees(t *testing.T) {
	rt := &ResourceType{Name: "r"}
	ty := Borrow(rt)
	for range 80 {
		ty = Tuple(ty, ty)
	}
	if ty.Err() == nil {
		t.Fatal("a type of 2^80 handles is valid")
	}
	if s := ty.String(); len(s) > 1000 {
		t.Fatalf("String is %d bytes", len(s))
	}
	small := Borrow(rt)
	for range 40 {
		small = Option(Option(small))
	}
	if small.Err() != nil {
		t.Fatal(small.Err())
	}
	ft := &FuncType{Results: []*Type{Tuple(small, small)}}
	if ft.Err() == nil {
		t.Fatal("a borrow deep in a result is allowed")
	}
	_ = Flatten(ft, Lift)
}
