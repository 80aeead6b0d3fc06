package canon

// ResourceType is a resource type: handles of different resource types never
// mix, even with the same name. Compare by pointer.
type ResourceType struct {
	// Name is for messages only.
	Name string
	// Impl is the component instance that implements the resource, or nil
	// when the host does. A borrow of a resource lowered into its own
	// implementation passes the representation itself, not a handle.
	Impl *Instance
	// Dtor, if not nil, is called with the representation when the last
	// owned handle is dropped (canon resource.drop).
	Dtor func(rep uint32) error
}

// MaxHandles is the most entries a handle table may hold (the spec's
// Table.MAX_LENGTH).
const MaxHandles = 1<<28 - 1

// Instance is the state the canonical ABI keeps per component instance:
// its table of resource handles, whether it may call out (not while its
// realloc or post-return runs) and whether it may be entered (not while it
// is already running: components are not reentrant). It is used by one
// goroutine at a time.
type Instance struct {
	parent  *Instance
	handles []*handle // index 0 is never used
	free    []uint32
	noLeave int
	entered bool
	// first is the storage of the first handles' table entries, and
	// store of the handles themselves (each used once, never reused): a
	// wrapped command's run holds a handful (its stdio streams), with no
	// allocation.
	first  [8]*handle
	store  [8]handle
	stored int
}

// newHandle returns h, from the instance's storage while it lasts.
func (in *Instance) newHandle(h handle) *handle {
	var p *handle
	if in.stored < len(in.store) {
		p = &in.store[in.stored]
		in.stored++
	} else {
		p = new(handle) // not &h: h would move to the heap on every call
	}
	*p = h
	return p
}

// handle is one entry of a handle table.
type handle struct {
	rt    *ResourceType
	rep   uint32
	own   bool
	scope *Task // the call a borrowed handle was lent to
	lends int   // how many calls out this handle is lent to
}

// NewInstance returns the canonical ABI state of a new component instance,
// nested in parent (nil for the root component's instance).
func NewInstance(parent *Instance) *Instance {
	in := &Instance{}
	in.Init(parent)
	return in
}

// Init makes in the state of a new component instance nested in parent,
// as NewInstance returns: for an Instance allocated with other per-run
// state.
func (in *Instance) Init(parent *Instance) {
	*in = Instance{parent: parent}
	in.handles = in.first[:1]
}

// Enter is called before a call into one of the instance's exports, by the
// host (caller nil) or by the instance caller: it traps if the instance, or
// an enclosing instance the caller is not inside, is already running. Call
// Leave with the same caller once the call is over.
func (in *Instance) Enter(caller *Instance) error {
	for i := in; i != nil; i = i.parent {
		if caller.inside(i) {
			break
		}
		if i.entered {
			return trapf("the component instance is entered again while it is running (components are not reentrant)")
		}
	}
	for i := in; i != nil && !caller.inside(i); i = i.parent {
		i.entered = true
	}
	return nil
}

// Leave ends a call that Enter began.
func (in *Instance) Leave(caller *Instance) {
	for i := in; i != nil && !caller.inside(i); i = i.parent {
		i.entered = false
	}
}

// inside reports whether in is anc or nested in it; a nil in (the host) is
// inside nothing.
func (in *Instance) inside(anc *Instance) bool {
	for i := in; i != nil; i = i.parent {
		if i == anc {
			return true
		}
	}
	return false
}

// MayLeave traps if the instance may not call out now: the spec forbids
// calling imports or resource built-ins from inside realloc and
// post-return.
func (in *Instance) MayLeave() error {
	if in.noLeave > 0 {
		return trapf("the instance called out of itself during realloc or post-return")
	}
	return nil
}

// Handles returns how many handles the instance holds.
func (in *Instance) Handles() int { return len(in.handles) - 1 - len(in.free) }

func (in *Instance) add(h *handle) (uint32, error) {
	if n := len(in.free); n > 0 {
		i := in.free[n-1]
		in.free = in.free[:n-1]
		in.handles[i] = h
		return i, nil
	}
	i := len(in.handles)
	if i > MaxHandles {
		return 0, trapf("the handle table is full (%d handles)", MaxHandles)
	}
	in.handles = append(in.handles, h)
	return uint32(i), nil
}

