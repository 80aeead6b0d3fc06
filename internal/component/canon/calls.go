package canon

// LiftValues lifts values of types ts from the core values flat (the spec's
// lift_flat_values): directly when they flatten to at most maxFlat core
// values, else from the tuple in memory that flat[0] points to. It returns
// the values and how many core values it used.
func (cx *Context) LiftValues(flat []uint64, ts []*Type, maxFlat int) ([]any, int, error) {
	return cx.liftValues(nil, flat, ts, maxFlat)
}

// liftValues is LiftValues, lifting flat values into dst when it has room.
func (cx *Context) liftValues(dst []any, flat []uint64, ts []*Type, maxFlat int) ([]any, int, error) {
	for _, t := range ts {
		if err := validType(t); err != nil {
			return nil, 0, err
		}
	}
	cx.startLift()
	if flatCount(ts) > maxFlat {
		if len(flat) == 0 {
			return nil, 0, trapf("too few core values: the pointer to the spilled values is missing")
		}
		tt := Tuple(ts...)
		if tt.err != nil {
			return nil, 0, tt.err
		}
		ptr := uint32(flat[0])
		if err := cx.checkRange(ptr, uint64(tt.size), tt.align, "spilled values"); err != nil {
			return nil, 0, err
		}
		v, err := cx.loadRecord(ptr, tt)
		if err != nil {
			return nil, 0, err
		}
		return v.([]any), 1, nil
	}
	it := &flatIter{vals: flat}
	out := dst[:0]
	if cap(out) < len(ts) {
		out = make([]any, len(ts))
	}
	out = out[:len(ts)]
	for i, t := range ts {
		v, err := cx.liftFlat(it, t)
		if err != nil {
			return nil, 0, err
		}
		out[i] = v
	}
	return out, it.i, nil
}

// LowerValues lowers vs, of types ts, to core values (the spec's
// lower_flat_values): directly when they flatten to at most maxFlat core
// values, else into a tuple in memory. The tuple goes where *outPtr says
// when outPtr is not nil (and nothing is returned), else into memory
// allocated with realloc, whose pointer is returned.
func (cx *Context) LowerValues(vs []any, ts []*Type, maxFlat int, outPtr *uint32) ([]uint64, error) {
	return cx.lowerValues(nil, vs, ts, maxFlat, outPtr)
}

// lowerValues is LowerValues, appending flat values to dst[:0].
func (cx *Context) lowerValues(dst []uint64, vs []any, ts []*Type, maxFlat int, outPtr *uint32) ([]uint64, error) {
	if len(vs) != len(ts) {
		return nil, trapf("the host passed %d values for %d types", len(vs), len(ts))
	}
	for _, t := range ts {
		if err := validType(t); err != nil {
			return nil, err
		}
	}
	if flatCount(ts) > maxFlat {
		// One value (a function's result) is stored as itself: a tuple
		// of one type has its layout. Built per call, the tuple type was
		// most of a host call's allocations.
		tt := ts[0]
		if len(ts) != 1 || tt.depth+1 > MaxTypeDepth {
			if tt = Tuple(ts...); tt.err != nil {
				return nil, tt.err
			}
		}
		var out []uint64
		var ptr uint32
		if outPtr != nil {
			ptr = *outPtr
		} else {
			p, err := cx.realloc(0, 0, tt.align, tt.size, "spilled values")
			if err != nil {
				return nil, err
			}
			ptr, out = p, []uint64{uint64(p)}
		}
		if err := cx.checkRange(ptr, uint64(tt.size), tt.align, "spilled values"); err != nil {
			return nil, err
		}
		if tt != ts[0] {
			return out, cx.store(append([]any(nil), vs...), tt, ptr)
		}
		return out, cx.store(vs[0], tt, ptr)
	}
	out := dst[:0]
	for i, t := range ts {
		var err error
		if out, err = cx.lowerFlat(out, vs[i], t); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// The four steps of a synchronous call across the component boundary.
//
// The host calling a guest export (canon lift) with a Context holding a
// new Task:
//
//	flat, err := cx.LowerParams(ft, args)   // args into the guest
//	res := call the core export with flat
//	results, err := cx.LiftResults(ft, res) // copy the results out
//	err = cx.PostReturn(postReturn, res)    // the guest frees them
//	err = cx.Task.Return()                  // borrows all dropped?
//
// The guest calling a host import (canon lower) with a Context holding a
// new Subtask:
//
//	args, err := cx.LiftParams(ft, flat)
//	results := run the host function
//	res, err := cx.LowerResults(ft, flat, results)
//	cx.Subtask.Finish()                     // lent handles are free again

// LowerParams lowers the arguments of a call to a guest export of type ft.
func (cx *Context) LowerParams(ft *FuncType, args []any) ([]uint64, error) {
	if err := ft.Err(); err != nil {
		return nil, err
	}
	return cx.LowerValues(args, ft.Params, MaxFlatParams, nil)
}

// LiftResults lifts the results of a call to a guest export of type ft from
// the core results it returned.
func (cx *Context) LiftResults(ft *FuncType, flat []uint64) ([]any, error) {
	if err := ft.Err(); err != nil {
		return nil, err
	}
	v, _, err := cx.LiftValues(flat, ft.Results, MaxFlatResults)
	return v, err
}

// LiftParams lifts the arguments of a guest's call to an import of type ft
// from the core arguments it passed.
func (cx *Context) LiftParams(ft *FuncType, flat []uint64) ([]any, error) {
	if err := ft.Err(); err != nil {
		return nil, err
	}
	v, _, err := cx.LiftValues(flat, ft.Params, MaxFlatParams)
	return v, err
}

// LiftParamsTo is LiftParams, lifting the arguments into dst when it has
// room for them (a caller that lifts every call's arguments reuses one
// slice): the returned slice may be dst.
func (cx *Context) LiftParamsTo(dst []any, ft *FuncType, flat []uint64) ([]any, error) {
	if err := ft.Err(); err != nil {
		return nil, err
	}
	v, _, err := cx.liftValues(dst, flat, ft.Params, MaxFlatParams)
	return v, err
}

// LowerResults lowers the results of a guest's call to an import of type
// ft: as core results, or, when they do not fit, into memory at the
// pointer the guest passed as its last core argument (in flat).
func (cx *Context) LowerResults(ft *FuncType, flat []uint64, results []any) ([]uint64, error) {
	return cx.LowerResultsTo(nil, ft, flat, results)
}

// LowerResultsTo is LowerResults, appending the core results to dst[:0]
// (a caller that lowers every call's results reuses one slice): the
// returned slice may be dst's.
func (cx *Context) LowerResultsTo(dst []uint64, ft *FuncType, flat []uint64, results []any) ([]uint64, error) {
	if err := ft.Err(); err != nil {
		return nil, err
	}
	if flatCount(ft.Results) <= MaxFlatResults {
		return cx.lowerValues(dst, results, ft.Results, MaxFlatResults, nil)
	}
	// The core parameters (Flatten(ft, Lower).Params, counted): the
	// flat parameters, or one pointer to them, then the results' pointer.
	n := flatCount(ft.Params)
	if n > MaxFlatParams {
		n = 1
	}
	n++
	if len(flat) < n {
		return nil, trapf("too few core values: the pointer for the results is missing")
	}
	out := uint32(flat[n-1])
	return cx.LowerValues(results, ft.Results, MaxFlatResults, &out)
}
