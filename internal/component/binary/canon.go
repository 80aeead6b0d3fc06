package binary

// unsupportedCanon names the canonical built-ins of the gated async (🔀),
// thread (🧵) and error-context (📝) features, by opcode.
var unsupportedCanon = map[byte]string{
	0x05: "task.cancel", 0x06: "subtask.cancel", 0x08: "task.backpressure", 0x09: "task.return",
	0x0a: "context.get", 0x0b: "context.set", 0x0c: "thread.yield", 0x0d: "subtask.drop",
	0x0e: "stream.new", 0x0f: "stream.read", 0x10: "stream.write", 0x11: "stream.cancel-read",
	0x12: "stream.cancel-write", 0x13: "stream.drop-readable", 0x14: "stream.drop-writable",
	0x15: "future.new", 0x16: "future.read", 0x17: "future.write", 0x18: "future.cancel-read",
	0x19: "future.cancel-write", 0x1a: "future.drop-readable", 0x1b: "future.drop-writable",
	0x1c: "error-context.new", 0x1d: "error-context.debug-message", 0x1e: "error-context.drop",
	0x1f: "waitable-set.new", 0x20: "waitable-set.wait", 0x21: "waitable-set.poll",
	0x22: "waitable-set.drop", 0x23: "waitable.join", 0x24: "backpressure.inc", 0x25: "backpressure.dec",
	0x26: "thread.index", 0x27: "thread.new-indirect", 0x28: "thread.resume-later",
	0x29: "thread.suspend", 0x2a: "thread.suspend-then-resume", 0x2b: "thread.yield-then-resume",
	0x2c: "thread.suspend-then-promote", 0x2d: "thread.yield-then-promote",
	0x40: "thread.spawn-ref", 0x41: "thread.spawn-indirect", 0x42: "thread.available-parallelism",
}

func (cs *compState) canon(r *reader) (Canon, error) {
	var c Canon
	at := r.pos
	op, err := r.byte("canonical function kind")
	if err != nil {
		return c, err
	}
	switch op {
	case 0x00, 0x01:
		sub, err := r.byte("canonical function sort")
		if err != nil {
			return c, err
		}
		if sub != 0x00 {
			return c, r.errf(at+1, "canonical %s has sort byte 0x%02x where 0x00 (func) is required", map[byte]string{0: "lift", 1: "lower"}[op], sub)
		}
		if c.Func, err = r.u32("function index"); err != nil {
			return c, err
		}
		if op == 0x00 {
			c.Kind = CanonLift
			if err := cs.sc.check(r, at, SortIndex{SortCoreFunc, c.Func}, "canon lift"); err != nil {
				return c, err
			}
		} else {
			c.Kind = CanonLower
			if err := cs.sc.check(r, at, SortIndex{SortFunc, c.Func}, "canon lower"); err != nil {
				return c, err
			}
		}
		if c.Opts, err = cs.canonOpts(r); err != nil {
			return c, err
		}
		if op == 0x00 {
			if c.Type, err = r.u32("lift type index"); err != nil {
				return c, err
			}
			if err := cs.sc.check(r, at, SortIndex{SortType, c.Type}, "canon lift type"); err != nil {
				return c, err
			}
			if err := cs.sc.want(r, at, c.Type, classFunc, "canon lift"); err != nil {
				return c, err
			}
		}
	case 0x02, 0x03, 0x04:
		c.Kind = CanonResourceNew + CanonKind(op-0x02)
		if c.Type, err = r.u32("resource type index"); err != nil {
			return c, err
		}
		if err := cs.sc.check(r, at, SortIndex{SortType, c.Type}, "canon "+c.Kind.String()); err != nil {
			return c, err
		}
		if err := cs.sc.want(r, at, c.Type, classResource, "canon "+c.Kind.String()); err != nil {
			return c, err
		}
	default:
		if name, ok := unsupportedCanon[op]; ok {
			return c, r.errf(at, "canon %s (0x%02x) belongs to the component model's async or threads features, which are unsupported; build the component for WASI 0.2 without async", name, op)
		}
		return c, r.errf(at, "invalid canonical function kind 0x%02x", op)
	}
	return c, nil
}

func (cs *compState) canonOpts(r *reader) (CanonOpts, error) {
	var o CanonOpts
	n, err := r.count("canonical option", 16, 1)
	if err != nil {
		return o, err
	}
	var seen [8]bool
	for i := 0; i < n; i++ {
		at := r.pos
		op, err := r.byte("canonical option")
		if err != nil {
			return o, err
		}
		slot := op
		if op <= 0x02 {
			slot = 0 // the encodings conflict with each other
		}
		if op < byte(len(seen)) && seen[slot] {
			return o, r.errf(at, "canonical option 0x%02x repeats or conflicts with an earlier one", op)
		}
		if op < byte(len(seen)) {
			seen[slot] = true
		}
		switch op {
		case 0x00, 0x01, 0x02:
			o.Encoding = StringEncoding(op)
		case 0x03:
			if o.Memory, err = r.u32("memory index"); err != nil {
				return o, err
			}
			o.HasMemory = true
			if err := cs.sc.check(r, at, SortIndex{SortCoreMemory, o.Memory}, "canonical option memory"); err != nil {
				return o, err
			}
		case 0x04:
			if o.Realloc, err = r.u32("realloc index"); err != nil {
				return o, err
			}
			o.HasRealloc = true
			if err := cs.sc.check(r, at, SortIndex{SortCoreFunc, o.Realloc}, "canonical option realloc"); err != nil {
				return o, err
			}
		case 0x05:
			if o.PostReturn, err = r.u32("post-return index"); err != nil {
				return o, err
			}
			o.HasPostReturn = true
			if err := cs.sc.check(r, at, SortIndex{SortCoreFunc, o.PostReturn}, "canonical option post-return"); err != nil {
				return o, err
			}
		case 0x06, 0x07:
			return o, r.errf(at, "canonical option %s belongs to the component model's async feature, which is unsupported", map[byte]string{6: "async", 7: "callback"}[op])
		default:
			return o, r.errf(at, "invalid canonical option 0x%02x", op)
		}
	}
	return o, nil
}