// get returns the handle at i, checking it is of type rt.
func (in *Instance) get(i uint32, rt *ResourceType) (*handle, error) {
	if i == 0 || uint64(i) >= uint64(len(in.handles)) || in.handles[i] == nil {
		return nil, trapf("handle %d is not in the instance's handle table", i)
	}
	h := in.handles[i]
	if h.rt != rt {
		return nil, trapf("handle %d is a %s, not a %s", i, h.rt.name(), rt.name())
	}
	return h, nil
}

func (in *Instance) remove(i uint32) {
	in.handles[i] = nil
	in.free = append(in.free, i)
}

func (rt *ResourceType) name() string {
	if rt == nil || rt.Name == "" {
		return "resource"
	}
	return "resource " + rt.Name
}

// ResourceNew is canon resource.new: it adds an owned handle to rep and
// returns its index.
func (in *Instance) ResourceNew(rt *ResourceType, rep uint32) (uint32, error) {
	if err := in.MayLeave(); err != nil {
		return 0, err
	}
	return in.add(in.newHandle(handle{rt: rt, rep: rep, own: true}))
}

// ResourceRep is canon resource.rep: the representation behind handle i,
// which must be of type rt.
func (in *Instance) ResourceRep(rt *ResourceType, i uint32) (uint32, error) {
	h, err := in.get(i, rt)
	if err != nil {
		return 0, err
	}
	return h.rep, nil
}

// ResourceDrop is canon resource.drop: it removes handle i, which must be
// of type rt and not lent to a call in progress. Dropping an owned handle
// runs the resource's destructor; dropping a borrowed one ends the borrow.
func (in *Instance) ResourceDrop(rt *ResourceType, i uint32) error {
	if err := in.MayLeave(); err != nil {
		return err
	}
	h, err := in.get(i, rt)
	if err != nil {
		return err
	}
	if h.lends != 0 {
		return trapf("handle %d is dropped while lent to %d call(s) in progress", i, h.lends)
	}
	in.remove(i)
	if !h.own {
		h.scope.borrows--
		return nil
	}
	if rt.Dtor != nil {
		if err := rt.Dtor(h.rep); err != nil {
			return &Trap{Msg: "the destructor of " + rt.name() + " failed", Err: err}
		}
	}
	return nil
}

// liftOwn moves owned handle i out of the instance, returning its
// representation.
func (in *Instance) liftOwn(i uint32, rt *ResourceType) (uint32, error) {
	h, err := in.get(i, rt)
	if err != nil {
		return 0, err
	}
	if !h.own {
		return 0, trapf("handle %d is borrowed, and an owned handle was expected", i)
	}
	if h.lends != 0 {
		return 0, trapf("owned handle %d is passed away while lent to %d call(s) in progress", i, h.lends)
	}
	in.remove(i)
	return h.rep, nil
}

// Task is the bookkeeping of one call into a guest export (canon lift):
// handles borrowed to the guest for the call must all be dropped before it
// returns.
type Task struct {
	borrows  int
	returned bool
}

// Return traps if the guest returns while it still holds borrowed handles,
// or returns twice. Call it when the export's core function has returned.
func (t *Task) Return() error {
	if t.returned {
		return trapf("the call returned twice")
	}
	if t.borrows > 0 {
		return trapf("the call returned while %d borrowed handle(s) lent to it were not dropped", t.borrows)
	}
	t.returned = true
	return nil
}

// Borrows returns how many borrowed handles lent to the call are not yet
// dropped.
func (t *Task) Borrows() int { return t.borrows }

// Subtask is the bookkeeping of one call out of a guest (canon lower):
// handles the guest lends for the call cannot be dropped or given away
// until it finishes.
type Subtask struct {
	lenders []*handle
	done    bool
}

// Finish ends the call: the handles lent to it are free again. Call it once
// the results are lowered (or the call failed).
func (s *Subtask) Finish() {
	if s.done {
		return
	}
	for _, h := range s.lenders {
		h.lends--
	}
	clear(s.lenders)
	s.lenders, s.done = s.lenders[:0], true
}

// Reset makes s a new Subtask for another call, keeping the room it grew
// for lent handles. Finish any call it was lending for first.
func (s *Subtask) Reset() {
	clear(s.lenders)
	s.lenders, s.done = s.lenders[:0], false
}
